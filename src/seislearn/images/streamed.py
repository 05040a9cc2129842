"""The ``images`` workflow when the patches are streamed from their files.

In memory, :func:`seislearn.io.images.read_images` holds every patch as an
array. Streamed, only the list of files is held: a map-style torch dataset
(:class:`PatchFiles`) reads patch ``i`` when asked for it, with the same
reader and the same scaling (:func:`~seislearn.io.images.scale_patch`), so
each DataLoader worker reads its own files. The passes over the folder:

1. :func:`scan_patches` reads every file once to find the bad ones (the same
   :class:`~seislearn.errors.DataError` naming the file as in memory, or the
   file is skipped and listed) before a run folder exists;
2. the self-supervised encoder is trained from a DataLoader over the files;
3. :func:`streamed_features` computes the cache key (the same key as in
   memory: :func:`~seislearn.images.features.content_key` over the same
   bytes) and, on a miss, the features chunk by chunk.

What stays in memory grows with the number of patches, but only by the
features, their UMAP embedding and the predictions (about 1.3 KB a patch with
the defaults), never the pixels.

:func:`choose_images_streaming` makes the ``auto`` choice from the folder's
size (file bytes scaled by the float32 size of a sample of files) against the
available memory, through :func:`seislearn.data.memory.choose_streaming_mode`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from seislearn.data.memory import DataConfig, StreamingChoice
from seislearn.errors import DataError

log = logging.getLogger(__name__)

#: Files read to learn the float32 bytes per file byte of a folder (``auto``).
ESTIMATE_SAMPLE_FILES = 32
#: Raw patches per batch of the cache-key pass: each worker prefetches two batches, so
#: this bounds the raw pixels in flight (16 x (2 x workers + 1) patches).
KEY_PASS_PATCHES = 16
#: DataLoader workers of the streamed passes when ``num_workers`` is not set.
DEFAULT_STREAM_WORKERS = 2


@dataclass
class PatchListing:
    """The patches of a folder, not read.

    Attributes
    ----------
    paths : list of Path, the readable patch files, in the order of ``read_images``
    files : list of str, the same paths relative to ``root``
    labels : list of str or None, the class subfolder of each patch (None when flat)
    root : Path
    skipped : list of str, one message per unreadable file left out
    """

    paths: list[Path]
    files: list[str]
    labels: list[str] | None
    root: Path
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.paths)


class PatchFiles(torch.utils.data.Dataset):
    """A map-style torch dataset over patch files; item ``i`` reads file ``i``.

    Parameters
    ----------
    paths : list of Path
    key : str, optional, ``.mat`` variable name
    size : int, optional, pixels: items are ``(1, size, size)`` float32 tensors scaled to
        [0, 1] as in memory (:func:`~seislearn.io.images.scale_patch`); None: the raw
        float32 patch as read (an ndarray)
    as_tuple : bool, wrap each item in a 1-tuple (what the SSL training steps take)
    """

    def __init__(
        self,
        paths: list[Path],
        key: str | None = None,
        size: int | None = None,
        as_tuple: bool = False,
    ) -> None:
        self.paths = list(paths)
        self.key = key
        self.size = size
        self.as_tuple = as_tuple

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> Any:
        from seislearn.io.images import read_image, scale_patch

        image = read_image(self.paths[int(i)], self.key)
        if self.size is None:
            return image
        item = torch.from_numpy(scale_patch(image, self.size))[None]
        return (item,) if self.as_tuple else item


class _Probe(torch.utils.data.Dataset):
    """Item ``i``: ``(reason, path)`` of file ``i``'s DataError, or None when it reads."""

    def __init__(self, paths: list[Path], key: str | None) -> None:
        self.paths = paths
        self.key = key

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> tuple[str, str | None] | None:
        from seislearn.io.images import read_image

        try:
            read_image(self.paths[i], self.key)
        except DataError as exc:  # returned, not raised: a worker would rewrap it
            return exc.reason, exc.path
        return None


def _as_list(batch: list[Any]) -> list[Any]:
    """Collate into a list (patches of different sizes; module level for workers)."""
    return batch


def _loader(dataset: Any, batch_size: int, num_workers: int, collate: bool = False) -> Any:
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=None if collate else _as_list,
    )


def scan_patches(
    root: str | os.PathLike,
    key: str | None = None,
    on_error: Literal["raise", "skip"] = "raise",
    num_workers: int = 0,
    chunk_patches: int = 256,
) -> PatchListing:
    """List the patches of ``root`` and read each once to find the unreadable ones.

    Parameters
    ----------
    root : path-like, folder (layout of :func:`~seislearn.io.images.list_images`)
    key : str, optional, ``.mat`` variable name
    on_error : {"raise", "skip"}
        The first bad file (in file order) raises its :class:`DataError`, as
        :func:`~seislearn.io.images.read_images` does, or is left out and listed.
    num_workers : int, DataLoader workers reading the files
    chunk_patches : int, files a worker checks per batch

    Raises
    ------
    DataError
        A bad file (``on_error="raise"``), or no readable patch.
    """
    from seislearn.io.images import list_images

    if on_error not in ("raise", "skip"):
        raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
    base = Path(root)
    paths, labels = list_images(base)
    kept: list[int] = []
    skipped: list[str] = []
    start = 0
    for batch in _loader(_Probe(paths, key), chunk_patches, num_workers):
        for offset, problem in enumerate(batch):
            if problem is None:
                kept.append(start + offset)
                continue
            error = DataError(problem[0], path=problem[1])
            if on_error == "raise":
                raise error
            skipped.append(str(error))
        start += len(batch)
    if not kept:
        raise DataError("no readable image patches", path=base)
    kept_paths = [paths[i] for i in kept]
    return PatchListing(
        kept_paths,
        [p.relative_to(base).as_posix() for p in kept_paths],
        [labels[i] for i in kept] if labels is not None else None,
        base,
        skipped,
    )


def iter_patches(
    paths: list[Path], key: str | None, num_workers: int = 0, chunk_patches: int = 256
) -> Iterator[np.ndarray]:
    """The raw float32 patches of ``paths``, one at a time, in order (read by workers)."""
    for batch in _loader(PatchFiles(paths, key), chunk_patches, num_workers):
        yield from batch


def iter_scaled_chunks(
    paths: list[Path],
    key: str | None,
    size: int,
    chunk_patches: int,
    num_workers: int = 0,
) -> Iterator[np.ndarray]:
    """Scaled patches ``(m, size, size)`` float32 in [0, 1], ``chunk_patches`` at a time
    (the last chunk may be shorter), in file order."""
    for batch in _loader(PatchFiles(paths, key, size), chunk_patches, num_workers, True):
        yield batch[:, 0].numpy()


def streamed_features(
    extractor: Any,
    listing: PatchListing,
    key: str | None,
    batch_size: int = 64,
    cache_dir: Path | None = None,
    chunk_patches: int = 2048,
    num_workers: int = 0,
    progress: bool = True,
) -> tuple[np.ndarray, bool]:
    """Features of the listed patches, chunk by chunk, from or into the feature cache.

    The cache key is the in-memory key (:func:`~seislearn.images.features.content_key`),
    computed in a streaming pass; each chunk holds a whole number of batches
    (``chunk_patches`` rounded up to a multiple of ``batch_size``), so the network
    sees the same batches as in memory.

    Returns
    -------
    features : ndarray float32 (n, D)
    hit : bool, whether they came from the cache
    """
    from seislearn.images.features import cache_path, content_key, load_cached, store_cached
    from seislearn.progress import Bar

    digest = content_key(
        iter_patches(listing.paths, key, num_workers, KEY_PASS_PATCHES),
        extractor.spec,
        extractor.weights_digest(),
    )
    path = cache_path(cache_dir, digest)
    cached = load_cached(path, len(listing))
    if cached is not None:
        return cached, True
    chunk = -(-max(1, chunk_patches) // batch_size) * batch_size
    features: np.ndarray | None = None
    start = 0
    bar = Bar("features", total=len(listing), unit="image", enabled=progress)
    with bar:
        chunks = iter_scaled_chunks(listing.paths, key, extractor.input_size, chunk, num_workers)
        for scaled in chunks:
            block = extractor.run(scaled, batch_size=batch_size, progress=False)
            if features is None:
                features = np.empty((len(listing), block.shape[1]), dtype=block.dtype)
            features[start : start + len(block)] = block
            start += len(block)
            bar.update(len(block))
    if features is None or start != len(listing):
        raise DataError(f"read {start} of {len(listing)} patches: the folder changed", listing.root)
    store_cached(path, features)
    return features, False


class LazyImages:
    """``images[i]`` reads patch ``i`` (for the galleries of a streamed run)."""

    def __init__(self, paths: list[Path], key: str | None) -> None:
        self.paths = paths
        self.key = key

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int) -> np.ndarray:
        from seislearn.io.images import read_image

        return read_image(self.paths[int(i)], self.key)


def estimate_patch_bytes(paths: list[Path], key: str | None, seed: int = 0) -> int:
    """Float32 bytes the patches of ``paths`` take in memory, estimated.

    The total file size scaled by the float32 bytes per file byte of up to
    :data:`ESTIMATE_SAMPLE_FILES` files read at random (seeded); unreadable
    sampled files are left out of the ratio (the scan reports them).
    """
    from seislearn.io.images import read_image

    if not paths:
        return 0
    sizes = np.array([p.stat().st_size for p in paths], dtype=np.int64)
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(paths), min(len(paths), ESTIMATE_SAMPLE_FILES), replace=False)
    file_bytes = array_bytes = 0
    for i in picks:
        try:
            array_bytes += read_image(paths[i], key).size * 4
        except DataError:
            continue
        file_bytes += int(sizes[i])
    ratio = array_bytes / file_bytes if file_bytes else 1.0
    return int(sizes.sum() * ratio)


def choose_images_streaming(
    root: str | os.PathLike,
    data: DataConfig | None,
    key: str | None,
    input_size: int,
    feature_dim: int = 0,
) -> StreamingChoice:
    """In memory or streamed for the patches of ``root`` (``--streaming``, ``data.streaming``,
    else ``auto`` from the folder's size).

    The in-memory size is the patches as float32 plus, per patch, two float32
    copies at ``input_size`` (the scaled stack and the training tensors) and the
    features.
    """
    from seislearn.data.memory import choose_streaming_mode
    from seislearn.io.images import list_images

    paths, _ = list_images(root)
    pixel_bytes = estimate_patch_bytes(paths, key)
    per_patch_pixels = max(1, pixel_bytes // (4 * len(paths)))
    extra = 2 * input_size * input_size * 4 + feature_dim * 4
    return choose_streaming_mode(
        data, len(paths), 1, per_patch_pixels, extra, workflow="images", unit="patches"
    )


def stream_workers(num_workers: int | None) -> int:
    """DataLoader workers of a streamed run: ``num_workers``, else
    :data:`DEFAULT_STREAM_WORKERS` (at most the CPUs there are)."""
    if num_workers is not None:
        return int(num_workers)
    return min(DEFAULT_STREAM_WORKERS, os.cpu_count() or 1)
