#!/usr/bin/env python3
"""PyTorch reference rows for `npm run bench` (one thread, and one a core; float32,
channels-first as PyTorch works): depthwise Conv1d(groups=C) then pointwise Conv1d(k=1), forward
and one training step. Prints one JSON list. Optional: bench/bench.mjs runs it only when
/usr/bin/python3 has torch.

`torch_ref.py --onnx DIR` instead writes, for each shape, the same two convolutions as
DIR/<shape>.onnx (torch.onnx.export, opset 13, static shapes; no `onnx` package needed) and
their weights as raw float32 in PyTorch's layouts, DIR/<shape>.dw.bin [C, 1, K] and
DIR/<shape>.pw.bin [O, C, 1], so the ONNX Runtime rows and ours run the same weights."""
import json
import os
import statistics
import sys
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


def convolutions(c, k, o, d, s, pad):
    padding = (d * (k - 1)) // 2 if pad == "same" else 0  # odd effective widths here
    depthwise = torch.nn.Conv1d(c, c, k, stride=s, padding=padding, dilation=d, groups=c, bias=False)
    pointwise = torch.nn.Conv1d(c, o, 1, bias=False)
    return depthwise, pointwise


def export_onnx(folder):
    os.makedirs(folder, exist_ok=True)
    for i, (name, b, l, c, k, o, d, s, pad) in enumerate(SHAPES):
        torch.manual_seed(i)
        depthwise, pointwise = convolutions(c, k, o, d, s, pad)
        model = torch.nn.Sequential(depthwise, pointwise).eval()
        torch.onnx.export(model, torch.zeros(b, c, l), os.path.join(folder, f"{name}.onnx"),
                          opset_version=13, input_names=["x"], output_names=["y"])
        for part, conv in (("dw", depthwise), ("pw", pointwise)):
            with open(os.path.join(folder, f"{name}.{part}.bin"), "wb") as f:
                f.write(conv.weight.detach().contiguous().numpy().astype("<f4").tobytes())


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--onnx":
        export_onnx(sys.argv[2])
        return
    rows = []
    for threads in sorted({1, os.cpu_count() or 1}):
        torch.set_num_threads(threads)
        rows.extend(timed_rows(threads))
    print(json.dumps(rows))


def timed_rows(threads):
    rows = []
    for name, b, l, c, k, o, d, s, pad in SHAPES:
        depthwise, pointwise = convolutions(c, k, o, d, s, pad)
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
