#!/usr/bin/env python3
"""The ONNX side of bench/layers.ts: `layers_onnx.py DIR` writes, with torch.onnx.export
(opset 13, static shapes), DIR/causal_conv.onnx (a causal Conv1d, K = 3, dilation 4, 64 -> 64,
L = 16000: zeros on the left, then the convolution) and DIR/gru.onnx (nn.GRU, 64 -> 64 units,
1000 frames, the whole sequence out), and their weights as raw float32 in Keras's layouts,
so that the package's layers and ONNX Runtime run the same weights:
causal_conv.kernel.bin [K, C, F], causal_conv.bias.bin [F]; gru.kernel.bin [I, 3H],
gru.recurrent_kernel.bin [H, 3H], gru.bias.bin [2, 3H] (gates z, r, h)."""
import os
import sys

import torch
import torch.nn.functional as F


class CausalConv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(64, 64, 3, dilation=4)

    def forward(self, x):
        return self.conv(F.pad(x, (8, 0)))


class Gru(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(64, 64, batch_first=True)

    def forward(self, x):
        return self.gru(x)[0]


def keras_gates(t, h):
    return torch.cat([t[h:2 * h], t[:h], t[2 * h:]])


def save(folder, name, t):
    t.detach().contiguous().numpy().astype("float32").tofile(os.path.join(folder, name))


def main(folder):
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(0)
    conv = CausalConv().eval()
    torch.onnx.export(conv, torch.randn(1, 64, 16000), os.path.join(folder, "causal_conv.onnx"),
                      input_names=["x"], output_names=["y"], opset_version=13)
    save(folder, "causal_conv.kernel.bin", conv.conv.weight.permute(2, 1, 0))
    save(folder, "causal_conv.bias.bin", conv.conv.bias)
    gru = Gru().eval()
    torch.onnx.export(gru, torch.randn(1, 1000, 64), os.path.join(folder, "gru.onnx"),
                      input_names=["x"], output_names=["y"], opset_version=13)
    g, h = gru.gru, 64
    save(folder, "gru.kernel.bin", keras_gates(g.weight_ih_l0, h).t())
    save(folder, "gru.recurrent_kernel.bin", keras_gates(g.weight_hh_l0, h).t())
    save(folder, "gru.bias.bin", torch.stack([keras_gates(g.bias_ih_l0, h),
                                              keras_gates(g.bias_hh_l0, h)]))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join("bench", "out", "layers_onnx"))
