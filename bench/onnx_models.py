#!/usr/bin/env python3
"""Exports the ONNX import bench's models into the folder given (torch.onnx.export, opset 13,
dynamic batch and time): a MatchboxNet-like keyword spotter of about 1 MB of float32 weights
(64 MFCC features, 128 channels, separable blocks with BatchNorm kept by TrainingMode.PRESERVE)
and a CRNN (conv front end, GRU, per-frame logits). Run with Debian's python3-torch:
    /usr/bin/python3 bench/onnx_models.py bench/out/onnx_import
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spec",
                                "fixtures", "onnx"))
from make_onnx_fixtures import SeparableBlock  # noqa: E402

FEATURES = 64


class Matchbox(nn.Module):
    def __init__(self, channels=128, blocks=5, classes=12):
        super().__init__()
        self.prologue = nn.Conv1d(FEATURES, channels, 11, padding=5)
        self.blocks = nn.Sequential(*[SeparableBlock(channels, channels, 13) for _ in range(blocks)])
        self.epilogue = nn.Conv1d(channels, classes, 1)

    def forward(self, x):
        x = self.blocks(F.relu(self.prologue(x)))
        return self.epilogue(x).mean(dim=-1)


class Crnn(nn.Module):
    def __init__(self, channels=64, hidden=64, classes=12):
        super().__init__()
        self.conv = nn.Conv1d(FEATURES, channels, 5, padding=2)
        self.gru = nn.GRU(channels, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, classes)

    def forward(self, x):
        y, _ = self.gru(F.relu(self.conv(x)).transpose(1, 2))
        return self.fc(y)


def main():
    folder = sys.argv[1]
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(0)
    for name, model in [("matchbox", Matchbox()), ("crnn", Crnn())]:
        path = os.path.join(folder, f"{name}.onnx")
        torch.onnx.export(model.eval(), torch.randn(1, FEATURES, 100), path, opset_version=13,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch", 2: "time"}},
                          training=torch.onnx.TrainingMode.PRESERVE)
        print(name, os.path.getsize(path))


if __name__ == "__main__":
    main()
