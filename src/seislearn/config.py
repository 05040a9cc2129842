"""Validated configurations: pydantic models, YAML in and out, CLI overrides.

An unknown or mistyped key is an error that names it and suggests the closest
valid key, so a typo never silently falls back to a default. Wrong types,
non-finite numbers (``inf``, ``nan``) and impossible combinations (a band whose
low corner is above its high one, an empty list of layers, an STFT overlap as
long as its segment) are errors naming the key too, raised before any data is
read: the helpers below are what each workflow's config uses in its
validators. Values that depend on the data (the Nyquist frequency, the
components present) are checked by :func:`check_band_below_nyquist` and the
workflows right after the metadata is read.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from seislearn.errors import ConfigError
from seislearn.sizes import small_sizes


class StrictModel(BaseModel):
    """Base of every config: unknown keys, ``inf`` and ``nan`` are errors; assignments validated.

    ``SMALL_OVERRIDES`` are the ``key=value`` settings used when the size switch
    (``SEISLEARN_SMALL``, :mod:`seislearn.sizes`) is on: few epochs, so a command finishes
    in seconds.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)
    SMALL_OVERRIDES: ClassVar[tuple[str, ...]] = ()


def check_order(low: float | None, high: float | None, low_key: str, high_key: str) -> None:
    """Raise ``ValueError`` naming both keys unless ``low < high`` (either may be ``None``)."""
    if low is not None and high is not None and not low < high:
        raise ValueError(f"{low_key} ({low:g}) must be below {high_key} ({high:g})")


def check_not_empty(values: list | tuple | None, key: str) -> None:
    """Raise ``ValueError`` naming ``key`` for an empty list (``None`` means the default)."""
    if values is not None and len(values) == 0:
        raise ValueError(f"{key} must not be empty")


def check_band_below_nyquist(
    freqmin: float | None,
    freqmax: float | None,
    sampling_rate: float,
    source: str,
    keys: tuple[str, str] = ("freqmin", "freqmax"),
) -> None:
    """A bandpass must lie below the Nyquist frequency of the data it filters.

    Called right after the metadata is read (the rate comes from there), before
    any waveform is.

    Raises
    ------
    ConfigError
        Naming the key, the rate and where it came from.
    """
    nyquist = sampling_rate / 2
    for key, value in zip(keys, (freqmin, freqmax), strict=True):
        if value is not None and value >= nyquist:
            raise ConfigError(
                f"{key} = {value:g} Hz is not below the Nyquist frequency {nyquist:g} Hz of "
                f"{source} ({sampling_rate:g} Hz); lower it or resample (target rate)"
            )


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
        With the size switch on (``SEISLEARN_SMALL``), the model's ``SMALL_OVERRIDES`` come
        first, so the user's overrides still win.
    """
    import yaml

    if small_sizes():
        overrides = [*model.SMALL_OVERRIDES, *(overrides or [])]

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
        for depth, part in enumerate(parts[:-1]):
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                section = ".".join(parts[: depth + 1])
                raise ConfigError(
                    f"override {item!r}: {section!r} was set to a value, not a section; "
                    f"set its keys as {section}.KEY=VALUE"
                )
        try:
            target[parts[-1]] = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ConfigError(f"override {item!r}: the value is not valid YAML: {exc}") from None
        source = f"{source} + --set"
    return parse_config(model, data, source)
