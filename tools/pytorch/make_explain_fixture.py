#!/usr/bin/python3
"""Writes test/fixtures/explain-seed-run.json: saliency and Grad-CAM of one test image by PyTorch.

Run with Debian's PyTorch (see shared/notes/engine.md), from the repository root:

    /usr/bin/python3 tools/pytorch/make_explain_fixture.py [--index 4] [--out PATH]

The weights are the committed 20-epoch run's (test/fixtures/seed-run-20-epochs/model/
model.safetensors, the seed's state_dict names and layouts) in the seed's ConvNet, in float64
and eval mode; the image is MNIST test image INDEX straight from the IDX file (byte/255).
For the predicted class and the runner-up, and for both scores (the logit, before the
log-softmax, and the log-probability), the file holds:
  gradient       d score / d image, 28×28 row-major
  gradCam        Grad-CAM on conv2: a = ReLU(conv2(...)) before the pool, alpha_k = mean of
                 d score / d a_k, ReLU(sum_k alpha_k a_k) (14×14, "coarse"), upsampled with
                 F.interpolate(mode="bilinear", align_corners=False) to 28×28
  weights        alpha_k
src/core/analysis/explain.ts computes the same with TensorFlow.js in float32
(test/unit/explain.test.ts compares them). CI needs no torch: the JSON is committed.
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixture import ConvNet, MNIST_DIR, ROOT, read_idx  # noqa: E402  (the seed's network)
from check_export import read_safetensors  # noqa: E402

RUN = os.path.join(ROOT, 'test', 'fixtures', 'seed-run-20-epochs')


def parts(net, x):
    """conv2's activations (for Grad-CAM) and the logits, as the seed's forward computes them."""
    a = F.relu(net.conv2(net.pool(F.relu(net.conv1(x)))))
    h = net.pool(a).reshape(x.shape[0], -1)
    logits = net.fc2(F.relu(net.fc1(h)))
    return a, logits


def score_of(logits, c, score):
    s = logits if score == 'logit' else F.log_softmax(logits, dim=1)
    return s[0, c]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--index', type=int, default=4)
    p.add_argument('--out', default=os.path.join(ROOT, 'test', 'fixtures', 'explain-seed-run.json'))
    args = p.parse_args()

    tensors, _ = read_safetensors(os.path.join(RUN, 'model', 'model.safetensors'))
    net = ConvNet()
    net.load_state_dict({k: v for k, v in tensors.items()}, strict=True)
    net = net.double().eval()
    images = read_idx(os.path.join(MNIST_DIR, 't10k-images-idx3-ubyte'), 0x00000803)
    labels = read_idx(os.path.join(MNIST_DIR, 't10k-labels-idx1-ubyte'), 0x00000801)
    # byte/255 in float32 (ToTensor), then widened: the same pixels the lab feeds its model.
    image = torch.from_numpy(images[args.index].astype('float32') / 255).double().reshape(1, 1, 28, 28)

    with torch.no_grad():
        _, logits = parts(net, image)
    order = torch.argsort(logits[0], descending=True).tolist()
    out = {
        'source': 'tools/pytorch/make_explain_fixture.py',
        'torch': torch.__version__,
        'run': 'test/fixtures/seed-run-20-epochs',
        'index': args.index,
        'label': int(labels[args.index]),
        'logits': logits[0].tolist(),
        'predicted': order[0],
        'cases': [],
    }
    for c in order[:2]:
        for score in ('logit', 'logProbability'):
            x = image.clone().requires_grad_(True)
            a, logits = parts(net, x)
            a.retain_grad()
            score_of(logits, c, score).backward()
            weights = a.grad[0].mean(dim=(1, 2))
            coarse = F.relu((weights[:, None, None] * a[0]).sum(0)).detach()
            up = F.interpolate(coarse[None, None], size=(28, 28), mode='bilinear', align_corners=False)[0, 0]
            r = lambda t: [float(f'{v:.9g}') for v in t.reshape(-1).tolist()]  # noqa: E731
            out['cases'].append({
                'classIndex': c,
                'score': score,
                'gradient': r(x.grad[0, 0]),
                'gradCam': r(up),
                'gradCamCoarse': r(coarse),
                'weights': r(weights),
            })
    tmp = args.out + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(out, f, separators=(',', ':'))
        f.write('\n')
    os.replace(tmp, args.out)
    print(f'wrote {args.out}: test image #{args.index} (label {out["label"]}, predicted {out["predicted"]}), {len(out["cases"])} cases')


if __name__ == '__main__':
    main()
