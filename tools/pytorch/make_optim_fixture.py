#!/usr/bin/python3
"""Writes the optimizer and schedule fixtures: torch.optim and torch.optim.lr_scheduler on the seed's network.

Run with Debian's PyTorch (see shared/notes/engine.md), from the repository root:

    /usr/bin/python3 tools/pytorch/make_optim_fixture.py

test/fixtures/pytorch-optim.safetensors (all float32, PyTorch layouts):
  conv1.weight ... fc2.bias          initial state_dict of a small seed-shaped ConvNet
                                     (depth [4, 8], 5x5 kernels, hidden 16; torch.manual_seed(0))
  images [16,1,28,28], labels [16]   MNIST test images 0..15 (byte/255), as make_fixture.py
  <case>.grad1.<name>, <case>.grad2.<name>
                                     each parameter's .grad at step 1 and 2 (what the optimizer got)
  <case>.step1.<name>, <case>.step2.<name>
                                     the state_dict after one and two optimizer steps on that
                                     batch (dropout off), for each case in CASES. Schedules are
                                     stepped after every optimizer step here (an "epoch" of one
                                     batch), so the second step already runs at the scheduled rate.
  The safetensors metadata "cases" holds each case's optimizer and schedule arguments as JSON.

With --float64 it writes nothing and prints, for each case, how far PyTorch's own float32 weights
after each step are from the same two steps in float64 (the rounding that any float32
implementation carries; Adam magnifies it where a gradient is small next to its rounding).

test/fixtures/pytorch-schedules.json: for each schedule in SCHEDULES, the learning rate (and
momentum / beta1 for OneCycleLR) in use at each step, from scheduler.get_last_lr() and the
optimizer's param_groups, over enough steps to show its shape.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixture import ROOT, mnist_test_batch, state, write_safetensors  # noqa: E402

IMAGE_SIZE = 28
NUM_CLASSES = 10
DEPTH = [4, 8]
HIDDEN = 16


class SmallConvNet(nn.Module):
    """The seed's ConvNet with fc1 16 wide (a fixture of a few hundred kB, not megabytes)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, DEPTH[0], 5, padding=2)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(DEPTH[0], DEPTH[1], 5, padding=2)
        self.fc1 = nn.Linear(IMAGE_SIZE // 4 * IMAGE_SIZE // 4 * DEPTH[1], HIDDEN)
        self.fc2 = nn.Linear(HIDDEN, NUM_CLASSES)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, IMAGE_SIZE // 4 * IMAGE_SIZE // 4 * DEPTH[1])
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


# name: (optimizer class name, its arguments, scheduler class name or None, its arguments).
# Learning rates large enough that each option moves the weights far more than the 1e-6 tolerance.
CASES = {
    'sgd': ('SGD', {'lr': 0.05, 'momentum': 0.9}, None, {}),
    'sgd-nesterov': ('SGD', {'lr': 0.05, 'momentum': 0.9, 'nesterov': True}, None, {}),
    'sgd-weight-decay': ('SGD', {'lr': 0.05, 'momentum': 0.9, 'weight_decay': 0.05}, None, {}),
    'sgd-nesterov-weight-decay': ('SGD', {'lr': 0.05, 'momentum': 0.9, 'nesterov': True, 'weight_decay': 0.05}, None, {}),
    'adam': ('Adam', {'lr': 0.01}, None, {}),
    'adam-weight-decay': ('Adam', {'lr': 0.01, 'weight_decay': 0.05, 'betas': (0.8, 0.99), 'eps': 1e-6}, None, {}),
    'adamw': ('AdamW', {'lr': 0.01}, None, {}),
    'adamw-weight-decay': ('AdamW', {'lr': 0.01, 'weight_decay': 0.5}, None, {}),
    'sgd-step': ('SGD', {'lr': 0.05, 'momentum': 0.9}, 'StepLR', {'step_size': 1, 'gamma': 0.2}),
    'sgd-cosine': ('SGD', {'lr': 0.05, 'momentum': 0.9}, 'CosineAnnealingLR', {'T_max': 2, 'eta_min': 0.001}),
    'sgd-one-cycle': ('SGD', {'lr': 0.05, 'momentum': 0.9}, 'OneCycleLR', {'max_lr': 0.1, 'total_steps': 4}),
    'adam-one-cycle': ('Adam', {'lr': 0.01}, 'OneCycleLR', {'max_lr': 0.02, 'total_steps': 4, 'anneal_strategy': 'linear'}),
}

# name: (optimizer, its arguments, scheduler, its arguments, steps). Per-epoch schedules: a step = an epoch.
SCHEDULES = {
    'step': ('SGD', {'lr': 0.1, 'momentum': 0.9}, 'StepLR', {'step_size': 3, 'gamma': 0.5}, 12),
    'step-default-gamma': ('SGD', {'lr': 0.01, 'momentum': 0.9}, 'StepLR', {'step_size': 2}, 7),
    'cosine': ('SGD', {'lr': 0.1, 'momentum': 0.9}, 'CosineAnnealingLR', {'T_max': 10, 'eta_min': 0.001}, 25),
    'cosine-no-min': ('Adam', {'lr': 0.01}, 'CosineAnnealingLR', {'T_max': 7}, 20),
    'one-cycle-sgd': ('SGD', {'lr': 0.1, 'momentum': 0.9}, 'OneCycleLR', {'max_lr': 0.1, 'total_steps': 50}, 50),
    'one-cycle-sgd-linear': (
        'SGD',
        {'lr': 0.1, 'momentum': 0.9},
        'OneCycleLR',
        {'max_lr': 0.3, 'total_steps': 40, 'pct_start': 0.25, 'anneal_strategy': 'linear', 'div_factor': 10.0,
         'final_div_factor': 100.0, 'base_momentum': 0.8, 'max_momentum': 0.9},
        40,
    ),
    'one-cycle-adam': ('Adam', {'lr': 0.001}, 'OneCycleLR', {'max_lr': 0.01, 'total_steps': 30}, 30),
    'one-cycle-no-momentum': ('SGD', {'lr': 0.1, 'momentum': 0.9}, 'OneCycleLR', {'max_lr': 0.05, 'total_steps': 30, 'cycle_momentum': False}, 30),
}


def make(params, opt_name, opt_args, sched_name, sched_args):
    optimizer = getattr(optim, opt_name)(params, **opt_args)
    scheduler = getattr(optim.lr_scheduler, sched_name)(optimizer, **sched_args) if sched_name else None
    return optimizer, scheduler


def jsonable(args):
    return {k: list(v) if isinstance(v, tuple) else v for k, v in args.items()}


def two_steps(case, dtype):
    """PyTorch's gradients and weights of one case in `dtype`, from the fixture's float32 start."""
    opt_name, opt_args, sched_name, sched_args = CASES[case]
    torch.manual_seed(0)
    net = SmallConvNet()
    initial = state(net)
    net = net.to(dtype)
    net.load_state_dict({k: v.to(dtype) for k, v in initial.items()})
    x, y = mnist_test_batch(16)
    x = x.to(dtype)
    optimizer, scheduler = make(net.parameters(), opt_name, opt_args, sched_name, sched_args)
    criterion = nn.CrossEntropyLoss()
    net.eval()
    steps = []
    for _ in (1, 2):
        loss = criterion(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        grads = {k: p.grad.detach().double().clone() for k, p in net.named_parameters()}
        optimizer.step()
        if scheduler:
            scheduler.step()
        steps.append((grads, {k: p.detach().double().clone() for k, p in net.named_parameters()}))
    return steps


def float64_check():
    torch.set_num_threads(1)
    for case in CASES:
        f32, f64 = two_steps(case, torch.float32), two_steps(case, torch.float64)
        for step, ((g32, w32), (g64, w64)) in enumerate(zip(f32, f64), 1):
            dg = max((g32[k] - g64[k]).abs().max().item() for k in g32)
            name, d = max(((k, (w32[k] - w64[k]).abs()) for k in w32), key=lambda kd: kd[1].max().item())
            i = d.argmax().item()
            print(f'{case:26s} step {step}: float32 - float64: max |dw| {d.max().item():.2e} at {name}[{i}] '
                  f'(gradient {g64[name].flatten()[i].item():.4e}), max |dg| {dg:.2e}')


def main():
    if '--float64' in sys.argv[1:]:
        float64_check()
        return
    torch.set_num_threads(1)
    torch.manual_seed(0)
    net = SmallConvNet()
    initial = state(net)
    x, y = mnist_test_batch(16)
    out = dict(initial)
    out['images'] = x
    out['labels'] = y.to(torch.float32)
    criterion = nn.CrossEntropyLoss()
    net.eval()  # dropout off
    for case, (opt_name, opt_args, sched_name, sched_args) in CASES.items():
        net.load_state_dict(initial)
        optimizer, scheduler = make(net.parameters(), opt_name, opt_args, sched_name, sched_args)
        for step in (1, 2):
            loss = criterion(net(x), y)
            optimizer.zero_grad()
            loss.backward()
            out.update({f'{case}.grad{step}.{k}': p.grad.detach().clone() for k, p in net.named_parameters()})
            optimizer.step()
            if scheduler:
                scheduler.step()
            out.update(state(net, f'{case}.step{step}.'))
    cases = {
        c: {'optimizer': o, 'args': jsonable(a), 'scheduler': s, 'schedulerArgs': jsonable(sa)}
        for c, (o, a, s, sa) in CASES.items()
    }
    metadata = {
        'generator': 'tools/pytorch/make_optim_fixture.py',
        'torch': torch.__version__,
        'seed': '0',
        'images': 't10k-images-idx3-ubyte[0:16]',
        'network': f'seed ConvNet, depth {DEPTH}, hidden {HIDDEN}',
        'cases': json.dumps(cases),
    }
    path = os.path.join(ROOT, 'test', 'fixtures', 'pytorch-optim.safetensors')
    size = write_safetensors(path, out, metadata)
    print(f'wrote {os.path.relpath(path, ROOT)}: {len(out)} tensors, {size} bytes, {len(CASES)} cases; torch {torch.__version__}')

    schedules = {}
    for name, (opt_name, opt_args, sched_name, sched_args, steps) in SCHEDULES.items():
        param = nn.Parameter(torch.zeros(1))
        optimizer, scheduler = make([param], opt_name, opt_args, sched_name, sched_args)
        lrs, momenta = [], []
        for _ in range(steps):
            group = optimizer.param_groups[0]
            lrs.append(group['lr'])
            momenta.append(group['betas'][0] if 'betas' in group else group['momentum'])
            param.grad = torch.ones(1)
            optimizer.step()
            scheduler.step()
        schedules[name] = {
            'optimizer': opt_name,
            'args': jsonable(opt_args),
            'scheduler': sched_name,
            'schedulerArgs': jsonable(sched_args),
            'lr': lrs,
            'momentum': momenta,
        }
    doc = {
        'generator': 'tools/pytorch/make_optim_fixture.py',
        'torch': torch.__version__,
        'note': 'lr and momentum (SGD) or beta1 (Adam) in use at each step; StepLR and CosineAnnealingLR steps are epochs',
        'schedules': schedules,
    }
    path = os.path.join(ROOT, 'test', 'fixtures', 'pytorch-schedules.json')
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    os.replace(tmp, path)
    print(f'wrote {os.path.relpath(path, ROOT)}: {len(schedules)} schedules')


if __name__ == '__main__':
    main()
