"""Save and load models as safetensors weights plus a JSON of constructor arguments.

Nothing is unpickled: the JSON names a class inside ``seislearn.models`` (no
other module is imported), its keyword arguments, and free-form metadata such
as the fitted scaler or label names.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seislearn.errors import DataError
from seislearn.runs import atomic_path, write_json_atomic

if TYPE_CHECKING:
    from torch import nn

WEIGHTS = "weights.safetensors"
SPEC = "model.json"
_ALLOWED_PREFIX = "seislearn.models."


def save_model(
    model: nn.Module,
    directory: str | os.PathLike,
    init_args: dict[str, Any],
    extra: dict[str, Any] | None = None,
    name: str = "",
) -> Path:
    """Write ``{name}weights.safetensors`` and ``{name}model.json`` into ``directory``.

    Parameters
    ----------
    model : torch.nn.Module
        Its class must live in ``seislearn.models``.
    directory : path-like
    init_args : dict
        JSON-serializable keyword arguments that rebuild the model.
    extra : dict, optional
        JSON-serializable metadata stored beside (scalers, class names, ...).
    name : str
        Prefix, to keep several models in one folder (``"vae_"``, ``"head_"``).
    """
    from safetensors.torch import save_file

    cls = type(model)
    qualname = f"{cls.__module__}.{cls.__qualname__}"
    if not qualname.startswith(_ALLOWED_PREFIX):
        raise ValueError(f"only seislearn.models classes can be saved; got {qualname}")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(folder / f"{name}{WEIGHTS}") as tmp:
        save_file(state, str(tmp))
    write_json_atomic(
        folder / f"{name}{SPEC}", {"class": qualname, "init_args": init_args, "extra": extra or {}}
    )
    return folder


def read_spec(directory: str | os.PathLike, name: str = "") -> dict[str, Any]:
    """Read the JSON spec of a saved model."""
    path = Path(directory) / f"{name}{SPEC}"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("no saved model here", path=path) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"model spec is not valid JSON: {exc}", path=path) from None


def load_model(
    directory: str | os.PathLike, name: str = "", map_location: str = "cpu"
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model saved by :func:`save_model`.

    Returns
    -------
    model : torch.nn.Module, in eval mode
    extra : dict, the metadata saved with it
    """
    from safetensors.torch import load_file

    spec = read_spec(directory, name)
    qualname = str(spec.get("class", ""))
    if not qualname.startswith(_ALLOWED_PREFIX):
        raise DataError(
            f"refusing to load class {qualname!r} (not in seislearn.models)", path=directory
        )
    module_name, _, cls_name = qualname.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), cls_name)
    except (ImportError, AttributeError):
        raise DataError(f"unknown model class {qualname!r}", path=directory) from None
    model = cls(**spec.get("init_args", {}))
    weights = Path(directory) / f"{name}{WEIGHTS}"
    try:
        state = load_file(str(weights), device=map_location)
    except FileNotFoundError:
        raise DataError("model weights are missing", path=weights) from None
    except Exception as exc:  # safetensors raises its own error types
        raise DataError(f"cannot read model weights: {exc}", path=weights) from None
    model.load_state_dict(state)
    model.eval()
    return model, spec.get("extra", {})
