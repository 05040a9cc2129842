"""Validated configurations: pydantic models, YAML in and out, CLI overrides.

An unknown or mistyped key is an error that names it and suggests the closest
valid key, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from seislearn.errors import ConfigError


class StrictModel(BaseModel):
    """Base of every config: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


C = TypeVar("C", bound=StrictModel)


def _suggest(key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(valid)}"


def _explain(error: ValidationError, model: type[StrictModel], source: str) -> ConfigError:
    lines = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"])
        if item["type"] == "extra_forbidden":
            parent: Any = model
            for part in item["loc"][:-1]:
                field = (
                    parent.model_fields.get(str(part)) if hasattr(parent, "model_fields") else None
                )
                parent = field.annotation if field is not None else None
            valid = list(parent.model_fields) if hasattr(parent, "model_fields") else []
            lines.append(f"unknown key {loc!r}{_suggest(str(item['loc'][-1]), valid)}")
        else:
            lines.append(f"{loc}: {item['msg']} (got {item.get('input')!r})")
    return ConfigError(f"invalid configuration in {source}: " + "; ".join(lines))


def parse_config(model: type[C], data: dict[str, Any] | None, source: str = "config") -> C:
    """Validate a dict against ``model``, raising :class:`ConfigError` with suggestions."""
    try:
        return model.model_validate(data or {})
    except ValidationError as exc:
        raise _explain(exc, model, source) from None


def load_config(
    model: type[C], path: str | os.PathLike | None = None, overrides: list[str] | None = None
) -> C:
    """Load a YAML config (optional), apply ``key=value`` overrides, and validate.

    Parameters
    ----------
    model : type
        The pydantic config class.
    path : path-like, optional
        YAML file; defaults are used when omitted.
    overrides : list of str, optional
        ``"key=value"`` or ``"section.key=value"``; values are parsed as YAML scalars.
    """
    import yaml

    data: dict[str, Any] = {}
    source = "defaults"
    if path is not None:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"config file {path} must hold a mapping of keys to values")
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} must look like key=value")
        target = data
        parts = key.strip().split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = yaml.safe_load(raw)
        source = f"{source} + --set"
    return parse_config(model, data, source)
