"""Synthetic reflection-seismic image patches: horizon, fault, chaotic, salt dome.

Each patch is a reflectivity model convolved (along depth, the row axis) with a
Ricker wavelet, plus band-limited noise, like a migrated 2-D section:

* A layered earth is a 1-D reflectivity series ``R(t)`` of relative geologic
  time ``t`` (sparse spikes of random sign and size). The image reflectivity is
  ``R(t(z, x))``: the shape of the time field ``t`` makes the class.
* **horizon** - ``t = z - dip x - fold(x)``: continuous reflectors, flat,
  dipping or gently folded.
* **fault** - the horizon field shifted by a throw on one side of a dipping
  fault plane, so reflectors are offset across a line (normal or reverse).
* **chaotic** - many short reflector segments at random depths and dips:
  discontinuous, no lateral continuity beyond a few pixels.
* **salt dome** - reflectors dragged upward against the flanks of a dome and
  arched above its top; the dome interior has weak chaotic reflectivity.

The wavelet's peak frequency is in cycles per pixel (rows are time/depth
samples). Amplitudes are scaled to unit standard deviation before noise at a
random signal-to-noise ratio is added. Rows are depth (down), columns are
distance (right), ``float32``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from seislearn.errors import RunExistsError

#: Class names, in label order.
CLASSES: tuple[str, ...] = ("horizon", "fault", "chaotic", "salt_dome")
FORMATS: tuple[str, ...] = ("mat", "npy", "png")


def ricker(peak_frequency: float, half_length: int) -> np.ndarray:
    """Ricker wavelet sampled at integer pixels.

    Parameters
    ----------
    peak_frequency : float, cycles per pixel
    half_length : int, pixels on each side of the centre
    """
    t = np.arange(-half_length, half_length + 1, dtype=np.float64)
    a = (np.pi * peak_frequency * t) ** 2
    return (1.0 - 2.0 * a) * np.exp(-a)


def _reflectivity_series(rng: np.random.Generator, length: int) -> np.ndarray:
    """Sparse reflection coefficients on a 1-pixel grid of geologic time."""
    series = np.zeros(length)
    t = float(rng.uniform(0, 4))
    while t < length:
        series[int(t)] = rng.normal() * rng.uniform(0.4, 1.0)
        t += rng.uniform(3.0, 9.0)
    return series


def _sample(series: np.ndarray, t: np.ndarray, offset: float) -> np.ndarray:
    """``R(t)`` by linear interpolation (``offset`` keeps ``t`` inside the series)."""
    grid = np.arange(series.size, dtype=np.float64)
    return np.interp(t + offset, grid, series, left=0.0, right=0.0)


def _layer_time(rng: np.random.Generator, z: np.ndarray, x: np.ndarray, size: int) -> np.ndarray:
    """Geologic time of a continuous layered model: dip plus an optional gentle fold."""
    dip = rng.uniform(-0.35, 0.35)
    fold = rng.uniform(0, 0.08 * size) * (rng.random() < 0.5)
    wavelength = rng.uniform(0.8, 2.5) * size
    phase = rng.uniform(0, 2 * np.pi)
    return z - dip * x - fold * np.sin(2 * np.pi * x / wavelength + phase)


def _horizon(rng: np.random.Generator, z: np.ndarray, x: np.ndarray, size: int) -> np.ndarray:
    series = _reflectivity_series(rng, 4 * size)
    return _sample(series, _layer_time(rng, z, x, size), 1.5 * size)


def _fault(rng: np.random.Generator, z: np.ndarray, x: np.ndarray, size: int) -> np.ndarray:
    series = _reflectivity_series(rng, 4 * size)
    t = _layer_time(rng, z, x, size)
    # Fault plane through a point near the centre, steep (50-80 deg from horizontal).
    x0 = rng.uniform(0.3, 0.7) * size
    z0 = size / 2
    slope = np.tan(np.deg2rad(90 - rng.uniform(50, 80))) * rng.choice([-1, 1])
    side = x > x0 + (z - z0) * slope
    throw = rng.uniform(0.08, 0.25) * size * rng.choice([-1, 1])
    t = t + throw * side
    return _sample(series, t, 1.5 * size)


def _chaotic(rng: np.random.Generator, z: np.ndarray, x: np.ndarray, size: int) -> np.ndarray:
    refl = np.zeros_like(z)
    n_segments = int(rng.integers(6, 12) * size * size / 400)
    zi = rng.uniform(0, size, n_segments)
    xi = rng.uniform(0, size, n_segments)
    lengths = rng.uniform(3, 0.15 * size, n_segments)
    dips = rng.uniform(-1.0, 1.0, n_segments)
    amps = rng.normal(0, 1, n_segments)
    for z_c, x_c, half, dip, amp in zip(zi, xi, lengths / 2, dips, amps, strict=True):
        cols = np.arange(max(0, int(x_c - half)), min(size, int(x_c + half) + 1))
        rows = np.round(z_c + dip * (cols - x_c)).astype(int)
        keep = (rows >= 0) & (rows < size)
        refl[rows[keep], cols[keep]] += amp
    return refl


def _salt_dome(rng: np.random.Generator, z: np.ndarray, x: np.ndarray, size: int) -> np.ndarray:
    series = _reflectivity_series(rng, 5 * size)
    xc = rng.uniform(0.35, 0.65) * size
    top = rng.uniform(0.2, 0.5) * size
    width = rng.uniform(0.12, 0.25) * size
    # Flank half-width grows with depth below the top (a rounded, widening stock).
    depth_below = np.clip(z - top, 0, None)
    half_width = width * np.sqrt(depth_below / size + 0.02) * 2.2
    distance = np.abs(x - xc) - half_width
    inside = (z >= top) & (distance < 0)
    drag = rng.uniform(0.15, 0.35) * size
    # Upward drag against the flanks decays away from the dome; arching above the top.
    uplift = drag * np.exp(-np.clip(distance, 0, None) / (0.15 * size))
    arch = drag * np.exp(-(((x - xc) / (1.5 * width)) ** 2)) * (z < top)
    t = z + np.where(z >= top, uplift, arch) - rng.uniform(-0.1, 0.1) * x
    refl = _sample(series, t, 1.5 * size)
    interior = rng.normal(0, 0.12, z.shape) * (rng.random(z.shape) < 0.25)
    return np.where(inside, interior, refl)


_MODELS = {"horizon": _horizon, "fault": _fault, "chaotic": _chaotic, "salt_dome": _salt_dome}


def make_patch(label: str, rng: np.random.Generator, size: int = 99) -> np.ndarray:
    """One synthetic patch of class ``label``.

    Parameters
    ----------
    label : str, one of :data:`CLASSES`
    rng : numpy.random.Generator
    size : int, pixels (square)

    Returns
    -------
    ndarray, float32 (size, size), rows = depth
    """
    from scipy.ndimage import convolve1d, gaussian_filter

    if label not in _MODELS:
        raise ValueError(f"unknown class {label!r}; expected one of {CLASSES}")
    z, x = np.mgrid[0:size, 0:size].astype(np.float64)
    refl = _MODELS[label](rng, z, x, size)
    peak_frequency = rng.uniform(0.07, 0.14)
    wavelet = ricker(peak_frequency, int(np.ceil(1.5 / peak_frequency)))
    image = convolve1d(refl, wavelet, axis=0, mode="constant")
    image /= image.std() + 1e-12
    snr = rng.uniform(2.0, 8.0)  # amplitude ratio
    noise = gaussian_filter(rng.normal(size=(size, size)), sigma=(1.0, 0.7))
    noise /= noise.std() + 1e-12
    return (image + noise / snr).astype(np.float32)


def make_images(n: int, seed: int = 0, size: int = 99) -> tuple[np.ndarray, np.ndarray]:
    """``n`` patches, classes in turn (balanced).

    Parameters
    ----------
    n : int, number of patches
    seed : int
    size : int, pixels (square), at least 16

    Returns
    -------
    images : ndarray, float32 (n, size, size)
    labels : ndarray of str (n,), from :data:`CLASSES`
    """
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}")
    rng = np.random.default_rng(seed)
    labels = np.array([CLASSES[i % len(CLASSES)] for i in range(n)])
    rng.shuffle(labels)
    images = np.stack([make_patch(str(lab), rng, size) for lab in labels]) if n else None
    if images is None:
        images = np.zeros((0, size, size), dtype=np.float32)
    return images, labels


def _save(path: Path, image: np.ndarray, fmt: str) -> None:
    if fmt == "npy":
        np.save(path, image, allow_pickle=False)
    elif fmt == "mat":
        from scipy.io import savemat

        savemat(path, {"img": image}, do_compression=True)
    else:
        from PIL import Image

        lo, hi = np.percentile(image, [0.5, 99.5])
        scaled = np.clip((image - lo) / max(hi - lo, 1e-12), 0, 1)
        Image.fromarray((scaled * 255).round().astype(np.uint8), mode="L").save(path)


def write_images(
    out: str | os.PathLike,
    n: int,
    seed: int = 0,
    size: int = 99,
    fmt: str = "mat",
    overwrite: bool = False,
) -> int:
    """Write ``n`` synthetic patches into ``out/<class>/<class>_<i>.<fmt>``.

    Parameters
    ----------
    out : path-like, output folder (one subfolder per class)
    n : int, number of patches
    seed : int
    size : int, pixels
    fmt : {"mat", "npy", "png"}; ``mat`` is MATLAB v5 with key ``img``
    overwrite : bool, replace class subfolders that already exist

    Returns
    -------
    int, the number of files written

    Raises
    ------
    RunExistsError
        If ``out`` already holds patches and ``overwrite`` is false.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown image format {fmt!r}; expected one of {FORMATS}")
    root = Path(out)
    existing = [root / c for c in CLASSES if (root / c).exists()]
    if existing and not overwrite:
        raise RunExistsError(f"{root} already holds patches; pass --overwrite to replace them")
    for folder in existing:
        shutil.rmtree(folder)
    images, labels = make_images(n, seed=seed, size=size)
    counters = dict.fromkeys(CLASSES, 0)
    for image, label in zip(images, labels, strict=True):
        folder = root / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        _save(folder / f"{label}_{counters[label]:05d}.{fmt}", image, fmt)
        counters[label] += 1
    return len(images)
