"""Spectrogram image folders: one subfolder per class, RGB(A) PNGs, 3 components as colours.

Published spectrogram-CNN studies release their inputs as PNG images whose
red, green and blue channels hold the log-spectrograms of the Z, N and E
components (e.g. 33 x 96 pixels for nperseg 64 at 100 Hz). This module reads
such folders as ``(3, F, T)`` float tensors (image rows are frequencies,
columns are times; the alpha channel is dropped) and writes them.

Layouts read by :func:`read_image_folder`::

    PATH/<class>/*.png                      no split: the caller splits
    PATH/{train,dev,test}/<class>/*.png     the split is given by the folders
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.errors import DataError

IMAGE_SUFFIXES = (".png",)


@dataclass
class ImageFolder:
    """Images of a folder as arrays.

    Attributes
    ----------
    images : ndarray, float32, shape (n, 3, F, T), values in [0, 1]
    metadata : DataFrame
        ``trace_name`` (path relative to the root), ``label`` (class folder),
        ``split`` (train/dev/test, or empty when the folders give none).
    class_names : list of str, sorted
    """

    images: np.ndarray
    metadata: pd.DataFrame
    class_names: list[str]


def read_png(path: str | os.PathLike) -> np.ndarray:
    """Read one RGB or RGBA PNG as float32 ``(3, H, W)`` in [0, 1] (alpha dropped).

    Raises
    ------
    DataError
        If the file cannot be decoded or is not RGB/RGBA (a grayscale image
        cannot hold three components).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            mode = img.mode
            if mode not in ("RGB", "RGBA"):
                raise DataError(
                    f"image mode is {mode}, expected RGB or RGBA (three components as colours)",
                    path=path,
                )
            depth = 65535.0 if img.info.get("bitdepth", 8) == 16 else 255.0
            array = np.asarray(img.convert("RGB") if mode == "RGBA" else img)
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise DataError(f"cannot read image: {exc}", path=path) from None
    return (np.moveaxis(array, -1, 0).astype(np.float32) / depth).astype(np.float32)


def write_png(path: str | os.PathLike, spectrogram: np.ndarray) -> Path:
    """Write a ``(3, F, T)`` spectrogram as an 8-bit RGB PNG.

    One min-max over all three components maps values to 0-255 (as the
    published images were made), so the ratios between components survive.
    """
    from PIL import Image

    from seislearn.runs import atomic_path

    spec = np.asarray(spectrogram, dtype=float)
    if spec.ndim != 3 or spec.shape[0] != 3:
        raise ValueError(f"expected a (3, F, T) spectrogram, got shape {spec.shape}")
    lo, hi = float(spec.min()), float(spec.max())
    scaled = (spec - lo) / (hi - lo) if hi > lo else np.zeros_like(spec)
    pixels = np.round(np.moveaxis(scaled, 0, -1) * 255).astype(np.uint8)
    with atomic_path(path) as tmp:
        Image.fromarray(pixels, mode="RGB").save(tmp, format="PNG")
    return Path(path)


def write_image_folder(
    spectrograms: np.ndarray,
    labels: list[str] | np.ndarray,
    root: str | os.PathLike,
    splits: list[str] | np.ndarray | None = None,
    names: list[str] | None = None,
) -> Path:
    """Write spectrograms ``(n, 3, F, T)`` as ``root/[split/]label/name.png``."""
    root = Path(root)
    for i, spec in enumerate(spectrograms):
        folder = root / str(splits[i]) if splits is not None else root
        name = names[i] if names is not None else f"{i:06d}"
        write_png(folder / str(labels[i]) / f"{name}.png", spec)
    return root


def read_image_folder(root: str | os.PathLike, on_error: str = "raise") -> ImageFolder:
    """Read a folder of class subfolders of spectrogram PNGs.

    Parameters
    ----------
    root : path-like
        ``root/<class>/*.png`` or ``root/{train,dev,test}/<class>/*.png``.
    on_error : {"raise", "skip"}
        A file that cannot be read raises :class:`DataError` naming it, or is
        skipped and listed in ``metadata.attrs["skipped"]``.

    Raises
    ------
    DataError
        If the folder holds no class subfolders with PNGs, or images differ in size.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError("no such folder", path=root)
    split_dirs = [root / s for s in schema.SPLITS if (root / s).is_dir()]
    groups = [(d, d.name) for d in split_dirs] if split_dirs else [(root, "")]
    rows: list[dict[str, str]] = []
    images: list[np.ndarray] = []
    skipped: list[str] = []
    for folder, split in groups:
        for class_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            for file in sorted(class_dir.iterdir()):
                if file.suffix.lower() not in IMAGE_SUFFIXES:
                    continue
                try:
                    image = read_png(file)
                    if images and image.shape != images[0].shape:
                        raise DataError(
                            f"image is {image.shape[1]}x{image.shape[2]} pixels, "
                            f"the first was {images[0].shape[1]}x{images[0].shape[2]}",
                            path=file,
                        )
                except DataError as exc:
                    if on_error == "skip":
                        skipped.append(str(exc))
                        continue
                    raise
                images.append(image)
                rows.append(
                    {
                        schema.TRACE_NAME: str(file.relative_to(root)),
                        "label": class_dir.name,
                        schema.SPLIT: split,
                    }
                )
    if not images:
        raise DataError("no PNG images found in class subfolders", path=root)
    metadata = pd.DataFrame(rows)
    metadata.attrs["skipped"] = skipped
    return ImageFolder(np.stack(images), metadata, sorted(metadata["label"].unique().tolist()))


def is_image_folder(root: str | os.PathLike) -> bool:
    """True when ``root`` holds PNGs in class subfolders (optionally under split folders)."""
    root = Path(root)
    if not root.is_dir():
        return False
    return any(root.glob("*/*.png")) or any(root.glob("*/*/*.png"))
