#!/usr/bin/python3
"""The PyTorch round trip's first half (tests/models/torch_roundtrip.sh): a
small CNN with padding, batch norm and a residual block (ResNet's basic block:
relu(bn(conv(relu(bn(conv(x))))) + x)) trained in PyTorch (Debian's
python3-torch, CPU) on Fashion-MNIST for one epoch, exported as float ONNX
(opset 13), and its own test accuracy.

    torch_cnn.py FOLDER [--data /usr/share/datasets/fashion-mnist] [--epochs 1] [--seed 1]

Writes FOLDER/cnn.onnx and FOLDER/torch.json ({"accuracy": ..., "mean": ..., "std": ...}).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_graphs import idx  # noqa: E402  (the IDX reader the ONNX test graphs use)


class BasicBlock(nn.Module):
    """ResNet's basic block with an identity shortcut."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        out = nn.functional.relu(self.bn1(self.conv1(x)))
        return nn.functional.relu(self.bn2(self.conv2(out)) + x)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            BasicBlock(8),
            nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.folder, exist_ok=True)
    torch.manual_seed(a.seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    mean, std = 0.2860, 0.3530  # torchvision's Normalize for Fashion-MNIST
    load = lambda name: idx(os.path.join(a.data, name))
    train_x = torch.tensor((load("train-images-idx3-ubyte.gz") / 255.0 - mean) / std, dtype=torch.float32)[:, None]
    train_y = torch.tensor(load("train-labels-idx1-ubyte.gz").astype(np.int64))
    test_x = torch.tensor((load("t10k-images-idx3-ubyte.gz") / 255.0 - mean) / std, dtype=torch.float32)[:, None]
    test_y = torch.tensor(load("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    model = Cnn()
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    for _ in range(a.epochs):
        model.train()
        order = torch.randperm(len(train_x))
        for start in range(0, len(order), 64):
            i = order[start:start + 64]
            optimiser.zero_grad()
            loss = nn.functional.cross_entropy(model(train_x[i]), train_y[i])
            loss.backward()
            optimiser.step()
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(test_x[s:s + 1000]).argmax(1) for s in range(0, len(test_x), 1000)])
    accuracy = float((predicted == test_y).float().mean())
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), os.path.join(a.folder, "cnn.onnx"), opset_version=13,
                      input_names=["image"], output_names=["scores"], dynamic_axes={"image": {0: "batch"}})
    with open(os.path.join(a.folder, "torch.json"), "w") as f:
        json.dump({"accuracy": accuracy, "mean": mean, "std": std, "epochs": a.epochs,
                   "torch": torch.__version__}, f, indent=1)
    print("PyTorch test accuracy {:.4f} (torch {})".format(accuracy, torch.__version__))


if __name__ == "__main__":
    main()
