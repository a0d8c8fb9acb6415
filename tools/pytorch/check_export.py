#!/usr/bin/python3
"""Loads weights exported by MNIST Lab into the seed's PyTorch ConvNet and compares predictions.

The reverse direction of test/unit/pytorch-fixture.test.ts, checked by hand (CI has no torch):

    node dist/cli.js train --max-steps 50 --out /tmp/x
    /usr/bin/python3 tools/pytorch/check_export.py /tmp/x/*/

RUN is a run directory (its model/model.safetensors is used) or a .safetensors file. The file is
read by hand (no safetensors package) and loaded with load_state_dict(strict=True) into the
seed's ConvNet, unchanged. Then, against `node dist/cli.js evaluate/robustness RUN --json`:
  - the number of right answers on the validation split (test 0-4999) and the test split
    (test 5000-9999), eval mode;
  - for a few test images: the class probabilities of the image and of the image shifted
    left by 3 pixels as in the seed (b[i, j] = a[i, j + 3]), within --tol;
  - the accuracy on the whole test split shifted the same way.
Exit status 0 when everything agrees, 1 otherwise.
"""
import argparse
import glob
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixture import ConvNet, MNIST_DIR, ROOT, read_idx  # noqa: E402  (the seed's network)

NP_DTYPES = {'F32': np.float32, 'F64': np.float64, 'F16': np.float16, 'I64': np.int64}


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    n, = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        b, e = info['data_offsets']
        dt = np.dtype(NP_DTYPES[info['dtype']]).newbyteorder('<')
        arr = np.frombuffer(data[b:e], dtype=dt).reshape(info['shape'])
        tensors[name] = torch.from_numpy(arr.astype(arr.dtype.newbyteorder('='), copy=True))
    return tensors, meta


def node_json(cli, args):
    r = subprocess.run(['node', cli, *args, '--json'], cwd=ROOT, capture_output=True, text=True)
    lines = [json.loads(l) for l in r.stdout.splitlines() if l.startswith('{')]
    summary = [l for l in lines if l.get('type') == 'summary']
    if r.returncode != 0 or not summary:
        sys.exit(f'node {cli} {" ".join(args)} failed ({r.returncode}): {r.stderr.strip() or r.stdout.strip()}')
    return summary[-1]


def shift(x, dx, dy):
    """b[i, j] = a[i - dy, j - dx], zeros filling (the seed: dx = -3, b[i, j] = a[i, j + 3])."""
    out = torch.zeros_like(x)
    h, w = x.shape[-2:]
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = x[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('run', help='run directory or .safetensors file')
    ap.add_argument('--cli', default=os.path.join(ROOT, 'dist', 'cli.js'))
    ap.add_argument('--indices', default='4,0,1', help='test images for the probability check')
    ap.add_argument('--tol', type=float, default=1e-5, help='max abs difference of probabilities')
    args = ap.parse_args()

    path = args.run
    if os.path.isdir(path):
        found = glob.glob(os.path.join(path, 'model', 'model.safetensors')) + glob.glob(os.path.join(path, 'model.safetensors'))
        if not found:
            sys.exit(f'{path}: no model/model.safetensors')
        path = found[0]
    tensors, meta = read_safetensors(path)
    torch.set_num_threads(1)
    net = ConvNet()
    net.load_state_dict(tensors, strict=True)  # names and shapes exactly the seed's
    net.eval()
    print(f'loaded {path} into the seed ConvNet (strict): {", ".join(f"{k} {list(v.shape)}" for k, v in tensors.items())}')

    images = torch.from_numpy(read_idx(os.path.join(MNIST_DIR, 't10k-images-idx3-ubyte'), 0x803).astype(np.float32)).div(255).unsqueeze(1)
    labels = torch.from_numpy(read_idx(os.path.join(MNIST_DIR, 't10k-labels-idx1-ubyte'), 0x801).astype(np.int64))
    half = images.shape[0] // 2

    def right(x, y):
        with torch.no_grad():
            return int((net(x).argmax(1) == y).sum())

    ok = True
    torch_val, torch_test = right(images[:half], labels[:half]), right(images[half:], labels[half:])
    ev = node_json(args.cli, ['evaluate', path])
    print(f'validation right: PyTorch {torch_val}/{half}, MNIST Lab {ev["valCorrect"]}/{ev["valTotal"]} ({ev["backend"]})')
    print(f'test right:       PyTorch {torch_test}/{half}, MNIST Lab {ev["testCorrect"]}/{ev["testTotal"]}')
    ok &= torch_val == ev['valCorrect'] and torch_test == ev['testCorrect']

    worst = 0.0
    for i in [int(s) for s in args.indices.split(',')]:
        rb = node_json(args.cli, ['robustness', path, '--index', str(i), '--dx=-3', '--dy=0'])
        x = images[i:i + 1]
        with torch.no_grad():
            p0 = net(x).exp()[0]
            p1 = net(shift(x, -3, 0)).exp()[0]
        d0 = float((p0 - torch.tensor(rb['originalProbabilities'])).abs().max())
        d1 = float((p1 - torch.tensor(rb['shiftedProbabilities'])).abs().max())
        worst = max(worst, d0, d1)
        print(f'test image #{i} (label {int(labels[i])}): predicted PyTorch {int(p0.argmax())} / MNIST Lab {rb["originalPrediction"]}, '
              f'shifted left 3: {int(p1.argmax())} / {rb["shiftedPrediction"]}; max |p diff| {d0:.2e}, shifted {d1:.2e}')
        ok &= int(p0.argmax()) == rb['originalPrediction'] and int(p1.argmax()) == rb['shiftedPrediction']
        ok &= d0 <= args.tol and d1 <= args.tol
    shifted_right = right(shift(images[half:], -3, 0), labels[half:])
    lab_shifted = round(rb['shiftedTestAccuracy'] * half)
    print(f'test split shifted left 3: PyTorch {shifted_right}/{half}, MNIST Lab {lab_shifted}/{half}')
    ok &= shifted_right == lab_shifted
    print(f'max probability difference {worst:.2e} (tolerance {args.tol:g}): {"AGREE" if ok else "DISAGREE"}')
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
