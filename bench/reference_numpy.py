"""Reference for `npm run bench`: a straightforward vectorised numpy/OpenBLAS implementation of
the inter-sample entropy exactly as docs/estimators.md defines it (the kind of code a
researcher would write). Reads X.npy, prints JSON {entropyBits, seconds, peakRssMB}.
Usage: python3 reference_numpy.py X.npy K
"""
import json
import resource
import sys
import time

import numpy as np


def inter_sample_entropy(x, k):
    n = x.shape[0]
    K = min(k, n - 1)
    if K < 2:
        return None
    sq = np.einsum("ij,ij->i", x, x)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (x @ x.T)
    np.maximum(d2, 0, out=d2)
    np.fill_diagonal(d2, np.inf)
    nn = np.argpartition(d2, K - 1, axis=1)[:, :K]
    d = np.sqrt(np.take_along_axis(d2, nn, axis=1))
    target = np.log2(K)
    # Bisection on sigma for all rows at once, 64 halvings of a bracket that contains the root.
    lo = np.full(n, 1e-12)
    hi = np.maximum(d.max(axis=1), 1e-12) * 64.0
    for _ in range(64):
        mid = (lo + hi) / 2
        s = np.exp(-d / mid[:, None]).sum(axis=1)
        too_big = s > target
        hi = np.where(too_big, mid, hi)
        lo = np.where(too_big, lo, mid)
    sigma = (lo + hi) / 2
    w = np.exp(-d / sigma[:, None])
    P = np.zeros((n, n))
    np.put_along_axis(P, nn, w, axis=1)
    P = (P + P.T) / (2 * n)
    P /= P.sum()
    p = P[P > 0]
    return float(-(p * np.log2(p)).sum())


def main():
    x = np.load(sys.argv[1]).astype(np.float64)
    x = x.reshape(x.shape[0], -1)
    k = int(sys.argv[2])
    t = time.perf_counter()
    h = inter_sample_entropy(x, k)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"entropyBits": h, "seconds": seconds, "peakRssMB": peak}))


if __name__ == "__main__":
    main()
