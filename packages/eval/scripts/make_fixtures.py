#!/usr/bin/env python3
"""Reference kNN and linear-probe results for @xclr/eval, in numpy float64.

Run: /usr/bin/python3 scripts/make_fixtures.py   (Debian's python3-numpy)
Writes test/fixtures/reference.json with a fixed dataset (Gaussian class blobs) and the results.

- kNN: cosine similarity on L2-normalised rows; each of the k nearest training rows votes for its
  class with weight exp(similarity / T) (Wu et al. 2018, InstDisc; Caron et al. 2021, DINO's
  eval_knn.py); prediction = argmax of the votes (lowest class on ties).
- Linear probe: softmax regression on features standardised with the fitted rows' mean and
  (population) std + 1e-6; full-batch gradient descent with heavy-ball momentum on
  mean cross-entropy + wd/2 ||W||^2 (W only); every round(1/val_fraction)-th training row is held
  out; for each weight decay, the step with the best validation accuracy is kept (first maximum),
  and the best weight decay wins (first in grid order on ties).
"""
import json
import os

import numpy as np

rng = np.random.default_rng(20251129)
C, D = 8, 12
centers = rng.normal(size=(C, D)) * 1.2


def sample(n):
    y = rng.integers(0, C, size=n)
    x = centers[y] + rng.normal(size=(n, D))
    return x.astype(np.float32), y


xtr, ytr = sample(400)
xte, yte = sample(150)


def knn(xtr, ytr, xte, ks, T):
    a = xtr / np.linalg.norm(xtr, axis=1, keepdims=True)
    b = xte / np.linalg.norm(xte, axis=1, keepdims=True)
    sim = b @ a.T
    order = np.argsort(-sim, axis=1, kind='stable')
    out = {}
    for k in ks:
        preds = []
        for i in range(len(b)):
            votes = np.zeros(C)
            for j in order[i, :k]:
                votes[ytr[j]] += np.exp(sim[i, j] / T)
            preds.append(int(np.argmax(votes)))
        out[k] = {'accuracy': float(np.mean(np.array(preds) == yte)), 'predictions': preds}
    return out


def linear_probe(xtr, ytr, xte, yte, val_fraction, wds, epochs, lr, momentum):
    step = max(2, round(1 / val_fraction))
    val = [i for i in range(len(xtr)) if i % step == 0]
    fit = [i for i in range(len(xtr)) if i % step != 0]
    xf = xtr[fit].astype(np.float64)
    mean = xf.mean(axis=0)
    std = np.sqrt(((xf - mean) ** 2).mean(axis=0)) + 1e-6
    s = lambda x: (x.astype(np.float64) - mean) / std
    Xf, Xv, Xt = s(xtr[fit]), s(xtr[val]), s(xte)
    Y = np.eye(C)[ytr[fit]]
    best = (-1, None, None, None, None)
    for wd in wds:
        W = np.zeros((D, C)); b = np.zeros(C); vW = np.zeros_like(W); vb = np.zeros_like(b)
        for epoch in range(1, epochs + 1):
            z = Xf @ W + b
            p = np.exp(z - z.max(axis=1, keepdims=True)); p /= p.sum(axis=1, keepdims=True)
            diff = (p - Y) / len(fit)
            gW = Xf.T @ diff + wd * W
            gb = diff.sum(axis=0)
            vW = momentum * vW + gW; vb = momentum * vb + gb
            W = W - lr * vW; b = b - lr * vb
            acc = float(np.mean(np.argmax(Xv @ W + b, axis=1) == ytr[val]))
            if acc > best[0]:
                best = (acc, wd, epoch, W.copy(), b.copy())
    acc, wd, epoch, W, b = best
    logits = Xt @ W + b
    top = np.argsort(-logits, axis=1, kind='stable')
    return {'top1': float(np.mean(top[:, 0] == yte)), 'top5': float(np.mean([yte[i] in top[i, :5] for i in range(len(yte))])),
            'weightDecay': wd, 'epoch': epoch, 'valAccuracy': acc}


ks = [1, 5, 20]
result = {
    'generator': 'scripts/make_fixtures.py',
    'numClasses': C, 'dim': D,
    'train': {'x': xtr.ravel().tolist(), 'y': ytr.tolist()},
    'test': {'x': xte.ravel().tolist(), 'y': yte.tolist()},
    'knn': {'ks': ks, 'temperature': 0.07, 'results': knn(xtr, ytr, xte, ks, 0.07)},
    'linear': {'options': {'valFraction': 0.1, 'weightDecays': [0, 1e-3, 1e-1], 'epochs': 60, 'learningRate': 0.1, 'momentum': 0.9},
               'result': linear_probe(xtr, ytr, xte, yte, 0.1, [0, 1e-3, 1e-1], 60, 0.1, 0.9)},
}
out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'reference.json')
with open(out, 'w') as f:
    json.dump(result, f)
print('wrote', os.path.normpath(out), result['linear']['result'], {k: v['accuracy'] for k, v in result['knn']['results'].items()})
