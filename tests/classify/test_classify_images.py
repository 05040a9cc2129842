"""Spectrogram PNG folders: one subfolder per class, colours = components."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seislearn.errors import DataError
from seislearn.features.images import read_image_folder, read_png, write_image_folder


def test_rgba_png_is_read_as_three_channels_with_alpha_dropped(tmp_path: Path) -> None:
    pixels = np.zeros((33, 96, 4), dtype=np.uint8)
    pixels[..., 0], pixels[..., 1], pixels[..., 2], pixels[..., 3] = 255, 0, 51, 128
    Image.fromarray(pixels, mode="RGBA").save(tmp_path / "a.png")
    image = read_png(tmp_path / "a.png")
    assert image.shape == (3, 33, 96)
    assert image[0].max() == 1.0 and image[1].max() == 0.0
    assert image[2, 0, 0] == pytest.approx(0.2)


def test_grayscale_png_is_an_error_naming_the_file(tmp_path: Path) -> None:
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8), mode="L").save(tmp_path / "gray.png")
    with pytest.raises(DataError, match=r"gray\.png"):
        read_png(tmp_path / "gray.png")


def test_class_folders_become_labels_and_split_folders_the_split(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    specs = rng.normal(size=(6, 3, 17, 20))
    labels = ["foreshock", "aftershock"] * 3
    splits = ["train", "train", "dev", "dev", "test", "test"]
    write_image_folder(specs, labels, tmp_path, splits=splits)
    folder = read_image_folder(tmp_path)
    assert folder.images.shape == (6, 3, 17, 20)
    assert folder.class_names == ["aftershock", "foreshock"]
    assert sorted(folder.metadata["split"]) == sorted(splits)


def test_written_png_keeps_the_ordering_of_values_across_components(tmp_path: Path) -> None:
    spec = np.stack([np.full((4, 5), v) for v in (0.0, 1.0, 2.0)])
    write_image_folder(spec[None], ["a"], tmp_path)
    image = read_image_folder(tmp_path).images[0]
    assert image[0].max() == 0.0 and image[2].min() == 1.0
    assert image[1, 0, 0] == pytest.approx(128 / 255)


def test_unreadable_image_is_skipped_and_listed_on_request(tmp_path: Path) -> None:
    write_image_folder(np.ones((1, 3, 4, 4)) * np.arange(3)[:, None, None], ["a"], tmp_path)
    (tmp_path / "a" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match=r"broken\.png"):
        read_image_folder(tmp_path)
    folder = read_image_folder(tmp_path, on_error="skip")
    assert len(folder.images) == 1
    assert "broken.png" in folder.metadata.attrs["skipped"][0]
