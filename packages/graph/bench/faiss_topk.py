#!/usr/bin/env python3
"""FAISS reference for the @xclr/graph top-k bench: IndexFlatIP (exact inner product) over the
same unit vectors, the first Q rows as queries against all N rows, k + 1 neighbours (self included,
as the xclr engines also ask for k + 1 and drop self). Debian: apt-get install python3-faiss
libopenblas0-pthread.

  /usr/bin/python3 faiss_topk.py FILE.f32 N DIM Q K   -> one JSON line: {seconds, neighbors of row 0}
"""
import json
import sys
import time

import faiss
import numpy as np

path, n, dim, q, k = sys.argv[1], *map(int, sys.argv[2:6])
x = np.fromfile(path, dtype=np.float32).reshape(n, dim)
t0 = time.perf_counter()
index = faiss.IndexFlatIP(dim)
index.add(x)
scores, ids = index.search(x[:q], k + 1)
seconds = time.perf_counter() - t0
print(json.dumps({'seconds': seconds, 'threads': faiss.omp_get_max_threads(), 'version': faiss.__version__, 'ids': ids.tolist()}))
