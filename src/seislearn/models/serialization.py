"""Save and load models as safetensors weights plus a JSON of constructor arguments.

Nothing is unpickled and no file names code to run: the JSON holds the name of
a model class, its keyword arguments and free-form metadata (the fitted scaler,
label names). The loader is given the classes it accepts (an explicit registry,
name -> class, written in code); a name outside it is refused, never imported.
Runs saved before the one-package-per-workflow layout named their class by its
old import path (``seislearn.models.heads.AzimuthNet``); that path's last part
is its name, so they still load.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seislearn.errors import DataError
from seislearn.runs import atomic_path, write_json_atomic

if TYPE_CHECKING:
    from torch import nn

WEIGHTS = "weights.safetensors"
SPEC = "model.json"
_SEISLEARN = "seislearn."
_LEGACY_PATH = re.compile(r"seislearn(?:\.\w+)+\.(\w+)")


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
        An instance of a seislearn model class; the spec records its class name.
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
    if not cls.__module__.startswith(_SEISLEARN):
        raise ValueError(
            f"only seislearn model classes can be saved; got {cls.__module__}.{cls.__qualname__}"
        )
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(folder / f"{name}{WEIGHTS}") as tmp:
        save_file(state, str(tmp))
    write_json_atomic(
        folder / f"{name}{SPEC}",
        {"class": cls.__name__, "init_args": init_args, "extra": extra or {}},
    )
    return folder


def read_spec(directory: str | os.PathLike, name: str = "") -> dict[str, Any]:
    """Read the JSON spec of a saved model."""
    path = Path(directory) / f"{name}{SPEC}"
    try:
        spec = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError("no saved model here", path=path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"model spec is not valid JSON: {exc}", path=path) from None
    if not isinstance(spec, dict):
        raise DataError("model spec is not a JSON object", path=path)
    return spec


def model_class(
    spec: dict[str, Any], classes: Sequence[type[nn.Module]], path: str | os.PathLike
) -> type[nn.Module]:
    """The class in ``classes`` that a saved spec names, or a :class:`DataError`.

    ``classes`` is the registry of what the caller loads (name -> class by
    ``__name__``); the spec's name is looked up there and nothing is imported.
    """
    registry = {cls.__name__: cls for cls in classes}
    named = spec.get("class", "")
    name = named if isinstance(named, str) else ""
    legacy = _LEGACY_PATH.fullmatch(name)
    if legacy:
        name = legacy.group(1)
    if name not in registry:
        raise DataError(
            f"refusing to load model class {str(named)[:80]!r}: this command loads "
            f"{', '.join(sorted(registry))}",
            path=path,
        )
    return registry[name]


def load_model(
    directory: str | os.PathLike,
    classes: Sequence[type[nn.Module]],
    name: str = "",
    map_location: str = "cpu",
) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a model saved by :func:`save_model`.

    Parameters
    ----------
    directory : path-like
    classes : sequence of nn.Module classes
        The classes this caller accepts; the spec must name one of them.
    name : str
        Prefix the model was saved with.
    map_location : str
        Device for the weights.

    Returns
    -------
    model : torch.nn.Module, in eval mode
    extra : dict, the metadata saved with it
    """
    from safetensors.torch import load_file

    spec = read_spec(directory, name)
    spec_path = Path(directory) / f"{name}{SPEC}"
    cls = model_class(spec, classes, spec_path)
    init_args = spec.get("init_args", {})
    extra = spec.get("extra", {})
    if not isinstance(init_args, dict) or not isinstance(extra, dict):
        raise DataError("model spec: init_args and extra must be JSON objects", path=spec_path)
    try:
        model = cls(**init_args)
    except (TypeError, ValueError) as exc:
        raise DataError(
            f"model spec does not build a {cls.__name__}: {exc}", path=spec_path
        ) from None
    weights = Path(directory) / f"{name}{WEIGHTS}"
    try:
        state = load_file(str(weights), device=map_location)
    except FileNotFoundError:
        raise DataError("model weights are missing", path=weights) from None
    except Exception as exc:  # safetensors raises its own error types
        raise DataError(f"cannot read model weights: {exc}", path=weights) from None
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        raise DataError(
            f"weights do not fit the {cls.__name__} the spec describes: "
            f"{first[1].strip() if len(first) > 1 else first[0]}",
            path=weights,
        ) from None
    model.eval()
    return model, extra
