#!/usr/bin/python3
"""ONNX graphs for the importer's tests, built with Debian's python3-onnx
(onnx.helper) and numpy: networks trained here on Fashion-MNIST (so that
accuracies mean something), one graph per accepted op or pattern, and one per
refusal. Writes FOLDER/*.onnx and FOLDER/expected.json (each trained graph's
float accuracy on the first N test images, computed here with numpy).

    onnx_graphs.py FOLDER [--data /usr/share/datasets/fashion-mnist] [--test-images N]
"""
import argparse
import gzip
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def model(nodes, inits, name, inp=("image", [1, 1, 28, 28]), out=("scores", [1, 10]), opset=OPSET, ir=8,
          extra_inputs=()):
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info(inp[0], TensorProto.FLOAT, inp[1])] + list(extra_inputs),
        [helper.make_tensor_value_info(out[0], TensorProto.FLOAT, out[1])],
        [numpy_helper.from_array(v if np.asarray(v).dtype.kind in "iu" else np.asarray(v, np.float32), k)
         for k, v in inits.items()])
    m = helper.make_model(graph, producer_name="neuroppa-tests", opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir
    return m


def softmax_regression(features, labels, epochs=8, lr=0.5, seed=1):
    """A linear head trained by full-batch-ish SGD on fixed features."""
    rng = np.random.default_rng(seed)
    n, d = features.shape
    w = np.zeros((10, d), np.float32)
    b = np.zeros(10, np.float32)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, 256):
            i = order[start:start + 256]
            z = features[i] @ w.T + b
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(i)), labels[i]] -= 1
            w -= lr * (p.T @ features[i]) / len(i)
            b -= lr * p.mean(axis=0)
    return w, b


def conv(x, w, b, stride=1, pad=0):
    """x: N x C x H x W, w: M x C x k x k, zero padding on every side."""
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c, h, wd = x.shape
    m, _, k, _ = w.shape
    oh, ow = (h - k) // stride + 1, (wd - k) // stride + 1
    cols = np.empty((n, c * k * k, oh * ow), np.float32)
    for dy in range(k):
        for dx in range(k):
            patch = x[:, :, dy:dy + stride * oh:stride, dx:dx + stride * ow:stride]
            cols[:, np.arange(c) * k * k + dy * k + dx, :] = patch.reshape(n, c, oh * ow)
    return (np.einsum("mf,nfp->nmp", w.reshape(m, -1), cols) + b[None, :, None]).reshape(n, m, oh, ow)


def maxpool(x, k):
    n, c, h, w = x.shape
    return x[:, :, :h // k * k, :w // k * k].reshape(n, c, h // k, k, w // k, k).max(axis=(3, 5))


def avgpool(x, k):
    n, c, h, w = x.shape
    return x[:, :, :h // k * k, :w // k * k].reshape(n, c, h // k, k, w // k, k).mean(axis=(3, 5))


def accuracy(scores, labels):
    return float((scores.argmax(axis=1) == labels).mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--test-images", type=int, default=2000)
    ap.add_argument("--train-images", type=int, default=12000)
    a = ap.parse_args()
    os.makedirs(a.folder, exist_ok=True)
    rng = np.random.default_rng(7)
    train_x = idx(os.path.join(a.data, "train-images-idx3-ubyte.gz"))[:a.train_images].astype(np.float32)
    train_y = idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz"))[:a.train_images].astype(np.int64)
    test_x = idx(os.path.join(a.data, "t10k-images-idx3-ubyte.gz"))[:a.test_images].astype(np.float32)
    test_y = idx(os.path.join(a.data, "t10k-labels-idx1-ubyte.gz"))[:a.test_images].astype(np.int64)
    expected = {}
    save = lambda m, name: onnx.save(m, os.path.join(a.folder, name + ".onnx"))

    # 1. MLP 784-64-10 with torchvision's Normalize: Flatten, Gemm (transB), Relu, Gemm.
    #    Hidden layer: random projection + ReLU, head trained; then both layers' float network is the model.
    mean, std = 0.2860, 0.3530
    u_train = (train_x.reshape(len(train_x), -1) / 255 - mean) / std
    u_test = (test_x.reshape(len(test_x), -1) / 255 - mean) / std
    w1 = (rng.standard_normal((64, 784)) / np.sqrt(784)).astype(np.float32)
    b1 = (0.1 * rng.standard_normal(64)).astype(np.float32)
    h_train = np.maximum(u_train @ w1.T + b1, 0)
    w2, b2 = softmax_regression(h_train, train_y, lr=0.05)
    expected["mlp_normalized"] = accuracy(np.maximum(u_test @ w1.T + b1, 0) @ w2.T + b2, test_y)
    save(model([helper.make_node("Flatten", ["image"], ["flat"], axis=1, name="flatten"),
                helper.make_node("Gemm", ["flat", "w1", "b1"], ["z1"], transB=1, name="fc1"),
                helper.make_node("Relu", ["z1"], ["a1"], name="relu1"),
                helper.make_node("Gemm", ["a1", "w2", "b2"], ["scores"], transB=1, name="fc2")],
               {"w1": w1, "b1": b1, "w2": w2, "b2": b2}, "mlp_normalized"), "mlp_normalized")

    # 2. The same MLP written as MatMul + Add (weights K x N), Clip(0, 6) for the ReLU, Dropout and Identity
    #    skipped, a Softmax at the end, a flat [N, 784] input; Gemm's alpha and beta on the head.
    expected["mlp_matmul"] = expected["mlp_normalized"]
    save(model([helper.make_node("MatMul", ["image", "w1t"], ["m1"], name="matmul1"),
                helper.make_node("Add", ["m1", "b1"], ["z1"], name="add1"),
                helper.make_node("Clip", ["z1", "zero", "six"], ["a1"], name="relu6"),
                helper.make_node("Dropout", ["a1"], ["d1"], name="dropout"),
                helper.make_node("Identity", ["d1"], ["i1"], name="identity"),
                helper.make_node("Gemm", ["i1", "w2half", "b2half"], ["logits"], alpha=2.0, beta=2.0, name="fc2"),
                helper.make_node("Softmax", ["logits"], ["scores"], axis=1, name="softmax")],
               {"w1t": w1.T.copy(), "b1": b1, "zero": np.float32(0), "six": np.float32(6.0),
                "w2half": (w2.T / 2).copy(), "b2half": b2 / 2}, "mlp_matmul", inp=("image", [1, 784])),
         "mlp_matmul")

    # 3. CNN: Conv 8x3x3 padded by 1 + BatchNormalization + Relu + MaxPool 2, Conv 16x3x3 stride 1 + bias-free + Add bias
    #    + Relu + MaxPool 2, then torch's x.view(x.size(0), -1) (Shape, Gather, Unsqueeze, Concat, Reshape)
    #    and a trained head. Random convolutions are features enough for a linear head.
    c1 = (rng.standard_normal((8, 1, 3, 3)) / 3).astype(np.float32)
    c1b = (0.1 * rng.standard_normal(8)).astype(np.float32)
    gamma = (1 + 0.2 * rng.standard_normal(8)).astype(np.float32)
    beta = (0.1 * rng.standard_normal(8)).astype(np.float32)
    bn_mean = (0.1 * rng.standard_normal(8)).astype(np.float32)
    bn_var = (0.5 + rng.random(8)).astype(np.float32)
    c2 = (rng.standard_normal((16, 8, 3, 3)) / np.sqrt(72)).astype(np.float32)
    c2b = (0.05 * rng.standard_normal(16)).astype(np.float32)

    def features(x):
        z = conv(x[:, None] / 255, c1, c1b, pad=1)
        z = (z - bn_mean[None, :, None, None]) / np.sqrt(bn_var[None, :, None, None] + 1e-5) * \
            gamma[None, :, None, None] + beta[None, :, None, None]
        a = maxpool(np.maximum(z, 0), 2)
        a = maxpool(np.maximum(conv(a, c2, c2b), 0), 2)
        return a.reshape(len(x), -1)

    f_train = np.concatenate([features(train_x[i:i + 2000]) for i in range(0, len(train_x), 2000)])
    f_test = np.concatenate([features(test_x[i:i + 2000]) for i in range(0, len(test_x), 2000)])
    w3, b3 = softmax_regression(f_train, train_y, lr=0.2)
    expected["cnn_bn"] = accuracy(f_test @ w3.T + b3, test_y)
    save(model([helper.make_node("Conv", ["image", "c1", "c1b"], ["z1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                                 name="conv1"),
                helper.make_node("BatchNormalization", ["z1", "gamma", "beta", "bn_mean", "bn_var"], ["n1"],
                                 epsilon=1e-5, name="bn1"),
                helper.make_node("Relu", ["n1"], ["a1"], name="relu1"),
                helper.make_node("MaxPool", ["a1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"),
                helper.make_node("Conv", ["p1", "c2"], ["m2"], kernel_shape=[3, 3], strides=[1, 1], name="conv2"),
                helper.make_node("Add", ["m2", "c2b"], ["z2"], name="bias2"),
                helper.make_node("MaxPool", ["z2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2], name="pool2"),
                helper.make_node("Relu", ["p2"], ["a2"], name="relu2"),
                helper.make_node("Shape", ["a2"], ["s"], name="shape"),
                helper.make_node("Gather", ["s", "zero_index"], ["n"], axis=0, name="gather"),
                helper.make_node("Unsqueeze", ["n", "axes0"], ["n1d"], name="unsqueeze"),
                helper.make_node("Concat", ["n1d", "minus_one"], ["target"], axis=0, name="concat"),
                helper.make_node("Reshape", ["a2", "target"], ["flat"], name="view"),
                helper.make_node("Gemm", ["flat", "w3", "b3"], ["scores"], transB=1, name="fc")],
               {"c1": c1, "c1b": c1b, "gamma": gamma, "beta": beta, "bn_mean": bn_mean, "bn_var": bn_var,
                "c2": c2, "c2b": c2b.reshape(16, 1, 1), "w3": w3, "b3": b3,
                "zero_index": np.array(0, np.int64), "axes0": np.array([0], np.int64),
                "minus_one": np.array([-1], np.int64)}, "cnn_bn"), "cnn_bn")

    # 4. Average pooling: Conv 6x3x3 padded + Relu + AveragePool 2, Conv 12x3x3 + Relu + GlobalAveragePool,
    #    Flatten and a trained head.
    c4 = (rng.standard_normal((6, 1, 3, 3)) / 3).astype(np.float32)
    c4b = (0.1 * rng.standard_normal(6)).astype(np.float32)
    c5 = (rng.standard_normal((12, 6, 3, 3)) / np.sqrt(54)).astype(np.float32)
    c5b = (0.05 * rng.standard_normal(12)).astype(np.float32)

    def pooled(x):
        a = avgpool(np.maximum(conv(x[:, None] / 255, c4, c4b, pad=1), 0), 2)
        a = np.maximum(conv(a, c5, c5b), 0)
        return a.mean(axis=(2, 3))

    g_train = np.concatenate([pooled(train_x[i:i + 2000]) for i in range(0, len(train_x), 2000)])
    g_test = np.concatenate([pooled(test_x[i:i + 2000]) for i in range(0, len(test_x), 2000)])
    w6, b6 = softmax_regression(g_train, train_y, epochs=20, lr=0.5)
    expected["cnn_avg"] = accuracy(g_test @ w6.T + b6, test_y)
    save(model([helper.make_node("Conv", ["image", "c4", "c4b"], ["z1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                                 name="conv1"),
                helper.make_node("Relu", ["z1"], ["a1"], name="relu1"),
                helper.make_node("AveragePool", ["a1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="avg1"),
                helper.make_node("Conv", ["p1", "c5", "c5b"], ["z2"], kernel_shape=[3, 3], name="conv2"),
                helper.make_node("Relu", ["z2"], ["a2"], name="relu2"),
                helper.make_node("GlobalAveragePool", ["a2"], ["g"], name="global"),
                helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
                helper.make_node("Gemm", ["f", "w6", "b6"], ["scores"], transB=1, name="fc")],
               {"c4": c4, "c4b": c4b, "c5": c5, "c5b": c5b, "w6": w6, "b6": b6}, "cnn_avg"), "cnn_avg")

    # 4b. The MLP of 1. in the QDQ form PyTorch's quantised export writes: int8 weights (fc1 per channel, fc2 per
    #     tensor, as float weights through QuantizeLinear, as other exporters write them) through DequantizeLinear,
    #     int32 biases whose zero points come from ConstantOfShape + Cast, and
    #     QuantizeLinear + Cast + DequantizeLinear on the input, the hidden activation (uint8, zero point 0) and
    #     the scores. Its accuracy: numpy's fake-quantised inference.
    def per_channel_int8(w):
        scale = np.abs(w).max(axis=1) / 127
        return np.clip(np.round(w / scale[:, None]), -127, 127).astype(np.int8), scale.astype(np.float32)

    def fake_quant(x, scale, zero, lo=0, hi=255):
        return (np.clip(np.round(x / scale) + zero, lo, hi) - zero) * scale

    q1, s1 = per_channel_int8(w1)
    s2 = np.float32(np.abs(w2).max() / 127)
    q2 = np.clip(np.round(w2 / s2), -127, 127).astype(np.int8)
    s_in = np.float32((u_train.max() - u_train.min()) / 255)
    z_in = int(np.round(-u_train.min() / s_in))
    h = np.maximum(fake_quant(u_train, s_in, z_in) @ (q1 * s1[:, None]).T + b1, 0)
    s_h = np.float32(np.percentile(h, 99.99) / 255)
    b1q = np.round(b1 / (s_in * s1)).astype(np.int32)
    b2q = np.round(b2 / (s_h * s2)).astype(np.int32)

    def qdq_scores(u):
        a = np.maximum(fake_quant(u, s_in, z_in) @ (q1 * s1[:, None]).T + b1q * s_in * s1, 0)
        return fake_quant(a, s_h, 0) @ (q2 * s2).T + b2q * s_h * s2

    expected["mlp_qdq"] = accuracy(qdq_scores(u_test), test_y)
    qdq = lambda x, s_name, z_name, y, name: [
        helper.make_node("QuantizeLinear", [x, s_name, z_name], [y + "_q"], name=name + "_quantise"),
        helper.make_node("Cast", [y + "_q"], [y + "_c"], to=TensorProto.UINT8, name=name + "_cast"),
        helper.make_node("DequantizeLinear", [y + "_c", s_name, z_name], [y], name=name + "_dequantise")]
    qdq_graph = model(
        [helper.make_node("Flatten", ["image"], ["flat"], axis=1, name="flatten")] +
        qdq("flat", "s_in", "z_in", "x", "input") +
        [helper.make_node("DequantizeLinear", ["q1", "s1", "zp1"], ["w1"], axis=0, name="w1_dequantise"),
         helper.make_node("ConstantOfShape", ["b1_shape"], ["b1_zero_f"], name="b1_zero"),
         helper.make_node("Cast", ["b1_zero_f"], ["b1_zero"], to=TensorProto.INT32, name="b1_zero_cast"),
         helper.make_node("DequantizeLinear", ["b1q", "s_b1", "b1_zero"], ["b1"], axis=0, name="b1_dequantise"),
         helper.make_node("Gemm", ["x", "w1", "b1"], ["z1"], transB=1, name="fc1"),
         helper.make_node("Relu", ["z1"], ["a1"], name="relu1")] +
        qdq("a1", "s_h", "z_h", "h", "hidden") +
        [helper.make_node("QuantizeLinear", ["w2f", "s2", "zp2"], ["q2"], name="w2_quantise"),
         helper.make_node("DequantizeLinear", ["q2", "s2", "zp2"], ["w2"], name="w2_dequantise"),
         helper.make_node("DequantizeLinear", ["b2q", "s_b2"], ["b2"], name="b2_dequantise"),
         helper.make_node("Gemm", ["h", "w2", "b2"], ["z2"], transB=1, name="fc2")] +
        qdq("z2", "s_out", "z_out", "scores", "scores"),
        {"q1": q1, "s1": s1, "zp1": np.zeros(64, np.int8), "b1_shape": np.array([64], np.int64), "b1q": b1q,
         "s_b1": (s_in * s1).astype(np.float32), "w2f": w2, "zp2": np.int8(0), "s2": s2, "b2q": b2q, "s_b2": np.float32(s_h * s2),
         "s_in": s_in, "z_in": np.uint8(z_in), "s_h": s_h, "z_h": np.uint8(0), "s_out": np.float32(0.1),
         "z_out": np.uint8(128)}, "mlp_qdq")
    save(qdq_graph, "mlp_qdq")
    qdq_hidden_range = float(255 * s_h)  # the hidden layer's activation range, as the graph gives it
    # Refused: an activation quantised per channel.
    per_channel = onnx.load_from_string(qdq_graph.SerializeToString())
    for init in per_channel.graph.initializer:
        if init.name == "s_h":
            init.CopyFrom(numpy_helper.from_array(np.full(64, s_h, np.float32), "s_h"))
        if init.name == "z_h":
            init.CopyFrom(numpy_helper.from_array(np.zeros(64, np.uint8), "z_h"))
    for node in per_channel.graph.node:
        if node.name in ("hidden_quantise", "hidden_dequantise"):
            node.attribute.extend([helper.make_attribute("axis", 1)])
    save(per_channel, "qdq_per_channel_activation")

    # 5. Residual (ResNet's basic block, then a dense one): Conv 8x3x3 padded + BN + Relu + MaxPool 2 -> p1;
    #    Conv + BN + Relu, Conv + BN, Add(p1) + Relu; MaxPool 2, Flatten; Gemm 392->32 + Relu -> d1;
    #    Gemm 32->32, Add(d1) + Relu; a trained head.
    def bn_params(c):
        return ((1 + 0.1 * rng.standard_normal(c)).astype(np.float32), (0.05 * rng.standard_normal(c)).astype(np.float32),
                (0.05 * rng.standard_normal(c)).astype(np.float32), (0.5 + rng.random(c)).astype(np.float32))

    def bn(z, p):
        g, b, m, v = p
        return (z - m[None, :, None, None]) / np.sqrt(v[None, :, None, None] + 1e-5) * g[None, :, None, None] + \
            b[None, :, None, None]

    r1, r1b, bn_r1 = (rng.standard_normal((8, 1, 3, 3)) / 3).astype(np.float32), np.zeros(8, np.float32), bn_params(8)
    r2, r2b, bn_r2 = (rng.standard_normal((8, 8, 3, 3)) / np.sqrt(72)).astype(np.float32), \
        (0.05 * rng.standard_normal(8)).astype(np.float32), bn_params(8)
    r3, r3b, bn_r3 = (0.5 * rng.standard_normal((8, 8, 3, 3)) / np.sqrt(72)).astype(np.float32), \
        (0.05 * rng.standard_normal(8)).astype(np.float32), bn_params(8)
    f1 = (rng.standard_normal((32, 392)) / np.sqrt(392)).astype(np.float32)
    f1b = (0.1 * rng.standard_normal(32)).astype(np.float32)
    f2 = (0.5 * rng.standard_normal((32, 32)) / np.sqrt(32)).astype(np.float32)
    f2b = (0.05 * rng.standard_normal(32)).astype(np.float32)

    def residual_features(x):
        p1 = maxpool(np.maximum(bn(conv(x[:, None] / 255, r1, r1b, pad=1), bn_r1), 0), 2)
        h = np.maximum(bn(conv(p1, r2, r2b, pad=1), bn_r2), 0)
        r = np.maximum(bn(conv(h, r3, r3b, pad=1), bn_r3) + p1, 0)
        d1 = np.maximum(maxpool(r, 2).reshape(len(x), -1) @ f1.T + f1b, 0)
        return np.maximum(d1 @ f2.T + f2b + d1, 0)

    q_train = np.concatenate([residual_features(train_x[i:i + 2000]) for i in range(0, len(train_x), 2000)])
    q_test = np.concatenate([residual_features(test_x[i:i + 2000]) for i in range(0, len(test_x), 2000)])
    w7, b7 = softmax_regression(q_train, train_y, epochs=20, lr=0.2)
    expected["cnn_residual"] = accuracy(q_test @ w7.T + b7, test_y)
    inits = {"r1": r1, "r1b": r1b, "r2": r2, "r2b": r2b, "r3": r3, "r3b": r3b, "f1": f1, "f1b": f1b, "f2": f2,
             "f2b": f2b, "w7": w7, "b7": b7}
    for name, p in (("bn1", bn_r1), ("bn2", bn_r2), ("bn3", bn_r3)):
        for part, v in zip(("g", "b", "m", "v"), p):
            inits[name + part] = v
    bn_node = lambda i, o, name: helper.make_node("BatchNormalization", [i, name + "g", name + "b", name + "m", name + "v"],
                                                  [o], epsilon=1e-5, name=name)
    save(model([helper.make_node("Conv", ["image", "r1", "r1b"], ["z1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                                 name="conv1"),
                bn_node("z1", "n1", "bn1"),
                helper.make_node("Relu", ["n1"], ["a1"], name="relu1"),
                helper.make_node("MaxPool", ["a1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"),
                helper.make_node("Conv", ["p1", "r2", "r2b"], ["z2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                                 name="block_conv1"),
                bn_node("z2", "n2", "bn2"),
                helper.make_node("Relu", ["n2"], ["a2"], name="block_relu1"),
                helper.make_node("Conv", ["a2", "r3", "r3b"], ["z3"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                                 name="block_conv2"),
                bn_node("z3", "n3", "bn3"),
                helper.make_node("Add", ["n3", "p1"], ["sum"], name="shortcut"),
                helper.make_node("Relu", ["sum"], ["a3"], name="block_relu2"),
                helper.make_node("MaxPool", ["a3"], ["p3"], kernel_shape=[2, 2], strides=[2, 2], name="pool2"),
                helper.make_node("Flatten", ["p3"], ["flat"], name="flatten"),
                helper.make_node("Gemm", ["flat", "f1", "f1b"], ["y1"], transB=1, name="fc1"),
                helper.make_node("Relu", ["y1"], ["d1"], name="fc_relu1"),
                helper.make_node("Gemm", ["d1", "f2", "f2b"], ["y2"], transB=1, name="fc2"),
                helper.make_node("Add", ["d1", "y2"], ["dsum"], name="dense_shortcut"),
                helper.make_node("Relu", ["dsum"], ["d2"], name="fc_relu2"),
                helper.make_node("Gemm", ["d2", "w7", "b7"], ["scores"], transB=1, name="head")],
               inits, "cnn_residual"), "cnn_residual")

    # Refusals. Three unsupported ops (every one named), a second branch from the image, a weight that
    # is a graph input, a dynamic image dimension, opsets 12 and 18, not ONNX at all, and a truncated file.
    tiny = {"w": np.zeros((10, 784), np.float32), "b": np.zeros(10, np.float32)}
    save(model([helper.make_node("Flatten", ["image"], ["flat"], name="flatten"),
                helper.make_node("Sigmoid", ["flat"], ["s"], name="squash"),
                helper.make_node("Tanh", ["s"], ["t"], name="tanh_it"),
                helper.make_node("Gemm", ["t", "w", "b"], ["g"], transB=1, name="fc"),
                helper.make_node("Erf", ["g"], ["scores"], name="erf_head")], tiny, "three_unsupported"),
         "three_unsupported")
    conv_w = {"cw": np.zeros((4, 1, 3, 3), np.float32), "w": np.zeros((10, 4 * 28 * 28), np.float32),
              "b": np.zeros(10, np.float32)}
    save(model([helper.make_node("Conv", ["image", "cw"], ["z"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                                 name="padded"),
                helper.make_node("Relu", ["z"], ["a"], name="relu"),
                helper.make_node("Conv", ["image", "cw"], ["z2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                                 name="padded2"),
                helper.make_node("Add", ["a", "z2"], ["r"], name="residual"),
                helper.make_node("Flatten", ["r"], ["f"], name="flatten"),
                helper.make_node("Gemm", ["f", "w", "b"], ["scores"], transB=1, name="fc")], conv_w,
               "residual_padded"), "residual_padded")
    # An Add after both branches' ReLUs, and one of two layers' outputs before theirs (a projection shortcut).
    dense_w = {"w1": np.zeros((16, 784), np.float32), "b1": np.zeros(16, np.float32),
               "w2": np.zeros((16, 16), np.float32), "b2": np.zeros(16, np.float32),
               "w": np.zeros((10, 16), np.float32), "b": np.zeros(10, np.float32)}
    for name, add_inputs, relu2 in (("residual_after_relu", ["a1", "a2"], True),
                                    ("residual_projection", ["a1", "z2"], False)):
        nodes = [helper.make_node("Flatten", ["image"], ["flat"], name="flatten"),
                 helper.make_node("Gemm", ["flat", "w1", "b1"], ["z1"], transB=1, name="fc1"),
                 helper.make_node("Relu", ["z1"], ["a1"], name="relu1"),
                 helper.make_node("Gemm", ["a1", "w2", "b2"], ["z2"], transB=1, name="fc2")]
        if relu2:
            nodes.append(helper.make_node("Relu", ["z2"], ["a2"], name="relu2"))
        else:
            nodes.append(helper.make_node("Gemm", ["a1", "w2", "b2"], ["z3"], transB=1, name="projection"))
            add_inputs = ["z2", "z3"]
        nodes += [helper.make_node("Add", add_inputs, ["sum"], name="shortcut"),
                  helper.make_node("Relu", ["sum"], ["s"], name="relu_sum"),
                  helper.make_node("Gemm", ["s", "w", "b"], ["scores"], transB=1, name="head")]
        save(model(nodes, dense_w, name), name)
    save(model([helper.make_node("Flatten", ["image"], ["flat"], name="flatten"),
                helper.make_node("Gemm", ["flat", "w", "b"], ["unused"], transB=1, name="dead_end"),
                helper.make_node("Flatten", ["image"], ["flat2"], name="flatten2"),
                helper.make_node("Gemm", ["flat2", "w", "b"], ["scores"], transB=1, name="fc")], tiny, "branches"),
         "two_branches")
    save(model([helper.make_node("Flatten", ["image"], ["flat"], name="flatten"),
                helper.make_node("Gemm", ["flat", "w_input", "b"], ["scores"], transB=1, name="fc")],
               {"b": np.zeros(10, np.float32)}, "weight_input",
               extra_inputs=[helper.make_tensor_value_info("w_input", TensorProto.FLOAT, [10, 784])]),
         "weight_input")
    save(model([helper.make_node("Flatten", ["image"], ["flat"], name="flatten"),
                helper.make_node("Gemm", ["flat", "w", "b"], ["scores"], transB=1, name="fc")], tiny, "dynamic",
               inp=("image", ["batch", 1, "height", 28])), "dynamic_shape")
    for opset in (12, 18):
        m = model([helper.make_node("Flatten", ["image"], ["flat"], name="flatten"),
                   helper.make_node("Gemm", ["flat", "w", "b"], ["scores"], transB=1, name="fc")], tiny,
                  "opset", opset=opset)
        save(m, "opset_{}".format(opset))
    with open(os.path.join(a.folder, "not_onnx.onnx"), "w") as f:
        f.write("this is not an ONNX model\n")
    with open(os.path.join(a.folder, "mlp_normalized.onnx"), "rb") as f:
        data = f.read()
    with open(os.path.join(a.folder, "truncated.onnx"), "wb") as f:
        f.write(data[:len(data) // 2])
    with open(os.path.join(a.folder, "expected.json"), "w") as f:
        json.dump({"test_images": a.test_images, "float_accuracy": expected, "mean": mean, "std": std,
                   "qdq_hidden_range": qdq_hidden_range}, f, indent=1)


if __name__ == "__main__":
    main()
