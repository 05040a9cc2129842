"""Read seismic image patches: MATLAB ``.mat`` (v5 and v7.3), PNG and NPY.

A folder holds either one subfolder per class (the subfolder name is the label,
used only for evaluation) or the patches themselves (no labels). Every patch is
returned as a 2-D ``float32`` array; a file that cannot be read is a
:class:`~seislearn.errors.DataError` naming it, or, with ``on_error="skip"``,
left out and listed - never replaced by a blank image that keeps a label.

Nothing is unpickled: ``.mat`` v5 files are read with
``scipy.io.loadmat(..., mat_dtype=False)`` and refused if they hold MATLAB
objects or cells (SciPy never unpickles, but such content is not an image);
NPY files with ``allow_pickle=False``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from seislearn.errors import DataError

SUFFIXES: tuple[str, ...] = (".mat", ".png", ".npy")


@dataclass
class ImageSet:
    """Patches read from a folder.

    Attributes
    ----------
    images : list of ndarray, float32 (H, W) each (sizes may differ)
    files : list of str, paths relative to the root folder
    labels : list of str or None, the class subfolder of each patch (None when flat)
    skipped : list of str, one message per unreadable file left out
    root : Path
    """

    images: list[np.ndarray]
    files: list[str]
    labels: list[str] | None
    root: Path
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def classes(self) -> list[str]:
        """Sorted class names (empty when unlabelled)."""
        return sorted(set(self.labels)) if self.labels else []


def _pick_2d(arrays: dict[str, np.ndarray], key: str | None, path: Path) -> np.ndarray:
    if key is not None:
        if key not in arrays:
            raise DataError(
                f"no variable {key!r} (found: {', '.join(sorted(arrays)) or 'none'})", path=path
            )
        return arrays[key]
    # MATLAB stores scalars and vectors as 2-D too: an image has both sides > 1.
    two_d = {k: v for k, v in arrays.items() if np.ndim(v) == 2 and min(np.shape(v)) > 1}
    if len(two_d) == 1:
        return next(iter(two_d.values()))
    if "img" in arrays:
        return arrays["img"]
    raise DataError(
        f"cannot tell which variable is the image ({len(two_d)} 2-D arrays: "
        f"{', '.join(sorted(two_d)) or 'none'}); pass the key (--key)",
        path=path,
    )


def _read_mat(path: Path, key: str | None) -> np.ndarray:
    import h5py
    from scipy.io import loadmat

    if h5py.is_hdf5(path):  # MATLAB v7.3 files are HDF5
        with h5py.File(path, "r") as f:
            arrays = {k: f[k][()] for k in f if isinstance(f[k], h5py.Dataset)}
        # MATLAB writes column-major: h5py sees the transpose.
        image = _pick_2d(arrays, key, path)
        return np.asarray(image).T
    arrays = loadmat(path, squeeze_me=False, struct_as_record=True)
    arrays = {k: v for k, v in arrays.items() if not k.startswith("__")}
    image = _pick_2d(arrays, key, path)
    if getattr(image, "dtype", None) is not None and image.dtype.kind in "OV":
        raise DataError("the image variable holds a MATLAB cell/struct, not numbers", path=path)
    return np.asarray(image)


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as img:
        img.load()
        if img.mode in ("RGB", "RGBA", "P", "LA"):
            img = img.convert("L")
        return np.asarray(img)


def read_image(path: str | os.PathLike, key: str | None = None) -> np.ndarray:
    """Read one patch as a 2-D ``float32`` array.

    Parameters
    ----------
    path : path-like, a ``.mat``, ``.png`` or ``.npy`` file
    key : str, optional
        Variable name in a ``.mat`` file; default: the only 2-D array, else ``img``.

    Raises
    ------
    DataError
        If the file cannot be read, is not 2-D (a single-channel 3-D array is
        squeezed), is empty, or holds non-finite values.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if suffix == ".mat":
            image = _read_mat(p, key)
        elif suffix == ".npy":
            image = np.load(p, allow_pickle=False)
        elif suffix == ".png":
            image = _read_png(p)
        else:
            raise DataError(
                f"unsupported image file type {suffix!r} (expected .mat, .png, .npy)", p
            )
    except DataError:
        raise
    except Exception as exc:  # each reader raises its own types for a corrupt file
        raise DataError(f"cannot read image: {type(exc).__name__}: {exc}", path=p) from None
    image = np.asarray(image)
    if image.ndim == 3 and 1 in (image.shape[0], image.shape[-1]):
        image = image.squeeze()
    if image.ndim != 2:
        raise DataError(f"expected a 2-D image, got shape {image.shape}", path=p)
    if image.size == 0 or min(image.shape) < 2:
        raise DataError(f"image is empty or degenerate (shape {image.shape})", path=p)
    if image.dtype.kind not in "biuf":
        raise DataError(f"image has non-numeric dtype {image.dtype}", path=p)
    image = image.astype(np.float32)
    if not np.all(np.isfinite(image)):
        raise DataError("image holds NaN or infinite values", path=p)
    return image


def list_images(root: str | os.PathLike) -> tuple[list[Path], list[str] | None]:
    """Patch files of a folder and their labels.

    Subfolders (one level) are classes; a folder with patch files directly in it
    and no class subfolders is unlabelled. Files are sorted for reproducibility.
    """
    base = Path(root)
    if not base.is_dir():
        raise DataError("no such folder", path=base)
    subdirs = sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    class_files = {
        d.name: sorted(f for f in d.iterdir() if f.suffix.lower() in SUFFIXES) for d in subdirs
    }
    class_files = {k: v for k, v in class_files.items() if v}
    flat = sorted(f for f in base.iterdir() if f.is_file() and f.suffix.lower() in SUFFIXES)
    if class_files:
        if flat:
            raise DataError(
                f"mixes {len(flat)} patch files with class subfolders; put every patch "
                "in a class subfolder, or use a flat folder without subfolders",
                path=base,
            )
        files = [f for name in sorted(class_files) for f in class_files[name]]
        labels = [name for name in sorted(class_files) for _ in class_files[name]]
        return files, labels
    if not flat:
        raise DataError(f"no image patches ({', '.join(SUFFIXES)}) found", path=base)
    return flat, None


def read_images(
    root: str | os.PathLike,
    key: str | None = None,
    on_error: Literal["raise", "skip"] = "raise",
) -> ImageSet:
    """Read every patch under ``root`` (see :func:`list_images` for the layout).

    Parameters
    ----------
    root : path-like, folder
    key : str, optional, ``.mat`` variable name
    on_error : {"raise", "skip"}
        A bad file raises :class:`DataError` or is skipped and listed in ``skipped``.
    """
    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    base = Path(root)
    files, labels = list_images(base)
    images: list[np.ndarray] = []
    kept_files: list[str] = []
    kept_labels: list[str] = []
    skipped: list[str] = []
    for i, path in enumerate(files):
        try:
            images.append(read_image(path, key))
        except DataError as exc:
            if on_error == "raise":
                raise
            skipped.append(str(exc))
            continue
        kept_files.append(path.relative_to(base).as_posix())
        if labels is not None:
            kept_labels.append(labels[i])
    if not images:
        raise DataError("no readable image patches", path=base)
    return ImageSet(images, kept_files, kept_labels if labels is not None else None, base, skipped)


def robust_scale(image: np.ndarray, low: float = 1.0, high: float = 99.0) -> np.ndarray:
    """Scale to [0, 1] between the ``low`` and ``high`` percentiles, clipped.

    Robust to a few extreme amplitudes (unlike min-max); a constant image maps to 0.5.
    """
    lo, hi = np.percentile(image, [low, high])
    if hi - lo <= 1e-12 * max(abs(hi), 1.0):
        return np.full(image.shape, 0.5, dtype=np.float32)
    return np.clip((image - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)


def to_three_channels(image: np.ndarray) -> np.ndarray:
    """Grayscale (H, W) to (3, H, W) by copying, for ImageNet backbones."""
    return np.repeat(np.asarray(image, dtype=np.float32)[None], 3, axis=0)


def scale_patch(image: np.ndarray, size: int) -> np.ndarray:
    """One patch robustly scaled to [0, 1] and resized to ``size`` x ``size`` pixels
    (bilinear, antialiased): float32 ``(size, size)``."""
    import torch
    import torch.nn.functional as F

    scaled = robust_scale(image)
    if scaled.shape != (size, size):
        t = torch.from_numpy(scaled)[None, None]
        scaled = F.interpolate(
            t, size=(size, size), mode="bilinear", align_corners=False, antialias=True
        )
        scaled = scaled[0, 0].numpy()
    return scaled


def stack_scaled(images: list[np.ndarray], size: int) -> np.ndarray:
    """Robustly scale each patch and resize to ``size`` x ``size`` (:func:`scale_patch`).

    Returns
    -------
    ndarray, float32 (n, size, size) in [0, 1]
    """
    out = np.empty((len(images), size, size), dtype=np.float32)
    for i, image in enumerate(images):
        out[i] = scale_patch(image, size)
    return out
