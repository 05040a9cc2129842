"""Feature extractors for the ``images`` workflow and their content-keyed cache.

An extractor is described by a JSON-able ``spec`` (``kind``, backbone name,
weights, input size) and turns patches ``(n, S, S)`` in [0, 1] into feature
vectors. Features are cached in ``cache_dir/<key>.npz`` where the key is a
sha256 over every patch's bytes and shape, the extractor spec, and a digest of
the weights actually used - so a changed file, another model or retrained
weights never hit a stale entry. Cache files are read with
``allow_pickle=False``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seislearn.errors import DataError
from seislearn.runs import atomic_path

log = logging.getLogger(__name__)

#: Bump when the preprocessing changes, so old cache entries are never used.
FEATURE_VERSION = 1


def default_cache_dir() -> Path:
    """``$SEISLEARN_CACHE_DIR/image_features`` or ``~/.cache/seislearn/image_features``."""
    root = os.environ.get("SEISLEARN_CACHE_DIR")
    base = Path(root) if root else Path.home() / ".cache" / "seislearn"
    return base / "image_features"


def state_digest(module: Any) -> str:
    """sha256 over a module's parameters and buffers (names, shapes, bytes)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def content_key(images: Iterable[np.ndarray], spec: dict[str, Any], weights_digest: str) -> str:
    """Cache key of (patches, extractor): sha256 hex.

    ``images`` may be any iterable (a streamed pass reads them one chunk at a time).
    """
    digest = hashlib.sha256()
    digest.update(json.dumps({"v": FEATURE_VERSION, **spec}, sort_keys=True).encode())
    digest.update(weights_digest.encode())
    for image in images:
        a = np.ascontiguousarray(image, dtype=np.float32)
        digest.update(str(a.shape).encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


@dataclass
class Extractor:
    """A feature extractor ready to run.

    Attributes
    ----------
    spec : dict, JSON description (``kind``, ``name``, ``weights``, ``weights_tag``, ``input_size``)
    model : torch.nn.Module, in eval mode
    """

    spec: dict[str, Any]
    model: Any

    @property
    def input_size(self) -> int:
        return int(self.spec["input_size"])

    def weights_digest(self) -> str:
        if not hasattr(self, "_digest"):
            self._digest = state_digest(self.model)
        return self._digest

    def run(self, images01: np.ndarray, batch_size: int = 64, progress: bool = True) -> np.ndarray:
        """Features ``(n, D)`` of scaled patches ``(n, S, S)`` in [0, 1]."""
        from seislearn.models.backbones import extract_features

        if self.spec["kind"] == "ssl":
            return extract_features(
                self.model, images01, batch_size, normalize=None, channels=1, progress=progress
            )
        return extract_features(self.model, images01, batch_size, progress=progress)


def torchvision_extractor(name: str, weights: str, input_size: int) -> Extractor:
    """A torchvision backbone (``weights``: ``imagenet``, ``random`` or a file path)."""
    from seislearn.models.backbones import build_backbone

    model, tag = build_backbone(name, weights)
    spec = {
        "kind": "torchvision",
        "name": name,
        "weights": weights,
        "weights_tag": tag,
        "input_size": input_size,
    }
    return Extractor(spec, model)


def features_cached(
    extractor: Extractor,
    images: list[np.ndarray],
    batch_size: int = 64,
    cache_dir: Path | None = None,
    progress: bool = True,
) -> tuple[np.ndarray, bool]:
    """Features of raw patches, from the cache when the same content was seen.

    Parameters
    ----------
    extractor : Extractor
    images : list of ndarray, raw 2-D patches as read
    batch_size : int
    cache_dir : Path or None (no caching)
    progress : bool

    Returns
    -------
    features : ndarray float32 (n, D)
    hit : bool, whether they came from the cache
    """
    from seislearn.io.images import stack_scaled

    key = content_key(images, extractor.spec, extractor.weights_digest())
    path = cache_path(cache_dir, key)
    features = load_cached(path, len(images))
    if features is not None:
        return features, True
    scaled = stack_scaled(images, extractor.input_size)
    features = extractor.run(scaled, batch_size=batch_size, progress=progress)
    store_cached(path, features)
    return features, False


def cache_path(cache_dir: Path | None, key: str) -> Path | None:
    """The cache file of ``key`` (``cache_dir/<key>.npz``), None without a cache."""
    return None if cache_dir is None else Path(cache_dir) / f"{key}.npz"


def load_cached(path: Path | None, n_patches: int) -> np.ndarray | None:
    """Cached features ``(n_patches, D)`` at ``path``, or None (absent, unreadable or of
    another length: a warning, and they are computed again)."""
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as cached:
            features = cached["features"]
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring unreadable feature cache %s: %s", path, exc)
        return None
    if features.shape[0] != n_patches:
        return None
    log.info("image features from cache %s", path)
    return features


def store_cached(path: Path | None, features: np.ndarray) -> None:
    """Write ``features`` to the cache file ``path`` (atomically; a read-only cache only
    logs a warning)."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, features=features)
    except OSError as exc:  # a read-only cache must not stop the run
        log.warning("cannot write feature cache %s: %s", path, exc)


def save_extractor(extractor: Extractor, directory: Path) -> None:
    """Write the extractor into a run's ``model/`` folder.

    The SSL encoder's weights are saved (safetensors + JSON). A torchvision
    backbone is saved by reference (name, weights source and their digest), since
    its weights are torchvision's or the user's file; loading checks the digest.
    """
    from seislearn.models.serialization import save_model
    from seislearn.runs import write_json_atomic

    directory.mkdir(parents=True, exist_ok=True)
    spec = dict(extractor.spec)
    spec["weights_digest"] = extractor.weights_digest()
    if spec["kind"] == "ssl":
        save_model(extractor.model, directory, spec["init_args"], extra=spec, name="ssl_")
    write_json_atomic(directory / "extractor.json", spec)


def load_extractor(directory: Path) -> Extractor:
    """Rebuild the extractor saved by :func:`save_extractor` and check its weights."""
    from seislearn.images.encoder import PatchEncoder
    from seislearn.models.serialization import load_model

    path = directory / "extractor.json"
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("the run has no saved feature extractor", path=path) from None
    if spec.get("kind") == "ssl":
        model, _ = load_model(directory, (PatchEncoder,), name="ssl_")
        extractor = Extractor(spec, model)
    elif spec.get("kind") == "torchvision":
        extractor = torchvision_extractor(spec["name"], spec["weights"], spec["input_size"])
    else:
        raise DataError(f"unknown extractor kind {spec.get('kind')!r}", path=path)
    if extractor.weights_digest() != spec.get("weights_digest"):
        raise DataError(
            f"the weights of the {spec.get('name', spec['kind'])} extractor differ from those "
            f"the pipeline was fitted with (source: {spec.get('weights')})",
            path=path,
        )
    return extractor
