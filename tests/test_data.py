"""Tests for nnlib.data: digits, one_hot, two_or_not_two, read_idx."""

import gzip
import struct

import numpy as np
import pytest

import nnlib
from nnlib.data import load_digits, one_hot, read_idx, two_or_not_two


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_digits_shapes(digits):
    """1797 images split 75/25: (1347, 64) train and (450, 64) test, labels and 8×8 images match."""
    assert digits.X_train.shape == (1347, 64) and digits.X_test.shape == (450, 64)
    assert digits.y_train.shape == (1347,) and digits.y_test.shape == (450,)
    assert digits.images_train.shape == (1347, 8, 8)
    np.testing.assert_array_equal(digits.images_test.reshape(450, 64), digits.X_test)


def test_digits_pixels_scaled_to_unit_interval(digits):
    """Pixels lie in [0, 1] and reach both ends (raw 0–16 divided by 16)."""
    X = np.vstack([digits.X_train, digits.X_test])
    assert X.min() == 0.0 and X.max() == 1.0
    assert np.all(np.isin(np.unique(X * 16), np.arange(17)))


def test_digits_split_is_stratified(digits):
    """Each digit's share of the test set is within 1 image of its share overall."""
    y_all = np.concatenate([digits.y_train, digits.y_test])
    expected = np.bincount(y_all, minlength=10) * 450 / 1797
    assert np.all(np.abs(np.bincount(digits.y_test, minlength=10) - expected) <= 1)


def test_digits_seed_reproducible_and_seed_matters(digits):
    """Same seed gives the identical split; another seed gives a different one."""
    again = load_digits(seed=0)
    np.testing.assert_array_equal(again.X_train, digits.X_train)
    np.testing.assert_array_equal(again.y_test, digits.y_test)
    assert not np.array_equal(load_digits(seed=1).y_test, digits.y_test)


def test_digits_dtype_and_one_hot_targets():
    """dtype=float32 gives float32 pixels and one-hot D_train of shape (N, 10)."""
    d = load_digits(test_size=0.5, dtype=np.float32)
    assert d.X_train.dtype == np.float32 and d.D_train.dtype == np.float32
    assert d.D_train.shape == (len(d.y_train), 10)
    np.testing.assert_array_equal(d.D_train.argmax(axis=1), d.y_train)


def test_one_hot_values():
    """one_hot puts a single 1 at each label's column."""
    np.testing.assert_array_equal(one_hot([2, 0, 1], 4),
                                  [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert one_hot([1, 3]).shape == (2, 4)


@pytest.mark.parametrize("labels, num_classes, match", [
    ([0, 5], 3, "0..2"),
    ([[0, 1], [1, 0]], None, "already one-hot"),
    ([0.5, 1.0], None, "integer"),
])
def test_one_hot_bad_input(labels, num_classes, match):
    """Out-of-range, 2-D or fractional labels raise ValueError explaining the problem."""
    with pytest.raises(ValueError, match=match):
        one_hot(labels, num_classes)


def test_two_or_not_two():
    """two_or_not_two gives a (N, 1) float column: 1 for label 2, else 0."""
    D = two_or_not_two(np.array([2, 3, 2, 0]))
    assert D.shape == (4, 1) and D.dtype == np.float64
    np.testing.assert_array_equal(D.ravel(), [1, 0, 1, 0])


def _write_idx(path, array, code):
    header = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I",
                                                                        *array.shape)
    data = array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + data)


@pytest.mark.parametrize("dtype, code", [(np.uint8, 0x08), (np.int16, 0x0B), (np.float32, 0x0D),
                                         (np.float64, 0x0E)])
def test_read_idx_round_trip(tmp_path, dtype, code):
    """A tiny IDX file written by hand reads back with its shape, dtype and values."""
    array = (np.arange(24).reshape(2, 3, 4) * 3).astype(dtype)
    path = tmp_path / "tiny.idx"
    _write_idx(path, array, code)
    got = read_idx(path)
    assert got.shape == (2, 3, 4) and got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, array)


def test_read_idx_gzip_labels(tmp_path):
    """A gzipped 1-D uint8 label file (like MNIST's) reads back."""
    labels = np.array([5, 0, 4, 1, 9], dtype=np.uint8)
    path = tmp_path / "labels-idx1-ubyte.gz"
    _write_idx(path, labels, 0x08)
    np.testing.assert_array_equal(read_idx(path), labels)


def test_read_idx_rejects_bad_files(tmp_path):
    """A wrong magic number or truncated data raises ValueError saying so."""
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x01\x00")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(bad)
    short = tmp_path / "short.idx"
    short.write_bytes(struct.pack(">BBBBI", 0, 0, 0x08, 1, 10) + b"\x00" * 3)
    with pytest.raises(ValueError, match="truncated"):
        read_idx(short)


def test_top_level_names_resolve():
    """nnlib.load_digits, nnlib.one_hot, nnlib.two_or_not_two and nnlib.read_idx are nnlib.data's."""
    assert nnlib.one_hot is one_hot and nnlib.read_idx is read_idx
    assert nnlib.load_digits is load_digits and nnlib.two_or_not_two is two_or_not_two
