#!/usr/bin/env python3
"""Reference values and gradients for @xclr/losses, computed with PyTorch in float64.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/make_fixtures.py
Writes test/fixtures/reference.json. Each reference is written independently of the
TypeScript code, from the formula it names:

- ntxent: SimCLR (Chen et al. 2020, eq. 1): l(i, j) = -log exp(s_ij/t) / sum_{k != i} exp(s_ik/t),
  averaged over all 2N anchors; written as an explicit loop over anchors.
- supcon: the reference SupConLoss (Khosla et al. 2020, github.com/HobbitLong/SupContrast,
  losses.py), restructured only to leave anchors without a positive out of the mean.
- clip:   OpenCLIP's ClipLoss: (CE(s * I T^T, arange) + CE(s * T I^T, arange)) / 2.
- xclr:   X-CLR (Sobal et al. 2025): targets = softmax over b != a of S2_ab / tau_s (mode 'all',
  S2 = S tiled 2x2) or row softmax of S / tau_s (mode 'cross'), loss = CE(logits, targets);
  written as an explicit loop over anchors with logsumexp over the candidate set.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20250407)
DT = torch.float64


def ntxent(za, zb, t):
    z = torch.cat([F.normalize(za, dim=1), F.normalize(zb, dim=1)])
    n2 = z.shape[0]
    n = n2 // 2
    sim = z @ z.T / t
    total = 0.0
    for a in range(n2):
        pos = (a + n) % n2
        others = [k for k in range(n2) if k != a]
        total = total + (torch.logsumexp(sim[a, others], 0) - sim[a, pos])
    return total / n2


def supcon(za, zb, labels, t, base_t, contrast_mode):
    # Reference SupConLoss, features [bsz, n_views, D].
    views = [F.normalize(za, dim=1)] + ([F.normalize(zb, dim=1)] if zb is not None else [])
    features = torch.stack(views, dim=1)
    bsz = features.shape[0]
    labels = labels.view(-1, 1)
    mask = torch.eq(labels, labels.T).to(DT)
    contrast_count = features.shape[1]
    contrast_feature = torch.cat(torch.unbind(features, dim=1), dim=0)
    if contrast_mode == 'one':
        anchor_feature, anchor_count = features[:, 0], 1
    else:
        anchor_feature, anchor_count = contrast_feature, contrast_count
    adc = anchor_feature @ contrast_feature.T / t
    logits = adc - adc.max(dim=1, keepdim=True)[0].detach()
    mask = mask.repeat(anchor_count, contrast_count)
    logits_mask = torch.scatter(torch.ones_like(mask), 1, torch.arange(bsz * anchor_count).view(-1, 1), 0)
    mask = mask * logits_mask
    exp_logits = torch.exp(logits) * logits_mask
    log_prob = logits - torch.log(exp_logits.sum(1, keepdim=True))
    pos_count = mask.sum(1)
    has_pos = pos_count > 0
    mean_log_prob_pos = (mask * log_prob).sum(1)[has_pos] / pos_count[has_pos]
    return (-(t / base_t) * mean_log_prob_pos).mean()


def clip(img, txt, scale):
    img, txt = F.normalize(img, dim=1), F.normalize(txt, dim=1)
    lpi = scale * img @ txt.T
    labels = torch.arange(img.shape[0])
    return (F.cross_entropy(lpi, labels) + F.cross_entropy(lpi.T, labels)) / 2


def xclr(za, zb, s, t, ts, mode):
    a, b = F.normalize(za, dim=1), F.normalize(zb, dim=1)
    if mode == 'cross':
        logits = a @ b.T / t

        def ce(lg, sim):
            total = 0.0
            for i in range(lg.shape[0]):
                target = torch.softmax(sim[i] / ts, 0)
                total = total - (target * torch.log_softmax(lg[i], 0)).sum()
            return total / lg.shape[0]

        return (ce(logits, s) + ce(logits.T, s.T)) / 2
    z = torch.cat([a, b])
    s2 = s.repeat(2, 2)
    n2 = z.shape[0]
    sim = z @ z.T / t
    total = 0.0
    for i in range(n2):
        others = [k for k in range(n2) if k != i]
        target = torch.softmax(s2[i, others] / ts, 0)
        logp = sim[i, others] - torch.logsumexp(sim[i, others], 0)
        total = total - (target * logp).sum()
    return total / n2


def leaf(x):
    return x.clone().detach().requires_grad_(True)


def rounded(v):
    # 10 significant digits: far below the tolerances tested (1e-5 values, 1e-4 gradients).
    if isinstance(v, list):
        return [rounded(x) for x in v]
    return float('%.10g' % v)


def tolist(x):
    return rounded(x.detach().tolist())


def caption_similarity(n, e=16):
    # Cosine similarity of random "caption embeddings": symmetric, unit diagonal, like real graphs.
    c = F.normalize(torch.randn(n, e, dtype=DT), dim=1)
    return c @ c.T


cases = []
for n, d in [(4, 3), (8, 16), (16, 32)]:
    for t in [0.05, 0.1, 0.5]:
        za, zb = torch.randn(n, d, dtype=DT), torch.randn(n, d, dtype=DT)
        labels = torch.randint(0, max(2, n // 3), (n,))
        s = caption_similarity(n)

        A, B = leaf(za), leaf(zb)
        v = ntxent(A, B, t)
        v.backward()
        cases.append(dict(loss='ntxent', n=n, d=d, temperature=t, zA=tolist(za), zB=tolist(zb),
                          value=v.item(), gradA=tolist(A.grad), gradB=tolist(B.grad)))

        for mode in ['all', 'cross']:
            for ts in [0.05, 0.1, 1.0]:
                A, B = leaf(za), leaf(zb)
                v = xclr(A, B, s, t, ts, mode)
                v.backward()
                cases.append(dict(loss='xclr', mode=mode, n=n, d=d, temperature=t, targetTemperature=ts,
                                  zA=tolist(za), zB=tolist(zb), similarity=tolist(s),
                                  value=v.item(), gradA=tolist(A.grad), gradB=tolist(B.grad)))

        for contrast_mode in ['all', 'one']:
            for two_views in [True, False]:
                A, B = leaf(za), leaf(zb)
                v = supcon(A, B if two_views else None, labels, t, 0.07, contrast_mode)
                v.backward()
                cases.append(dict(loss='supcon', contrastMode=contrast_mode, twoViews=two_views, n=n, d=d,
                                  temperature=t, baseTemperature=0.07, zA=tolist(za), zB=tolist(zb),
                                  labels=labels.tolist(), value=v.item(), gradA=tolist(A.grad),
                                  gradB=tolist(B.grad) if two_views else None))

        log_scale = torch.tensor(float(torch.log(torch.tensor(1 / t))), dtype=DT, requires_grad=True)
        A, B = leaf(za), leaf(zb)
        v = clip(A, B, torch.exp(log_scale))
        v.backward()
        cases.append(dict(loss='clip', n=n, d=d, logScale=log_scale.item(), zA=tolist(za), zB=tolist(zb),
                          value=v.item(), gradA=tolist(A.grad), gradB=tolist(B.grad),
                          gradLogScale=log_scale.grad.item()))

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'reference.json')
with open(out, 'w') as f:
    json.dump({'generator': 'scripts/make_fixtures.py', 'torch': torch.__version__, 'cases': cases}, f)
print(f'wrote {len(cases)} cases to {os.path.normpath(out)}')
