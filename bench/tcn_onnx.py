#!/usr/bin/env python3
"""The bench TCN (bench/streaming.ts) as ONNX files for ONNX Runtime, from the tfjs model's own
weights: `python3 bench/tcn_onnx.py weights.json out_dir window_frames sequence_frames`.
weights.json (written by bench/streaming.ts): the input 1x1 conv and the dense head as tfjs
arrays, each residual block's DepthSeparableConv1d as the package's `toTorchStateDict`.
Writes tcn_window.onnx ([1, 1, window]) and tcn_sequence.onnx ([1, 1, sequence]), channels-first
as PyTorch works (torch.onnx.export, opset 13, static shapes), and prints a JSON line with the
torch output of a ramp, to check the files against the tfjs model."""
import json
import sys

import torch
import torch.nn.functional as F


def tensor(entry):
    return torch.tensor(entry["data"], dtype=torch.float32).reshape(entry["shape"])


class Tcn(torch.nn.Module):
    def __init__(self, weights):
        super().__init__()
        # tfjs conv1d kernel [K=1, 1, C] -> torch [C, 1, 1]; dense kernel [C, O] -> [O, C, 1].
        self.inp_w = torch.nn.Parameter(tensor(weights["input"]["kernel"]).permute(2, 1, 0).contiguous())
        self.inp_b = torch.nn.Parameter(tensor(weights["input"]["bias"]))
        self.blocks = []
        for i, block in enumerate(weights["blocks"]):
            dw = torch.nn.Parameter(tensor(block["depthwise.weight"]))
            pw = torch.nn.Parameter(tensor(block["pointwise.weight"]))
            pb = torch.nn.Parameter(tensor(block["pointwise.bias"]))
            for name, p in (("dw", dw), ("pw", pw), ("pb", pb)):
                self.register_parameter(f"b{i}_{name}", p)
            self.blocks.append((dw, pw, pb, block["dilation"]))
        self.head_w = torch.nn.Parameter(tensor(weights["head"]["kernel"]).t().unsqueeze(2).contiguous())
        self.head_b = torch.nn.Parameter(tensor(weights["head"]["bias"]))

    def forward(self, x):
        t = F.conv1d(x, self.inp_w, self.inp_b)
        for dw, pw, pb, d in self.blocks:
            # Causal: 2 * d zeros on the left, as the layer's 'causal' padding.
            y = F.conv1d(F.pad(t, (2 * d, 0)), dw, None, dilation=d, groups=dw.shape[0])
            t = t + torch.relu(F.conv1d(y, pw, pb))
        return F.conv1d(t, self.head_w, self.head_b)


def main():
    weights_path, out_dir, window, sequence = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    with open(weights_path) as f:
        weights = json.load(f)
    model = Tcn(weights).eval()
    for name, frames in (("window", window), ("sequence", sequence)):
        example = torch.zeros(1, 1, frames)
        torch.onnx.export(model, example, f"{out_dir}/tcn_{name}.onnx", opset_version=13,
                          input_names=["x"], output_names=["y"])
    ramp = torch.linspace(-1, 1, window).reshape(1, 1, window)
    with torch.no_grad():
        print(json.dumps({"ramp": model(ramp)[0].t().reshape(-1).tolist()}))


if __name__ == "__main__":
    main()
