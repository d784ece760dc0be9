#!/usr/bin/env python3
"""Reference values, gradients, targets and logits of the memory-queue losses, PyTorch float64.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/make_queue_fixtures.py
Writes test/fixtures/queue.json. Written from the formulas, independently of the TypeScript code,
as explicit loops over anchors with logsumexp over each anchor's candidate set. The batch has
views A and B of N samples; the queue holds Q earlier embeddings K (constants: MoCo's queue,
He et al. 2020; XBM, Wang et al. 2020). Every embedding is L2-normalised first.

- xclr 'all': the 2N anchors (A then B) against the 2N + Q candidates [A; B; K], self excluded.
  Anchor i of either view has the similarity row [S_i, S_i, SQ_i] (S the batch's [N, N] sample
  graph, SQ the [N, Q] similarity of the batch's samples to the queue's); its targets are the
  softmax at tau_s of that row over the same candidate set, its loss CE(logits / tau, targets).
- xclr 'cross': A_i against [B; K] with targets softmax([S_i, SQ_i] / tau_s), and B_j against
  [A; K] with targets softmax([S_{:, j}, SQ_j] / tau_s); the two means averaged.
- ntxent: the 2N anchors against [A; B; K], self excluded; the positive is the other view.
- supcon: the reference SupConLoss (Khosla et al. 2020) with the queue's features and labels
  appended to the contrast set (never anchors); anchors without a positive leave the mean.

With Q = 0 each is the batch-only loss. Gradients with respect to zA and zB come from autograd;
torch.autograd.gradcheck checks a few numerically.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20250615)
DT = torch.float64


def xclr_all(za, zb, k, s, sq, t, ts):
    a, b, kn = F.normalize(za, dim=1), F.normalize(zb, dim=1), F.normalize(k, dim=1)
    n = a.shape[0]
    cands = torch.cat([a, b, kn])
    logits = torch.cat([a, b]) @ cands.T / t
    targets = torch.zeros_like(logits)
    total = 0.0
    for r in range(2 * n):
        i = r % n
        row = torch.cat([s[i], s[i], sq[i]])
        others = [c for c in range(cands.shape[0]) if c != r]
        target = torch.softmax(row[others] / ts, 0)
        targets[r, others] = target.detach()
        total = total - (target * (logits[r, others] - torch.logsumexp(logits[r, others], 0))).sum()
    return total / (2 * n), logits, targets


def xclr_cross(za, zb, k, s, sq, t, ts):
    a, b, kn = F.normalize(za, dim=1), F.normalize(zb, dim=1), F.normalize(k, dim=1)
    n = a.shape[0]
    rows_logits, rows_targets, means = [], [], []
    for anchors, others, graph in [(a, b, s), (b, a, s.T)]:
        logits = anchors @ torch.cat([others, kn]).T / t
        total = 0.0
        for i in range(n):
            target = torch.softmax(torch.cat([graph[i], sq[i]]) / ts, 0)
            rows_targets.append(target)
            total = total - (target * torch.log_softmax(logits[i], 0)).sum()
        rows_logits.append(logits)
        means.append(total / n)
    return (means[0] + means[1]) / 2, torch.cat(rows_logits), torch.stack(rows_targets)


def ntxent(za, zb, k, t):
    a, b, kn = F.normalize(za, dim=1), F.normalize(zb, dim=1), F.normalize(k, dim=1)
    n = a.shape[0]
    cands = torch.cat([a, b, kn])
    logits = torch.cat([a, b]) @ cands.T / t
    total = 0.0
    for r in range(2 * n):
        pos = (r + n) % (2 * n)
        others = [c for c in range(cands.shape[0]) if c != r]
        total = total + (torch.logsumexp(logits[r, others], 0) - logits[r, pos])
    return total / (2 * n)


def supcon(za, zb, labels, k, queue_labels, t, base_t, contrast_mode):
    # SupConLoss restructured for a contrast set longer than the anchors' (the queue appended).
    views = [F.normalize(za, dim=1)] + ([F.normalize(zb, dim=1)] if zb is not None else [])
    contrast = torch.cat(views + [F.normalize(k, dim=1)])
    contrast_labels = torch.cat([labels] * len(views) + [queue_labels])
    anchors = views[0] if contrast_mode == 'one' else torch.cat(views)
    anchor_labels = labels if contrast_mode == 'one' else torch.cat([labels] * len(views))
    logits = anchors @ contrast.T / t
    total, count = 0.0, 0
    for r in range(anchors.shape[0]):
        others = [c for c in range(contrast.shape[0]) if c != r]
        positives = [c for c in others if contrast_labels[c] == anchor_labels[r]]
        if not positives:
            continue
        lse = torch.logsumexp(logits[r, others], 0)
        total = total - sum(logits[r, c] - lse for c in positives) / len(positives)
        count += 1
    return (t / base_t) * total / count


def leaf(x):
    return x.clone().detach().requires_grad_(True)


def rounded(v):
    if isinstance(v, list):
        return [rounded(x) for x in v]
    return float('%.10g' % v)  # far below the tolerances tested


def tolist(x):
    return rounded(x.detach().tolist())


def graphs(n, q, e=12):
    # Cosine similarity of random "caption embeddings" of the batch's and the queue's samples.
    c = F.normalize(torch.randn(n + q, e, dtype=DT), dim=1)
    return c[:n] @ c[:n].T, c[:n] @ c[n:].T


def run(fn, za, zb):
    a, b = leaf(za), leaf(zb)
    out = fn(a, b)
    v = out[0] if isinstance(out, tuple) else out
    v.backward()
    return out, v.item(), tolist(a.grad), tolist(b.grad)


cases = []
checked = 0
# (N, D, Q, temperatures): Q = 0 is the batch-only loss; tau = 0.01 is checked for stability.
SIZES = [(3, 4, 0, [0.1]), (4, 3, 5, [0.05, 0.5]), (6, 8, 3, [0.1]), (5, 16, 12, [0.2, 0.01]), (8, 6, 16, [0.1])]
for n, d, q, temperatures in SIZES:
    za, zb, k = torch.randn(n, d, dtype=DT), torch.randn(n, d, dtype=DT), torch.randn(q, d, dtype=DT)
    s, sq = graphs(n, q)
    labels = torch.randint(0, 3, (n,))
    queue_labels = torch.randint(0, 3, (q,))
    base = dict(n=n, d=d, q=q, zA=tolist(za), zB=tolist(zb), queue=tolist(k) if q else [])
    for t in temperatures:
        for mode, fn in [('all', xclr_all), ('cross', xclr_cross)]:
            for ts in [0.05, 0.5]:
                (_, logits, targets), v, ga, gb = run(lambda a, b: fn(a, b, k, s, sq, t, ts), za, zb)
                cases.append(dict(loss='xclr', mode=mode, temperature=t, targetTemperature=ts, **base,
                                  similarity=tolist(s), queueSimilarity=tolist(sq) if q else [[] for _ in range(n)],
                                  value=v, gradA=ga, gradB=gb, logits=tolist(logits), targets=tolist(targets)))
        _, v, ga, gb = run(lambda a, b: ntxent(a, b, k, t), za, zb)
        cases.append(dict(loss='ntxent', temperature=t, **base, value=v, gradA=ga, gradB=gb))
        for contrast_mode in ['all', 'one']:
            _, v, ga, gb = run(lambda a, b: supcon(a, b, labels, k, queue_labels, t, 0.07, contrast_mode), za, zb)
            cases.append(dict(loss='supcon', contrastMode=contrast_mode, temperature=t, baseTemperature=0.07, **base,
                              labels=labels.tolist(), queueLabels=queue_labels.tolist(), value=v, gradA=ga, gradB=gb))
    if n <= 6:  # numerical check of the autograd gradients
        for fn in [lambda a, b: xclr_all(a, b, k, s, sq, 0.1, 0.1)[0], lambda a, b: xclr_cross(a, b, k, s, sq, 0.1, 0.1)[0],
                   lambda a, b: ntxent(a, b, k, 0.1), lambda a, b: supcon(a, b, labels, k, queue_labels, 0.1, 0.07, 'all')]:
            assert torch.autograd.gradcheck(fn, (leaf(za), leaf(zb)))
            checked += 1

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'queue.json')
with open(out, 'w') as f:
    json.dump({'generator': 'scripts/make_queue_fixtures.py', 'torch': torch.__version__, 'cases': cases}, f)
print(f'wrote {len(cases)} cases to {os.path.normpath(out)} ({checked} gradients checked numerically)')
