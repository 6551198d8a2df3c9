"""dlib's face recognition ResNet (dlib_face_recognition_resnet_model_v1.dat), run with numpy.

The same network and weights as dlib's face_recognition_model_v1, read from the model file that
ships in face_recognition_models, its convolutions done as matrix products by numpy's BLAS: the
dlib-bin wheel is built without a BLAS, and its own convolutions took about 75 ms a face where
these take about 20 on one core (bench/local_engine.py). The descriptors agree with dlib's to
within float rounding (tests/vendors/test_local_engine.py holds them to 1e-5).

The network (dlib's dnn_face_recognition_ex.cpp): a 150 x 150 RGB face chip; a 7 x 7 convolution
of stride 2, max pooling 3 x 3 of stride 2; 14 residual blocks of two 3 x 3 convolutions each
(32, 32, 32; 64 down, 64 x 3; 128 down, 128 x 2; 256 down, 256 x 2; 256 down), each convolution
followed by an affine layer (batch normalisation folded), ReLU between and after; a block going
down has stride 2 and adds its input average-pooled 2 x 2, zero-padded to its size; average over
the last map and a 256 x 128 linear layer.
"""

from __future__ import annotations

import re

import numpy as np

# dlib's input_rgb_image: each channel less its mean, over 256.
CHANNEL_MEANS = np.array([122.782, 117.001, 104.298], dtype=np.float32).reshape(3, 1, 1)
CHIP_SIZE = 150
# (filters, stride) of the first convolution of each residual block.
BLOCKS = (
    [(32, 1)] * 3 + [(64, 2)] + [(64, 1)] * 3 + [(128, 2)] + [(128, 1)] * 2 + [(256, 2)] + [(256, 1)] * 2 + [(256, 2)]
)
# A layer's parameters in the file: its version string (dlib serialization: a length, the text).
_LAYER = re.compile(rb"\x01\x05con_4|\x01\x07affine_|\x01\x04fc_2")


def _int(data: bytes, i: int) -> tuple[int, int]:
    """One integer as dlib serializes it: a byte giving its length (and sign), then little-endian bytes."""
    head = data[i]
    value = int.from_bytes(data[i + 1 : i + 1 + (head & 0x0F)], "little")
    return (-value if head & 0x80 else value), i + 1 + (head & 0x0F)


def _tensor(data: bytes, i: int) -> tuple[np.ndarray, int]:
    """A dlib tensor: version 2, four dimensions, then float32 little-endian values."""
    version, i = _int(data, i)
    if version != 2:
        raise ValueError(f"unexpected tensor version {version}")
    dims = []
    for _ in range(4):
        n, i = _int(data, i)
        dims.append(n)
    size = int(np.prod(dims))
    return np.frombuffer(data, dtype="<f4", count=size, offset=i), i + 4 * size


def _layers(data: bytes):
    """(kind, values...) of every convolution, affine and fully connected layer, input first; the
    values are views of `data` (FaceResNet keeps only what it computes from them)."""
    for match in _LAYER.finditer(data):
        kind, i = match.group()[2:].decode(), match.end()
        if kind == "fc_2":  # its outputs and inputs come before its values
            _outputs, i = _int(data, i)
            _inputs, i = _int(data, i)
        params, i = _tensor(data, i)
        if kind == "con_4":
            fields = []
            for _ in range(7):  # filters, rows, columns, stride y and x, padding y and x
                value, i = _int(data, i)
                fields.append(value)
            filters, rows, cols, stride, _stride_x, padding, _padding_x = fields
            size = params.size - filters
            weights = params[:size].reshape(filters, size // (filters * rows * cols), rows, cols)
            yield "con", weights.reshape(filters, -1), params[size:], (rows, stride, padding)
        elif kind == "affine_":
            half = params.size // 2
            yield "affine", params[:half].reshape(-1, 1, 1), params[half:].reshape(-1, 1, 1)
        else:
            yield "fc", params, None


class FaceResNet:
    """The 128-d descriptor of a 150 x 150 RGB face chip (dlib.get_face_chip), as dlib computes it.

    Read-only once loaded: safe to call from several threads at once (numpy releases the GIL in
    its matrix products)."""

    def __init__(self, path: str):
        with open(path, "rb") as f:
            data = f.read()
        layers = list(_layers(data))
        convs = [layer for layer in layers if layer[0] == "con"]
        affines = [layer for layer in layers if layer[0] == "affine"]
        fcs = [layer for layer in layers if layer[0] == "fc"]
        expected = [(32, 2)]
        for filters, stride in BLOCKS:
            expected += [(filters, stride), (filters, 1)]
        found = [(c[1].shape[0], c[3][1]) for c in convs]
        if found != expected or len(affines) != len(convs) or len(fcs) != 1 or fcs[0][1].size != 256 * 128:
            raise ValueError(f"{path} is not dlib's face recognition ResNet")
        # Each convolution with its affine layer folded in: w' = w * gamma, b' = b * gamma + beta.
        self._convs = [
            (w * gamma.reshape(-1, 1), (b.reshape(-1, 1, 1) * gamma + beta), shape)
            for (_, w, b, shape), (_, gamma, beta) in zip(convs, affines)
        ]
        self._fc = fcs[0][1].reshape(256, 128).copy()

    def __call__(self, chip: np.ndarray) -> np.ndarray:
        if chip.shape != (CHIP_SIZE, CHIP_SIZE, 3):
            raise ValueError(f"a face chip is {CHIP_SIZE} x {CHIP_SIZE} RGB, not {chip.shape}")
        x = (chip.transpose(2, 0, 1).astype(np.float32) - CHANNEL_MEANS) / 256.0
        x = np.maximum(self._conv(x, 0), 0)
        x = _max_pool(x, 3, 2)
        for block, (_filters, stride) in enumerate(BLOCKS):
            y = np.maximum(self._conv(x, 1 + 2 * block), 0)
            y = self._conv(y, 2 + 2 * block)
            skip = _mean_pool_2(x) if stride == 2 else x
            x = np.maximum(_add(y, skip), 0)
        return x.mean(axis=(1, 2)) @ self._fc

    def _conv(self, x: np.ndarray, n: int) -> np.ndarray:
        weights, bias, (size, stride, padding) = self._convs[n]
        if padding:
            x = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
        windows = _pool(x, size, stride)  # channels, rows, columns, window rows, window columns
        rows, cols = windows.shape[1:3]
        columns = windows.transpose(0, 3, 4, 1, 2).reshape(-1, rows * cols)
        return (weights @ columns).reshape(-1, rows, cols) + bias


def _pool(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """The size x size windows of x at this stride (a view)."""
    return np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(1, 2))[:, ::stride, ::stride]


def _max_pool(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """The maximum of each size x size window at this stride, as the maximum of size² strided
    slices: reducing a sliding view over its small window axes costs over twenty times as much."""
    rows, cols = ((n - size) // stride + 1 for n in x.shape[1:])
    out = None
    for i in range(size):
        for j in range(size):
            window = x[:, i : i + stride * (rows - 1) + 1 : stride, j : j + stride * (cols - 1) + 1 : stride]
            out = window.copy() if out is None else np.maximum(out, window, out=out)
    return out


def _mean_pool_2(x: np.ndarray) -> np.ndarray:
    """The mean of each 2 x 2 window at stride 2 (the strided slices summed, as _max_pool)."""
    rows, cols = (n // 2 * 2 for n in x.shape[1:])
    return (
        x[:, 0:rows:2, 0:cols:2] + x[:, 1:rows:2, 0:cols:2] + x[:, 0:rows:2, 1:cols:2] + x[:, 1:rows:2, 1:cols:2]
    ) * 0.25


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a + b, the smaller zero-padded to the larger in every dimension (dlib's add_prev)."""
    if a.shape == b.shape:
        return a + b
    out = np.zeros(tuple(max(p, q) for p, q in zip(a.shape, b.shape)), dtype=np.float32)
    out[: a.shape[0], : a.shape[1], : a.shape[2]] += a
    out[: b.shape[0], : b.shape[1], : b.shape[2]] += b
    return out
