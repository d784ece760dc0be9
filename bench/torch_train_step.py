#!/usr/bin/env python3
"""PyTorch CPU reference for bench/src/train-step-cli.ts (`npm run bench:step`): the same models, loss, batch and optimiser.

  /usr/bin/python3 bench/torch_train_step.py --model mlp --loss xclr --batch 256 --json

Debian: apt-get install python3-torch libopenblas0-pthread (without OpenBLAS, PyTorch runs on the
reference BLAS at a tenth of its speed). Models: mlp 784-512-512-128 ReLU on 28x28x1; convnet
conv3x3x32 ReLU, maxpool2, conv3x3x64 ReLU, maxpool2, dense 128 on 28x28x1; resnet18 CIFAR stem
(3x3 conv, no max-pool) with a 128-d linear head on 32x32x3. Two views, Adam, median step time.

  --loss-only: X-CLR loss forward + backward alone on two N x D embeddings and the N x N similarity
    target (N = --batch), the deterministic inputs of bench/src/train-step.ts's benchLoss, so both
    print the same loss value.
  --sgemm-peak: best GFLOP/s of torch.mm on --size square float32 matrices (the BLAS's peak).
"""
import argparse
import json
import os
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 128))


def convnet():
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 5 * 5, 128))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); self.b2 = nn.BatchNorm2d(cout)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = F.relu(self.b1(self.c1(x)))
        h = self.b2(self.c2(h))
        return F.relu(h + (self.proj(x) if self.proj is not None else x))


def resnet18():
    layers = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    cin = 64
    for stage, c in enumerate([64, 128, 256, 512]):
        layers += [Block(cin, c, 1 if stage == 0 else 2), Block(c, c, 1)]
        cin = c
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 128)]
    return nn.Sequential(*layers)


def xclr(za, zb, s, t=0.1, ts=0.1):
    z = torch.cat([F.normalize(za, dim=1), F.normalize(zb, dim=1)])
    n2 = z.shape[0]
    self_mask = torch.eye(n2, dtype=torch.bool)
    logits = (z @ z.T / t).masked_fill(self_mask, -1e9)
    targets = torch.softmax((s.repeat(2, 2) / ts).masked_fill(self_mask, -1e9), dim=1)
    return -(targets * torch.log_softmax(logits, dim=1)).sum(1).mean()


def ntxent(za, zb, t=0.1):
    z = torch.cat([F.normalize(za, dim=1), F.normalize(zb, dim=1)])
    n = za.shape[0]
    logits = (z @ z.T / t).masked_fill(torch.eye(2 * n, dtype=torch.bool), -1e9)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(logits, target)


def supcon(za, zb, labels, t=0.07):
    z = torch.cat([F.normalize(za, dim=1), F.normalize(zb, dim=1)])
    l2 = torch.cat([labels, labels])
    self_mask = torch.eye(z.shape[0], dtype=torch.bool)
    pos = (l2[:, None] == l2[None, :]) & ~self_mask
    logp = torch.log_softmax((z @ z.T / t).masked_fill(self_mask, -1e9), dim=1)
    return -((pos * logp).sum(1) / pos.sum(1)).mean()


def clip(za, zb, scale=1 / 0.07):
    logits = scale * F.normalize(za, dim=1) @ F.normalize(zb, dim=1).T
    target = torch.arange(za.shape[0])
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def loss_bench(n, reps, d=128):
    """Forward + backward of each loss alone at batch n, D = d (the @xclr/losses bench's reference)."""
    torch.manual_seed(0)
    za, zb = torch.randn(n, d, requires_grad=True), torch.randn(n, d, requires_grad=True)
    labels = torch.arange(n) % 100
    c = F.normalize(torch.randn(n, 64), dim=1)
    s = c @ c.T
    fns = {'ntxent': lambda: ntxent(za, zb), 'xclr': lambda: xclr(za, zb, s), 'supcon': lambda: supcon(za, zb, labels),
           'clip': lambda: clip(za, zb)}
    times = {k: [] for k in fns}
    for r in range(-1, reps):  # one warm-up round, losses interleaved
        for k, f in fns.items():
            t0 = time.perf_counter()
            za.grad = zb.grad = None
            f().backward()
            if r >= 0:
                times[k].append(time.perf_counter() - t0)
    return {k: sorted(v)[len(v) // 2] * 1000 for k, v in times.items()}


def loss_inputs(n, d, sim_dim=64):
    """Deterministic inputs (float64 formulas cast to float32), the same as benchLoss's in bench/src/train-step.ts."""
    i = torch.arange(n, dtype=torch.float64)[:, None]
    j = torch.arange(d, dtype=torch.float64)[None, :]
    za = torch.sin(0.7 * i + 0.13 * j + 1.0)
    zb = torch.cos(0.3 * i - 0.11 * j)
    k = torch.arange(sim_dim, dtype=torch.float64)[None, :]
    c = torch.sin(0.05 * i * (k + 1) + k)
    c = c / c.norm(dim=1, keepdim=True)
    return za.float(), zb.float(), (c @ c.T).float()


def loss_only(n, d, steps, warmup):
    """X-CLR forward + backward alone (bench/train-step.mjs's loss row): median ms of `steps` after `warmup`."""
    za, zb, s = loss_inputs(n, d)
    za.requires_grad_(True)
    zb.requires_grad_(True)
    value = None
    times = []
    faults = 0
    for r in range(-warmup, steps):
        if r == 0:
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0 = time.perf_counter()
        za.grad = zb.grad = None
        loss = xclr(za, zb, s)
        loss.backward()
        if r >= 0:
            times.append(time.perf_counter() - t0)
        value = loss.item()
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / steps
    med = sorted(times)[len(times) // 2] * 1000
    return {'mode': 'loss', 'loss': 'xclr', 'n': n, 'd': d, 'medianStepMs': med, 'lossValue': value, 'pageFaultsPerStep': faults}


def blas_library():
    """The BLAS this process mapped: Debian's libblas.so.3 is an alternative, OpenBLAS or the reference BLAS."""
    try:
        with open('/proc/self/maps') as f:
            libs = sorted({os.path.realpath(line.split()[-1]) for line in f if 'blas' in line.lower() and '/' in line})
    except OSError:
        return 'unknown'
    kind = 'OpenBLAS' if any('openblas' in x for x in libs) else 'reference BLAS' if libs else 'no BLAS library mapped'
    return f"{kind} ({', '.join(libs)})" if libs else kind


def sgemm_peak(size, reps):
    """Best GFLOP/s (2 size^3 flops per product) of torch.mm on square float32 matrices."""
    torch.manual_seed(0)
    a, b = torch.rand(size, size), torch.rand(size, size)
    torch.mm(a, b)  # warm-up
    each = []
    for _ in range(reps):
        t0 = time.perf_counter()
        torch.mm(a, b)
        each.append(2 * size ** 3 / (time.perf_counter() - t0) / 1e9)
    return {'engine': f'torch.mm, PyTorch {torch.__version__} ({blas_library()})', 'size': size, 'gflops': max(each), 'eachRep': each}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--loss-bench', type=int, metavar='N', help='time each loss alone (forward + backward) at batch N and exit')
    p.add_argument('--reps', type=int, default=10)
    p.add_argument('--model', choices=['mlp', 'convnet', 'resnet18'], default='mlp')
    p.add_argument('--loss', choices=['xclr', 'ntxent', 'supcon', 'clip'], default='xclr')
    p.add_argument('--batch', type=int, default=256)
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--threads', type=int, default=os.cpu_count())
    p.add_argument('--concat-views', action='store_true',
                   help='encode both views as one batch of 2N (same result without batch norm; not for resnet18)')
    p.add_argument('--loss-only', action='store_true', help='X-CLR loss forward + backward alone at N = --batch, D = --dim')
    p.add_argument('--dim', type=int, default=128)
    p.add_argument('--sgemm-peak', action='store_true', help='best GFLOP/s of torch.mm at --size (--steps products)')
    p.add_argument('--size', type=int, default=2048)
    p.add_argument('--json', action='store_true')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    backend = {'backend': f'pytorch-{torch.__version__}-cpu', 'threads': torch.get_num_threads()}
    if a.sgemm_peak:
        r = {**backend, 'openblasThreads': os.environ.get('OPENBLAS_NUM_THREADS'), **sgemm_peak(a.size, a.steps)}
        print(json.dumps(r) if a.json else r)
        return
    if a.loss_only:
        if a.loss != 'xclr':
            p.error('--loss-only times the X-CLR loss')
        r = {**backend, **loss_only(a.batch, a.dim, a.steps, a.warmup), 'blas': blas_library()}
        print(json.dumps(r) if a.json else r)
        return
    if a.loss_bench:
        ms = loss_bench(a.loss_bench, a.reps)
        print(json.dumps({'backend': f'pytorch-{torch.__version__}-cpu', 'threads': torch.get_num_threads(), 'n': a.loss_bench, 'ms': ms}))
        return
    torch.manual_seed(0)
    model = {'mlp': mlp, 'convnet': convnet, 'resnet18': resnet18}[a.model]()
    shape = (3, 32, 32) if a.model == 'resnet18' else (1, 28, 28)
    va, vb = torch.rand(a.batch, *shape), torch.rand(a.batch, *shape)
    labels = torch.arange(a.batch) % 10
    s = (labels[:, None] == labels[None, :]).float()
    opt = torch.optim.Adam(model.parameters(), 1e-3)

    if a.concat_views and a.model == 'resnet18':
        p.error('--concat-views changes batch-norm statistics: not for resnet18')
    both = torch.cat([va, vb]) if a.concat_views else None

    def step():
        za, zb = model(both).chunk(2) if a.concat_views else (model(va), model(vb))
        loss = {'xclr': lambda: xclr(za, zb, s), 'ntxent': lambda: ntxent(za, zb),
                'supcon': lambda: supcon(za, zb, labels), 'clip': lambda: clip(za, zb)}[a.loss]()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    times = []
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(a.steps):
        t0 = time.perf_counter(); step(); times.append(time.perf_counter() - t0)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / a.steps
    med = sorted(times)[len(times) // 2]
    r = {**backend, 'blas': blas_library(), 'model': a.model, 'loss': a.loss,
         'batch': a.batch, 'concatViews': a.concat_views, 'stepsPerSecond': 1 / med, 'samplesPerSecond': a.batch / med, 'medianStepMs': med * 1000,
         'pageFaultsPerStep': faults}
    print(json.dumps(r) if a.json else r)


if __name__ == '__main__':
    main()
