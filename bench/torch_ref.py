#!/usr/bin/env python3
"""PyTorch reference rows for `npm run bench` (one thread, and one a core; float32,
channels-first as PyTorch works): depthwise Conv1d(groups=C) then pointwise Conv1d(k=1), forward
and one training step. Prints one JSON list. Optional: bench/bench.mjs runs it only when
/usr/bin/python3 has torch."""
import json
import os
import statistics
import time

import torch

SHAPES = [("A", 8, 1024, 64, 9, 128, 1, 1, "same"), ("B", 32, 256, 128, 3, 128, 1, 1, "same"),
          ("C", 1, 16000, 32, 15, 64, 4, 1, "same"), ("D", 64, 128, 16, 5, 32, 1, 2, "valid")]


def median_ms(fn, reps=7):
    fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    rows = []
    for threads in sorted({1, os.cpu_count() or 1}):
        torch.set_num_threads(threads)
        rows.extend(timed_rows(threads))
    print(json.dumps(rows))


def timed_rows(threads):
    rows = []
    for name, b, l, c, k, o, d, s, pad in SHAPES:
        padding = (d * (k - 1)) // 2 if pad == "same" else 0  # odd effective widths here
        depthwise = torch.nn.Conv1d(c, c, k, stride=s, padding=padding, dilation=d, groups=c, bias=False)
        pointwise = torch.nn.Conv1d(c, o, 1, bias=False)
        x = torch.randn(b, c, l, requires_grad=True)

        def fwd():
            with torch.no_grad():
                pointwise(depthwise(x))

        def step():
            for p in (x, depthwise.weight, pointwise.weight):
                p.grad = None
            pointwise(depthwise(x)).sum().backward()

        rows.append({"where": f"PyTorch {threads} thread{'' if threads == 1 else 's'}",
                     "threads": threads, "shape": name, "oursFwd": median_ms(fwd),
                     "oursTrain": median_ms(step)})
    return rows


if __name__ == "__main__":
    main()
