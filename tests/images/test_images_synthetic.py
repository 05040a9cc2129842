"""Synthetic seismic image patches: classes, reproducibility, the physics of each class."""

from __future__ import annotations

import numpy as np
import pytest

from seislearn.data.synthetic_images import CLASSES, make_images, make_patch, write_images
from seislearn.errors import RunExistsError
from seislearn.io.images import read_images


def lateral_continuity(image: np.ndarray) -> float:
    """Mean correlation between neighbouring columns (traces)."""
    a, b = image[:, :-1], image[:, 1:]
    a = a - a.mean(0)
    b = b - b.mean(0)
    return float(np.mean((a * b).sum(0) / np.sqrt((a * a).sum(0) * (b * b).sum(0))))


def test_make_images_returns_balanced_classes_of_the_requested_size():
    images, labels = make_images(40, seed=0, size=50)
    assert images.shape == (40, 50, 50)
    assert images.dtype == np.float32
    assert {c: int(np.sum(labels == c)) for c in CLASSES} == dict.fromkeys(CLASSES, 10)


def test_make_images_is_reproducible_with_a_seed_and_differs_across_seeds():
    a, la = make_images(8, seed=3)
    b, lb = make_images(8, seed=3)
    c, _ = make_images(8, seed=4)
    assert np.array_equal(a, b) and np.array_equal(la, lb)
    assert not np.array_equal(a, c)


def test_horizon_reflectors_are_laterally_continuous_and_chaotic_ones_are_not():
    rng = np.random.default_rng(0)
    horizon = np.mean([lateral_continuity(make_patch("horizon", rng)) for _ in range(5)])
    chaotic = np.mean([lateral_continuity(make_patch("chaotic", rng)) for _ in range(5)])
    assert horizon > 0.8
    assert chaotic < horizon - 0.1


def test_fault_breaks_continuity_along_a_line_that_a_horizon_does_not_have():
    rng = np.random.default_rng(1)

    def worst_column_pair(image: np.ndarray) -> float:
        # A fault makes some pair of neighbouring traces disagree over a long stretch.
        a, b = image[:, :-1], image[:, 1:]
        return float(np.max(np.abs(a - b).mean(0)))

    faults = np.mean([worst_column_pair(make_patch("fault", rng)) for _ in range(8)])
    horizons = np.mean([worst_column_pair(make_patch("horizon", rng)) for _ in range(8)])
    assert faults > horizons


@pytest.mark.parametrize("fmt", ["mat", "npy", "png"])
def test_write_images_writes_one_subfolder_per_class_readable_back(tmp_path, fmt):
    written = write_images(tmp_path / "p", 8, seed=0, size=32, fmt=fmt)
    patches = read_images(tmp_path / "p")
    assert written == 8 == len(patches)
    assert patches.classes == sorted(CLASSES)
    assert all(img.shape == (32, 32) for img in patches.images)


def test_write_images_keeps_exact_values_in_mat_files(tmp_path):
    write_images(tmp_path / "p", 4, seed=5, size=24, fmt="mat")
    images, labels = make_images(4, seed=5, size=24)
    patches = read_images(tmp_path / "p")
    first = patches.files.index(f"{labels[0]}/{labels[0]}_00000.mat")
    assert np.array_equal(patches.images[first], images[0])


def test_write_images_refuses_an_existing_folder_without_overwrite(tmp_path):
    write_images(tmp_path / "p", 4, seed=0, size=20, fmt="npy")
    with pytest.raises(RunExistsError, match="overwrite"):
        write_images(tmp_path / "p", 4, seed=1, size=20, fmt="npy")
    assert write_images(tmp_path / "p", 4, seed=1, size=20, fmt="npy", overwrite=True) == 4
