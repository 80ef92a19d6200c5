#!/usr/bin/python3
"""The PyTorch round trip's first half (tests/models/torch_roundtrip.sh): a
small CNN with padding, batch norm and a residual block (ResNet's basic block:
relu(bn(conv(relu(bn(conv(x))))) + x)) trained in PyTorch (Debian's
python3-torch, CPU) on Fashion-MNIST for one epoch, exported as float ONNX
(opset 13), and its own test accuracy; then the same network quantised by
PyTorch's eager-mode static quantisation (conv + batch norm + ReLU fused, int8
weights per channel, uint8 activations calibrated on 2,000 training images)
and exported in the QDQ form, with the quantised model's own test accuracy.

    torch_cnn.py FOLDER [--data /usr/share/datasets/fashion-mnist] [--epochs 1] [--seed 1]

Writes FOLDER/cnn.onnx, FOLDER/cnn-qdq.onnx and FOLDER/torch.json
({"accuracy": ..., "qdq_accuracy": ..., "mean": ..., "std": ...}).
"""
import argparse
import copy
import json
import os
import sys

import numpy as np
import torch
import torch.ao.quantization as quantization
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_graphs import idx  # noqa: E402  (the IDX reader the ONNX test graphs use)


class BasicBlock(nn.Module):
    """ResNet's basic block with an identity shortcut (modules, so that eager-mode quantisation can fuse them)."""

    def __init__(self, channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.quantized.FloatFunctional()  # torch.add in float; a quantised add once converted
        self.relu2 = nn.ReLU()

    def forward(self, x):
        out = self.relu1(self.bn1(self.conv1(x)))
        return self.relu2(self.shortcut.add(self.bn2(self.conv2(out)), x))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = quantization.QuantStub()  # identities until the model is quantised
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.block = BasicBlock(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(16)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.head = nn.Linear(16 * 7 * 7, 10)
        self.dequant = quantization.DeQuantStub()

    def forward(self, x):
        x = self.pool1(self.relu1(self.bn1(self.conv1(self.quant(x)))))
        x = self.pool2(self.relu2(self.bn2(self.conv2(self.block(x)))))
        return self.dequant(self.head(torch.flatten(x, 1)))


def quantised(model, calibration):
    """PyTorch's eager-mode static quantisation of the trained model (fbgemm: int8 weights per channel)."""
    model = copy.deepcopy(model).eval()
    model.qconfig = quantization.get_default_qconfig("fbgemm")
    quantization.fuse_modules(model, [["conv1", "bn1", "relu1"], ["block.conv1", "block.bn1", "block.relu1"],
                                      ["block.conv2", "block.bn2"], ["conv2", "bn2", "relu2"]], inplace=True)
    quantization.prepare(model, inplace=True)
    with torch.no_grad():
        for start in range(0, len(calibration), 500):
            model(calibration[start:start + 500])
    quantization.convert(model, inplace=True)
    return model


def test_accuracy(model, test_x, test_y):
    with torch.no_grad():
        predicted = torch.cat([model(test_x[s:s + 1000]).argmax(1) for s in range(0, len(test_x), 1000)])
    return float((predicted == test_y).float().mean())


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
    accuracy = test_accuracy(model, test_x, test_y)
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), os.path.join(a.folder, "cnn.onnx"), opset_version=13,
                      input_names=["image"], output_names=["scores"], dynamic_axes={"image": {0: "batch"}})
    qmodel = quantised(model, train_x[:2000])
    qdq_accuracy = test_accuracy(qmodel, test_x, test_y)
    torch.onnx.export(qmodel, torch.zeros(1, 1, 28, 28), os.path.join(a.folder, "cnn-qdq.onnx"), opset_version=13,
                      input_names=["image"], output_names=["scores"])
    with open(os.path.join(a.folder, "torch.json"), "w") as f:
        json.dump({"accuracy": accuracy, "qdq_accuracy": qdq_accuracy, "mean": mean, "std": std,
                   "epochs": a.epochs, "torch": torch.__version__}, f, indent=1)
    print("PyTorch test accuracy {:.4f}, quantised (int8, QDQ export) {:.4f} (torch {})".format(
        accuracy, qdq_accuracy, torch.__version__))


if __name__ == "__main__":
    main()
