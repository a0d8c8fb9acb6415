#!/usr/bin/python3
"""Writes test/fixtures/pca-fc1-seed-run.json: PCA of fc1's features, by PyTorch + numpy.

Run with Debian's PyTorch (see shared/notes/engine.md), from the repository root:

    /usr/bin/python3 tools/pytorch/make_pca_fixture.py [--count 1000] [--out PATH]

The committed 20-epoch run's weights (test/fixtures/seed-run-20-epochs/model/model.safetensors)
go into the seed's ConvNet (load_state_dict, strict). For the first COUNT images of the test
split (test-file images 5000..5000+COUNT-1, byte/255) it takes fc1's output after the ReLU
(F.relu(self.fc1(x)) in the seed's forward, eval mode: what fc2 sees) and computes, in float64:
  mean [512]                     the features' mean
  eigenvalues [3]                the three largest eigenvalues of the covariance (divisor N-1),
                                 numpy.linalg.eigh: a direct eigen-decomposition
  totalVariance                  trace of the covariance
  components [3][512]            the eigenvectors, sign fixed so that the entry of largest
                                 absolute value is positive
  scores [COUNT][2]              (x - mean) . component, for the first two components
  logprobs0 [10]                 the log-probabilities of the first image (a check on the weights)
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixture import ConvNet, MNIST_DIR, ROOT, read_idx  # noqa: E402  (the seed's network)
from check_export import read_safetensors  # noqa: E402

RUN = os.path.join(ROOT, 'test', 'fixtures', 'seed-run-20-epochs', 'model', 'model.safetensors')
VALIDATION = 5000


def fc1_features(net, x):
    """The seed's forward up to fc1's ReLU (eval mode: no dropout)."""
    x = net.pool(F.relu(net.conv1(x)))
    x = net.pool(F.relu(net.conv2(x)))
    x = x.view(x.shape[0], -1)
    return F.relu(net.fc1(x))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--count', type=int, default=1000)
    p.add_argument('--out', default=os.path.join(ROOT, 'test', 'fixtures', 'pca-fc1-seed-run.json'))
    args = p.parse_args()

    tensors, _ = read_safetensors(RUN)
    net = ConvNet()
    net.load_state_dict(tensors, strict=True)
    net.eval()
    images = read_idx(os.path.join(MNIST_DIR, 't10k-images-idx3-ubyte'), 0x00000803)
    images = images[VALIDATION:VALIDATION + args.count].astype(np.float32) / 255.0
    x = torch.from_numpy(images).unsqueeze(1)
    with torch.no_grad():
        feats = fc1_features(net, x).double().numpy()
        logprobs0 = net(x[:1]).double().numpy()[0]

    mean = feats.mean(axis=0)
    centred = feats - mean
    cov = centred.T @ centred / (feats.shape[0] - 1)
    values, vectors = np.linalg.eigh(cov)  # ascending
    order = np.argsort(values)[::-1][:3]
    comps = []
    for i in order:
        v = vectors[:, i]
        j = int(np.argmax(np.abs(v)))
        comps.append(v if v[j] > 0 else -v)
    comps = np.array(comps)
    scores = centred @ comps[:2].T
    out = {
        'about': 'tools/pytorch/make_pca_fixture.py: fc1 features (after ReLU) of test-split images 0..count-1 '
                 'with the committed 20-epoch run, PCA by numpy.linalg.eigh of the covariance (divisor N-1)',
        'torch': torch.__version__,
        'numpy': np.__version__,
        'count': args.count,
        'firstTestIndex': VALIDATION,
        'mean': mean.tolist(),
        'eigenvalues': values[order].tolist(),
        'totalVariance': float(np.trace(cov)),
        'components': comps.tolist(),
        'scores': scores.tolist(),
        'logprobs0': logprobs0.tolist(),
    }
    tmp = args.out + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(out, f)
    os.replace(tmp, args.out)
    print(f'{args.out}: {args.count} images, eigenvalues {values[order][:3]}, '
          f'explained {values[order][:2] / np.trace(cov)}')


if __name__ == '__main__':
    main()
