#!/usr/bin/env python3
"""The models of bench/streaming_limit.ts as ONNX files for ONNX Runtime, from the tfjs models'
own weights: `python3 bench/limit_onnx.py graph.json out.onnx`.

graph.json (written by bench/streaming_limit.ts) lists the model's layers in order, each with its
class name, inbound layers, config and weights, and says what an ONNX Runtime user runs per new
frame:
- mode "window": the last `frames` input frames through the model as it was built (its padding),
  a global average pooling as the mean of the last `pool` frames; input x [1, frames, C].
- mode "step": the last `frames` input frames with no padding (the convolutions give one frame)
  and the recurrent layer's state h in and out; inputs x [1, frames, C] and h [1, units],
  outputs y and h_out, so that the caller feeds h back.
Channels-last throughout, as the stream's Float32Array frames. torch.onnx.export, opset 13,
static shapes."""
import json
import sys

import torch
import torch.nn.functional as F


def tensor(entry):
    return torch.tensor(entry["data"], dtype=torch.float32).reshape(entry["shape"])


def scalar(v):
    return v[0] if isinstance(v, list) else v


def activate(name, x):
    name = name or "linear"
    if name == "linear":
        return x
    if name == "relu":
        return torch.relu(x)
    if name == "sigmoid":
        return torch.sigmoid(x)
    if name == "hardSigmoid":
        return torch.clamp(0.2 * x + 0.5, 0, 1)
    if name == "tanh":
        return torch.tanh(x)
    if name == "softmax":
        return torch.softmax(x, dim=-1)
    raise ValueError(f"limit_onnx.py: activation {name} is not mapped")


class Graph(torch.nn.Module):
    """The layer list run in order; each layer's output kept under its name."""

    def __init__(self, graph):
        super().__init__()
        self.graph = graph
        self.step = graph["mode"] == "step"
        self.params = torch.nn.ParameterDict()
        for i, node in enumerate(graph["nodes"]):
            for key, entry in node["weights"].items():
                self.params[f"n{i}_{key}"] = torch.nn.Parameter(tensor(entry), requires_grad=False)

    def w(self, i, key):
        return self.params[f"n{i}_{key}"]

    def conv(self, i, node, x, depthwise):
        c = node["config"]
        k = scalar(c["kernelSize"])
        d = scalar(c.get("dilationRate", 1))
        total = 0 if self.step else {"causal": (k - 1) * d, "same": (k - 1) * d, "valid": 0}[c["padding"]]
        left = total if c["padding"] == "causal" else total // 2
        t = F.pad(x.transpose(1, 2), (left, total - left))
        if depthwise:
            # tfjs [K, C, m] -> torch [C * m, 1, K]: output channel c * m + j, as tfjs orders it.
            dw = self.w(i, "depthwise_kernel")
            channels = dw.shape[1]
            t = F.conv1d(t, dw.permute(1, 2, 0).reshape(-1, 1, k), None, dilation=d, groups=channels)
            kernel = self.w(i, "pointwise_kernel")
        else:
            kernel = self.w(i, "kernel")
            if k > 1:
                t = F.conv1d(t, kernel.permute(2, 1, 0), None, dilation=d)
                kernel = None
        y = t.transpose(1, 2)
        if kernel is not None:
            y = y @ kernel.reshape(-1, kernel.shape[-1])
        if "bias" in node["weights"]:
            y = y + self.w(i, "bias")
        return activate(c.get("activation"), y)

    def gru(self, i, node, x, h):
        c = node["config"]
        u = c["units"]
        kernel, recurrent = self.w(i, "kernel"), self.w(i, "recurrent_kernel")
        bias = self.w(i, "bias").reshape(2, 3 * u)
        rec = c.get("recurrentActivation", "hardSigmoid")
        outputs = []
        for t in range(x.shape[1]):
            fx = x[:, t] @ kernel + bias[0]
            fh = h @ recurrent + bias[1]
            z = activate(rec, fx[:, :u] + fh[:, :u])
            r = activate(rec, fx[:, u:2 * u] + fh[:, u:2 * u])
            hh = activate(c.get("activation", "tanh"), fx[:, 2 * u:] + r * fh[:, 2 * u:])
            h = z * h + (1 - z) * hh
            outputs.append(h)
        return torch.stack(outputs, 1), h

    def forward(self, x, h=None):
        values = {self.graph["input"]: x}
        state = None
        for i, node in enumerate(self.graph["nodes"]):
            kind = node["kind"]
            ins = [values[name] for name in node["inputs"]]
            c = node["config"]
            if kind == "Conv1D":
                y = self.conv(i, node, ins[0], False)
            elif kind in ("DepthSeparableConv1d", "SeparableConv1D"):
                y = self.conv(i, node, ins[0], True)
            elif kind == "BatchNormalization":
                scale = self.w(i, "gamma") / torch.sqrt(self.w(i, "moving_variance") + c["epsilon"])
                y = (ins[0] - self.w(i, "moving_mean")) * scale + self.w(i, "beta")
            elif kind == "ReLU":
                y = torch.relu(ins[0])
            elif kind == "Activation":
                y = activate(c["activation"], ins[0])
            elif kind == "Add":
                y = ins[0]
                for other in ins[1:]:
                    y = y + other
            elif kind == "GlobalAveragePooling1D":
                y = ins[0][:, -self.graph["pool"]:].mean(1)
            elif kind == "Dense":
                y = ins[0] @ self.w(i, "kernel")
                if "bias" in node["weights"]:
                    y = y + self.w(i, "bias")
                y = activate(c.get("activation"), y)
            elif kind == "GRU":
                if not c.get("resetAfter"):
                    raise ValueError("limit_onnx.py: only the GRU with resetAfter is mapped")
                start = h if h is not None else torch.zeros(1, c["units"])
                y, state = self.gru(i, node, ins[0], start)
            else:
                raise ValueError(f"limit_onnx.py: layer kind {kind} is not mapped")
            values[node["name"]] = y
        out = values[self.graph["nodes"][-1]["name"]]
        return (out, state) if self.step else out


def main():
    graph_path, out_path = sys.argv[1], sys.argv[2]
    with open(graph_path) as f:
        graph = json.load(f)
    model = Graph(graph).eval()
    x = torch.zeros(1, graph["frames"], graph["channels"])
    if graph["mode"] == "step":
        h = torch.zeros(1, graph["units"])
        torch.onnx.export(model, (x, h), out_path, opset_version=13,
                          input_names=["x", "h"], output_names=["y", "h_out"])
    else:
        torch.onnx.export(model, (x,), out_path, opset_version=13,
                          input_names=["x"], output_names=["y"])


if __name__ == "__main__":
    main()
