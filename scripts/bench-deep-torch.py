"""PyTorch's own eval forward pass of a bench-deep.py model (the same seeded weights), the peer of the
native engine's forward-pass line (bench/deepBench.ts): prints one JSON line
{"threads": T, "ms": median of 3 after a warm-up} per thread count asked.

    /usr/bin/python3 scripts/bench-deep-torch.py --model resnet18 --size 32 --inputs 200 --threads 1,2
"""

import argparse
import importlib.util
import json
import os
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--inputs", type=int, required=True)
    parser.add_argument("--threads", default="1,2")
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("bench_deep", os.path.join(HERE, "bench-deep.py"))
    deep = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(deep)
    torch.manual_seed(67)
    model, _ = deep.make_model(args.model)
    model.eval()
    x = torch.rand(args.inputs, 3, args.size, args.size, generator=torch.Generator().manual_seed(1))
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        times = []
        with torch.no_grad():
            model(x)
            for _ in range(3):
                t0 = time.perf_counter()
                model(x)
                times.append((time.perf_counter() - t0) * 1000)
        print(json.dumps({"threads": threads, "ms": sorted(times)[1]}), flush=True)


if __name__ == "__main__":
    main()
