"""Data: the bundled 8×8 digits, one-hot targets, "2 or not 2" targets, and an IDX (MNIST) reader.

Nothing here downloads: :func:`load_digits` uses the copy of the UCI digits that ships inside
scikit-learn (imported only when called), and :func:`read_idx` reads files you already have.

Examples
--------
>>> import nnlib
>>> nnlib.one_hot([2, 0], 3)
array([[0., 0., 1.],
       [1., 0., 0.]])
>>> nnlib.two_or_not_two([2, 7])
array([[1.],
       [0.]])
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass

import numpy as np

__all__ = ["Digits", "load_digits", "one_hot", "two_or_not_two", "read_idx"]


@dataclass
class Digits:
    """A train/test split of the 8×8 digits.

    Attributes
    ----------
    X_train, X_test : ndarray of shape (N, 64)
        Pixels scaled to [0, 1], one image per row (row-major 8×8).
    y_train, y_test : ndarray of int64, shape (N,)
        Digit labels 0–9.
    images_train, images_test : ndarray of shape (N, 8, 8)
        The same pixels as images (for plotting).
    """

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    images_train: np.ndarray
    images_test: np.ndarray
    num_classes: int = 10

    @property
    def D_train(self):
        """One-hot training targets, shape (N_train, 10)."""
        return one_hot(self.y_train, self.num_classes, dtype=self.X_train.dtype)

    @property
    def D_test(self):
        """One-hot test targets, shape (N_test, 10)."""
        return one_hot(self.y_test, self.num_classes, dtype=self.X_test.dtype)

    def __repr__(self):
        return (f"Digits(X_train {self.X_train.shape}, X_test {self.X_test.shape}, "
                f"{self.num_classes} classes)")


def load_digits(test_size=0.25, seed=0, dtype=np.float64):
    """Load scikit-learn's bundled 8×8 digits (1797 images), scaled to [0, 1], split stratified.

    Parameters
    ----------
    test_size : float, default 0.25
        Fraction of the images held out for testing.
    seed : int, default 0
        Seeds the split: the same seed gives the same split.
    dtype : numpy dtype, default float64

    Returns
    -------
    Digits

    Notes
    -----
    The raw pixels are integers 0–16; dividing by 16 maps them to [0, 1]. The split is stratified:
    each digit keeps (almost exactly) its share in both parts.
    """
    # Imported here so that `import nnlib` does not import scikit-learn.
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    bunch = sklearn_digits()
    X = (bunch.data / 16.0).astype(dtype)
    y = bunch.target.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y)
    return Digits(X_train, X_test, y_train, y_test,
                  X_train.reshape(-1, 8, 8), X_test.reshape(-1, 8, 8))


def one_hot(labels, num_classes=None, dtype=np.float64):
    """One-hot rows for integer class labels: ``D[n, labels[n]] = 1``, else 0.

    Parameters
    ----------
    labels : array_like of int, shape (N,)
    num_classes : int, optional
        Number of columns K; default ``max(labels) + 1``.
    dtype : numpy dtype, default float64

    Returns
    -------
    ndarray of shape (N, K)

    Examples
    --------
    >>> one_hot(np.array([1, 0, 1]))
    array([[0., 1.],
           [1., 0.],
           [0., 1.]])
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"one_hot expects a 1-D array of integer labels (N,), got shape "
                         f"{labels.shape}." + (" Is it already one-hot?" if labels.ndim == 2 else ""))
    if labels.size and labels.dtype.kind not in "iub":
        if labels.dtype.kind != "f" or not np.all(labels == np.round(labels)):
            raise ValueError(f"one_hot expects integer class labels, got dtype {labels.dtype}.")
    labels = labels.astype(np.int64)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: labels must lie in 0..{num_classes - 1} for num_classes="
                         f"{num_classes}, got values from {labels.min()} to {labels.max()}.")
    D = np.zeros((labels.size, num_classes), dtype=dtype)
    D[np.arange(labels.size), labels] = 1
    return D


def two_or_not_two(labels, digit=2, dtype=np.float64):
    """The lecture's binary task: target 1.0 where the label is ``digit`` (2), else 0.0.

    Returns a column of shape (N, 1), ready for a single sigmoid output and
    :class:`~nnlib.BinaryCrossEntropy`.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"two_or_not_two expects 1-D integer labels (N,), got shape "
                         f"{labels.shape}.")
    return (labels == digit).astype(dtype).reshape(-1, 1)


# IDX type codes (third byte of the magic number) and the big-endian dtypes they stand for.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """Read an IDX file (the format of the MNIST files), optionally gzip-compressed.

    Parameters
    ----------
    path : str or path-like
        A local file; names ending in ``.gz`` are decompressed. Nothing is downloaded.

    Returns
    -------
    ndarray
        Shape from the header (e.g. (60000, 28, 28) for MNIST images), native byte order.

    Notes
    -----
    Layout: 2 zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
    0x0E float64), the number of dimensions, then each dimension as a big-endian uint32, then the
    data, big-endian, row-major.
    """
    path = str(path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"read_idx: {path} is not an IDX file (it must start with two zero bytes).")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"read_idx: {path} has unknown IDX type code 0x{code:02X}.")
    header = 4 + 4 * ndim
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"read_idx: {path} header says shape {dims} ({expected} data bytes) but "
                         f"the file has {len(raw) - header} data bytes: truncated or corrupt?")
    data = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return data.astype(dtype.newbyteorder("="))
