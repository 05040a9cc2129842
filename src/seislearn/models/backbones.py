"""Pretrained torchvision backbones as image feature extractors.

Weights come through torchvision's weights API (``ResNet50_Weights.DEFAULT``
and so on): downloaded once into torch's hub cache, then read from there. No
network is needed when the cache holds them or when a local file is given
(a state dict loaded with ``torch.load(weights_only=True)``, or safetensors).
Without either, :class:`~seislearn.errors.OfflineError` says how to get them.
The classification head is replaced by the identity, so the network returns
its pooled features (2048 for ResNet50).
"""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from seislearn.errors import DataError, OfflineError

if TYPE_CHECKING:
    import torch
    from torch import nn

_HEAD_ATTRIBUTES = ("fc", "classifier", "heads", "head")
#: Seconds to wait for the weights server before calling it offline.
DOWNLOAD_TIMEOUT_S = 20.0


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _head_name(model: nn.Module) -> str:
    for name in _HEAD_ATTRIBUTES:
        if hasattr(model, name):
            return name
    raise ValueError(f"do not know the classification head of {type(model).__name__}")


def _cached_weights_file(url: str) -> Path:
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(url).path)


def imagenet_state_dict(name: str) -> tuple[dict[str, torch.Tensor], str]:
    """The default ImageNet weights of torchvision model ``name``.

    Returns
    -------
    state : dict, the state dict
    tag : str, the weights' enum name (e.g. ``ResNet50_Weights.IMAGENET1K_V2``)

    Raises
    ------
    OfflineError
        When they are neither cached nor downloadable.
    """
    import torch
    from torchvision.models import get_model_weights

    weights = get_model_weights(name).DEFAULT
    cached = _cached_weights_file(weights.url)
    if not cached.is_file():
        if os.environ.get("SEISLEARN_OFFLINE") == "1":
            reason = "SEISLEARN_OFFLINE=1 is set"
        else:
            reason = _download(weights.url, cached)
        if reason:
            raise OfflineError(
                f"the ImageNet weights of {name} ({weights}) are not in the torch cache "
                f"({cached}) and could not be downloaded ({reason}). Either run once with "
                f"network access (they are cached in {cached.parent}), copy {weights.url} "
                f"to {cached} by hand, or pass a local state dict with --weights FILE "
                "(.pth/.pt or .safetensors); --extractor ssl needs no download."
            )
    state = torch.load(cached, map_location="cpu", weights_only=True)
    return state, str(weights)


def _download(url: str, target: Path) -> str:
    """Download ``url`` to ``target``; return "" on success or the reason it failed."""
    import torch

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        torch.hub.download_url_to_file(url, str(target), progress=True)
    except (OSError, ValueError, RuntimeError) as exc:  # URLError is an OSError
        return f"{type(exc).__name__}: {exc}"
    finally:
        socket.setdefaulttimeout(previous)
    return ""


def load_state_file(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict from ``.safetensors`` or a ``torch.save`` file (``weights_only``)."""
    import torch

    p = Path(path)
    if not p.is_file():
        raise DataError("weights file not found", path=p)
    try:
        if p.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(p))
        else:
            state = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch/safetensors raise many types for a bad file
        raise DataError(f"cannot read weights: {type(exc).__name__}: {exc}", path=p) from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(hasattr(v, "shape") for v in state.values()):
        raise DataError("weights file does not hold a state dict of tensors", path=p)
    return state


def build_backbone(name: str = "resnet50", weights: str = "imagenet") -> tuple[nn.Module, str]:
    """A torchvision classification network without its head, in eval mode.

    Parameters
    ----------
    name : str
        A torchvision model name (``resnet50``, ``resnet18``, ``efficientnet_b0``, ...).
    weights : str
        ``"imagenet"`` (torchvision's default weights), ``"random"`` (untrained;
        for timing only), or the path of a local weights file.

    Returns
    -------
    model : torch.nn.Module, returns (batch, n_features)
    weights_tag : str, what the weights were (enum name, ``random``, or ``sha256:...``)
    """
    import torchvision
    from torch import nn

    if name not in torchvision.models.list_models(module=torchvision.models):
        raise DataError(f"unknown torchvision classification model {name!r}")
    model = torchvision.models.get_model(name, weights=None)
    head = _head_name(model)
    if weights == "random":
        tag = "random"
    else:
        if weights == "imagenet":
            state, tag = imagenet_state_dict(name)
        else:
            state = load_state_file(weights)
            tag = f"sha256:{file_sha256(weights)}"
        missing, unexpected = model.load_state_dict(state, strict=False)
        # A state dict saved from a head-less extractor is fine; anything else is not.
        missing = [k for k in missing if not k.startswith(f"{head}.")]
        if missing or unexpected:
            raise DataError(
                f"weights do not fit {name}: {len(missing)} missing keys "
                f"({', '.join(missing[:3])}...), {len(unexpected)} unexpected keys "
                f"({', '.join(list(unexpected)[:3])}...)",
                path=None if weights == "imagenet" else weights,
            )
    setattr(model, head, nn.Identity())
    model.eval()
    return model, tag


def extract_features(
    model: nn.Module,
    images: Any,
    batch_size: int = 64,
    normalize: tuple[tuple[float, ...], tuple[float, ...]] | None = (
        (0.485, 0.456, 0.406),
        (0.229, 0.224, 0.225),
    ),
    progress: bool = True,
    description: str = "features",
    channels: int = 3,
) -> Any:
    """Batched inference: ``(n, H, W)`` images in [0, 1] to ``(n, D)`` float32 features.

    Grayscale is copied to ``channels`` input channels (3 for ImageNet nets),
    normalized (ImageNet mean and std by default), fed channels-last in
    ``torch.inference_mode``.

    Parameters
    ----------
    model : torch.nn.Module
    images : ndarray, float32 (n, H, W) in [0, 1]
    batch_size : int
    normalize : (mean, std) per channel, or None
    progress : bool, show progress (:class:`seislearn.progress.Bar`: a bar with rate and
        time left on a terminal, one line when done otherwise)
    description : str, label of the bar
    channels : int, input channels the model expects (grayscale is repeated)
    """
    import numpy as np
    import torch

    from seislearn.progress import Bar

    n = len(images)
    model = model.to(memory_format=torch.channels_last)
    mean = std = None
    if normalize is not None:
        mean = torch.tensor(normalize[0]).view(1, -1, 1, 1)
        std = torch.tensor(normalize[1]).view(1, -1, 1, 1)
    chunks: list[np.ndarray] = []
    bar = Bar(description, total=n, unit="image", enabled=progress)
    with torch.inference_mode(), bar:
        for start in range(0, n, batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(images[start : start + batch_size]))
            x = batch[:, None].expand(-1, channels, -1, -1)
            if mean is not None:
                x = (x - mean) / std
            x = x.contiguous(memory_format=torch.channels_last)
            chunks.append(model(x).flatten(1).float().numpy())
            bar.update(len(batch))
    if not chunks:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32)
