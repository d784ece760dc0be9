#!/usr/bin/env python3
"""Reference values and gradients of VICReg and Barlow Twins for @xclr/losses, PyTorch float64.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/make_vicreg_barlow_fixtures.py
Writes test/fixtures/vicreg-barlow.json. Written from the papers' formulas and lightly's
structure, independently of the TypeScript code (no Gram-matrix tricks, explicit loops over
sample pairs for the graph forms):

- vicreg (Bardes et al. 2022; lightly.loss.VICRegLoss, the authors' main_vicreg.py):
    lam * mse(za, zb)
  + mu  * (v(za) + v(zb)) / 2,  v(z) = mean_d relu(gamma - sqrt(var_d(z) + eps)), var unbiased
  + nu  * (c(za) + c(zb)),      c(z) = sum_{d != e} cov(z)_de^2 / D, cov with 1 / (N - 1)
- barlow (Zbontar et al. 2021; lightly.loss.BarlowTwinsLoss since lightly PR #1806, the authors'
  BatchNorm1d(affine=False)): each view batch-normalised per dimension over the batch (biased
  variance, eps 1e-5), c = za_n^T zb_n / N, loss = sum_d (1 - c_dd)^2 + lam * sum_{d != e} c_de^2.
- vicreg-graph: the invariance term over a sample graph G (view A of i against view B of j):
    sum_ij G_ij ||za_i - zb_j||^2 / (N D), variance and covariance unchanged.
- barlow-graph: c_G = sum_ij G_ij outer(za_n[i], zb_n[j]) / N in place of c.
  For both, G is the similarity as given, or its row softmax at targetTemperature.

Gradients come from autograd; torch.autograd.gradcheck checks a few of them numerically.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20250601)
DT = torch.float64


def vicreg_terms(za, zb, gamma, eps):
    n, d = za.shape

    def variance(z):
        std = torch.sqrt(z.var(dim=0) + eps)  # unbiased, as torch.var and the authors' code
        return F.relu(gamma - std).mean()

    def covariance(z):
        z = z - z.mean(dim=0)
        cov = z.T @ z / (n - 1)
        off = cov[~torch.eye(d, dtype=torch.bool)]
        return off.pow(2).sum() / d

    return 0.5 * (variance(za) + variance(zb)), covariance(za) + covariance(zb)


def vicreg(za, zb, lam=25.0, mu=25.0, nu=1.0, gamma=1.0, eps=1e-4):
    var, cov = vicreg_terms(za, zb, gamma, eps)
    return lam * F.mse_loss(za, zb) + mu * var + nu * cov


def graph_of(similarity, target_temperature):
    if target_temperature is None:
        return similarity
    return torch.softmax(similarity / target_temperature, dim=1)


def vicreg_graph(za, zb, g, lam=25.0, mu=25.0, nu=1.0, gamma=1.0, eps=1e-4):
    n, d = za.shape
    inv = 0.0
    for i in range(n):
        for j in range(n):
            inv = inv + g[i, j] * (za[i] - zb[j]).pow(2).sum()
    var, cov = vicreg_terms(za, zb, gamma, eps)
    return lam * inv / (n * d) + mu * var + nu * cov


def batch_norm(z, eps):
    return F.batch_norm(z, None, None, training=True, eps=eps)  # biased variance over the batch


def barlow_from(c, lam):
    on_diag = (torch.diagonal(c) - 1).pow(2).sum()
    off_diag = c[~torch.eye(c.shape[0], dtype=torch.bool)].pow(2).sum()
    return on_diag + lam * off_diag


def barlow(za, zb, lam=5e-3, eps=1e-5):
    n = za.shape[0]
    return barlow_from(batch_norm(za, eps).T @ batch_norm(zb, eps) / n, lam)


def barlow_graph(za, zb, g, lam=5e-3, eps=1e-5):
    n, d = za.shape
    a, b = batch_norm(za, eps), batch_norm(zb, eps)
    c = torch.zeros(d, d, dtype=DT)
    for i in range(n):
        for j in range(n):
            c = c + g[i, j] * torch.outer(a[i], b[j])
    return barlow_from(c / n, lam)


def rounded(v):
    if isinstance(v, list):
        return [rounded(x) for x in v]
    return float('%.10g' % v)  # far below the tolerances tested


def tolist(x):
    return rounded(x.detach().tolist())


def views(n, d):
    # Per-dimension scales from 0.3 to 1.8: the variance hinge is active for some dimensions only.
    scale = torch.linspace(0.3, 1.8, d, dtype=DT)
    za = torch.randn(n, d, dtype=DT) * scale + 0.5
    zb = za + 0.7 * torch.randn(n, d, dtype=DT) * scale
    return za, zb


def class_graph(n, classes=3, e=12):
    # A class-description-like graph: cosine similarity of per-class "description" embeddings.
    labels = torch.arange(n) % classes
    desc = F.normalize(torch.randn(classes, e, dtype=DT) + 1.0, dim=1)
    return (desc @ desc.T)[labels][:, labels]


SIZES = [(2, 3), (3, 7), (4, 3), (8, 16), (16, 8), (6, 40), (12, 12)]
# At N = 2 batch normalisation maps every dimension to +-1 whatever the data: Barlow Twins'
# gradient there is O(eps), below what float32 resolves, so its cases start at N = 3.
BARLOW_MIN_N = 3
VICREG_OPTIONS = [{}, dict(invarianceWeight=1.0, varianceWeight=2.0, covarianceWeight=0.5, varianceTarget=0.8, epsilon=1e-3)]
BARLOW_OPTIONS = [{}, dict(redundancyWeight=0.05, epsilon=1e-3)]


def vicreg_kwargs(o):
    return dict(lam=o.get('invarianceWeight', 25.0), mu=o.get('varianceWeight', 25.0), nu=o.get('covarianceWeight', 1.0),
                gamma=o.get('varianceTarget', 1.0), eps=o.get('epsilon', 1e-4))


def barlow_kwargs(o):
    return dict(lam=o.get('redundancyWeight', 5e-3), eps=o.get('epsilon', 1e-5))


def run(fn, za, zb):
    a = za.clone().requires_grad_(True)
    b = zb.clone().requires_grad_(True)
    v = fn(a, b)
    v.backward()
    return v.item(), a.grad, b.grad


cases = []
checked = 0
for n, d in SIZES:
    za, zb = views(n, d)
    graphs = {'identity': torch.eye(n, dtype=DT), 'class': class_graph(n)}
    for o in VICREG_OPTIONS:
        v, ga, gb = run(lambda a, b: vicreg(a, b, **vicreg_kwargs(o)), za, zb)
        cases.append(dict(loss='vicreg', n=n, d=d, options=o, zA=tolist(za), zB=tolist(zb), value=v,
                          gradA=tolist(ga), gradB=tolist(gb)))
    for o in BARLOW_OPTIONS if n >= BARLOW_MIN_N else []:
        v, ga, gb = run(lambda a, b: barlow(a, b, **barlow_kwargs(o)), za, zb)
        cases.append(dict(loss='barlow', n=n, d=d, options=o, zA=tolist(za), zB=tolist(zb), value=v,
                          gradA=tolist(ga), gradB=tolist(gb)))
    for graph, s in graphs.items():
        for ts in [None, 0.1] if graph == 'class' else [None]:
            g = graph_of(s, ts)
            extra = {} if ts is None else dict(targetTemperature=ts)
            for loss, fn, kwargs, opts in [('vicreg-graph', vicreg_graph, vicreg_kwargs, VICREG_OPTIONS[:1]),
                                           ('barlow-graph', barlow_graph, barlow_kwargs,
                                            BARLOW_OPTIONS if n >= BARLOW_MIN_N else [])]:
                for o in opts:
                    v, ga, gb = run(lambda a, b: fn(a, b, g, **kwargs(o)), za, zb)
                    cases.append(dict(loss=loss, graph=graph, n=n, d=d, options={**o, **extra}, zA=tolist(za),
                                      zB=tolist(zb), similarity=tolist(s), value=v, gradA=tolist(ga), gradB=tolist(gb)))
    if n <= 8:  # numerical check of the autograd gradients
        g = graph_of(graphs['class'], 0.1)
        for fn in [vicreg, barlow, lambda a, b: vicreg_graph(a, b, g), lambda a, b: barlow_graph(a, b, g)]:
            assert torch.autograd.gradcheck(fn, (za.clone().requires_grad_(True), zb.clone().requires_grad_(True)))
            checked += 1

# With G = identity the graph forms are the standard forms (Theorem 1 with the augmentation graph).
for c in cases:
    if c.get('graph') == 'identity':
        twin = next(x for x in cases if x['loss'] == c['loss'].replace('-graph', '') and x['n'] == c['n']
                    and x['d'] == c['d'] and x['options'] == c['options'])
        assert abs(twin['value'] - c['value']) <= 1e-12 * abs(c['value']), (c['loss'], c['n'], c['d'])

out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'vicreg-barlow.json')
with open(out, 'w') as f:
    json.dump({'generator': 'scripts/make_vicreg_barlow_fixtures.py', 'torch': torch.__version__, 'cases': cases}, f)
print(f'wrote {len(cases)} cases to {os.path.normpath(out)} ({checked} gradients checked numerically)')
