"""Per-trace fault rules: the faults that make a trace unusable, as pure functions.

Each rule takes arrays and plain values and returns a list of :class:`Fault`
(empty when the trace is fine); none reads files or raises. They are applied
where windows are cut (:func:`seislearn.data.windows.extract_windows`, used by
every workflow), so a workflow refuses such a trace or, with
``--on-error skip``, skips and lists it; ``seislearn data check`` can report
the same rules under the same check names.

Rules
-----
* :func:`channel_count_faults` -- the waveform has another number of channels
  than the dataset's declared components (a 2-channel trace in a ZNE dataset).
* :func:`dead_channel_faults` -- a component the workflow uses is all zeros
  (a dead channel: the commonest real fault, and an angle from it is garbage),
  holds one value throughout, or is flagged as not recorded.
* :func:`pick_faults` -- the pick lies outside the trace (a pick at sample -5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Fault:
    """One problem of one trace.

    Attributes
    ----------
    check : str
        Name of the rule, as ``data check`` reports it (``zero_channel``,
        ``flat_channel``, ``missing_component``, ``channel_count``,
        ``pick_outside_trace``).
    detail : str
        What is wrong, for the user.
    """

    check: str
    detail: str


def channel_count_faults(waveform: np.ndarray, components: str) -> list[Fault]:
    """A waveform ``(C, N)`` whose ``C`` differs from ``len(components)``.

    Parameters
    ----------
    waveform : ndarray, shape (C, N)
    components : str
        The dataset's declared component order, e.g. ``"ZNE"``.
    """
    channels = waveform.shape[0] if waveform.ndim == 2 else None
    if waveform.ndim != 2 or channels != len(components):
        shape = "x".join(str(s) for s in waveform.shape)
        return [
            Fault(
                "channel_count",
                f"the waveform has shape {shape}, but the dataset declares {len(components)} "
                f"components ({components})",
            )
        ]
    return []


def dead_channel_faults(
    waveform: np.ndarray,
    components: str,
    used: str | None = None,
    recorded: str | None = None,
) -> list[Fault]:
    """Components in ``used`` that are all zeros, constant, or not recorded.

    Parameters
    ----------
    waveform : ndarray, shape (C, N)
        Channels in the order of ``components``.
    components : str
        Component order of ``waveform``, e.g. ``"ZNE"``.
    used : str, optional
        The components the workflow uses (default all of ``components``);
        faults of the others do not matter to it.
    recorded : str, optional
        The components the dataset says were recorded
        (``trace_available_components``); one of ``used`` outside it is a
        ``missing_component`` (its zeros are a placeholder, not data).

    Returns
    -------
    list of Fault
        At most one per kind, naming every component concerned.
    """
    used = components if used is None else used
    missing, zero, flat = [], [], []
    for comp in used:
        if comp not in components:
            missing.append(comp)
            continue
        if recorded is not None and comp not in recorded:
            missing.append(comp)
            continue
        x = waveform[components.index(comp)]
        if x.size == 0 or not np.any(x):
            zero.append(comp)
        elif np.ptp(x) == 0:
            flat.append(f"{comp} = {float(x[0]):g}")
    out = []
    if missing:
        out.append(
            Fault(
                "missing_component",
                f"component {', '.join(missing)} is needed here but was not recorded",
            )
        )
    if zero:
        whole = " (every component used: the trace is dead)" if len(zero) == len(used) else ""
        out.append(
            Fault(
                "zero_channel",
                f"component {', '.join(zero)}: all {waveform.shape[-1]} samples are zero "
                f"(a dead channel){whole}",
            )
        )
    if flat:
        out.append(
            Fault("flat_channel", f"component holds one value throughout: {', '.join(flat)}")
        )
    return out


def pick_faults(pick_sample: float, n_samples: int, phase: str = "P") -> list[Fault]:
    """A pick outside the trace ``[0, n_samples)`` (samples from the trace start)."""
    if not np.isfinite(pick_sample):
        return []  # a missing pick is the caller's own message ("no P pick")
    if pick_sample < 0 or pick_sample >= n_samples:
        return [
            Fault(
                "pick_outside_trace",
                f"{phase} pick at sample {pick_sample:g} lies outside the trace "
                f"(0-{n_samples - 1})",
            )
        ]
    return []


def trace_faults(
    waveform: np.ndarray,
    components: str,
    pick_sample: float | None = None,
    phase: str = "P",
    used: str | None = None,
    recorded: str | None = None,
) -> list[Fault]:
    """Every rule above for one trace (the channel count first: the others need it right)."""
    faults = channel_count_faults(waveform, components)
    if faults:
        return faults
    faults = dead_channel_faults(waveform, components, used, recorded)
    if pick_sample is not None:
        faults += pick_faults(pick_sample, waveform.shape[-1], phase)
    return faults
