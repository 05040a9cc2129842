"""Fine-tuning a synthetic azimuth run on a few labelled real traces: the mixed recipe.

Fine-tuning end to end on a few real traces alone overfits them. The recipe that met the
fine-tuning goal of issue 13 on ``seisbench_dummy`` (docs/azimuth.md, "What transfers from
synthetic to real") joins the real train traces, repeated, to synthetic train windows of
the starting run's own training data and trains with :data:`FINETUNE_RECIPE`. This module
makes it what ``azimuth train --init-from RUN`` does when the data has fewer labelled
train traces than ``training.finetune_mix_below``:

* ``training.finetune_mix`` synthetic windows (``auto``: :data:`FINETUNE_MIX_AUTO`) drawn
  with the seed from the train split of RUN's data (the path RUN recorded, or
  ``training.finetune_mix_data``), prepared with RUN's window settings, split seed and
  truth policy;
* the real train traces repeated ``round(n_synthetic / 3 / n_real)`` times (about a third
  as many as the synthetic windows: a quarter of the mixed training set);
* the real dev and test traces as they are: only real traces stop the training early,
  calibrate the uncertainty and are scored; synthetic windows are in the train split only.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from seislearn.azimuth.config import (
    FINETUNE_MIX_AUTO,
    FINETUNE_RECIPE,
    AzimuthConfig,
    resolve_batch_size,
)
from seislearn.azimuth.data import AzimuthData, concatenate
from seislearn.data import schema
from seislearn.errors import DataError

log = logging.getLogger(__name__)

#: Prefix of the synthetic windows' trace names in a mixed set (they never reach an output).
SYNTHETIC_PREFIX = "finetune_mix_synthetic:"


def mix_count(config: AzimuthConfig, n_real_train: int) -> int:
    """Synthetic windows to mix into a fine-tuning set of ``n_real_train`` labelled traces.

    Parameters
    ----------
    config : AzimuthConfig
        ``training.finetune_mix`` (``auto``, a count, 0 = off) and
        ``training.finetune_mix_below`` (mix only below this many real train traces).
    n_real_train : int
        Labelled traces in the real train split.

    Returns
    -------
    int
        0 when no mixing happens (off, no real train traces, or at or above the threshold).
    """
    t = config.training
    wanted = FINETUNE_MIX_AUTO if t.finetune_mix == "auto" else int(t.finetune_mix)
    if wanted <= 0 or n_real_train == 0 or n_real_train >= t.finetune_mix_below:
        return 0
    return wanted


def apply_recipe(config: AzimuthConfig, explicit: set[str]) -> tuple[AzimuthConfig, dict]:
    """``config`` with :data:`FINETUNE_RECIPE` on every training key not in ``explicit``.

    Returns the new config and the settings applied (key -> value).
    """
    applied = {k: v for k, v in FINETUNE_RECIPE.items() if k not in explicit}
    training = config.training.model_copy(update=applied)
    return config.model_copy(update={"training": training}), applied


def starting_data_path(init_from: str | os.PathLike, config: AzimuthConfig) -> Path:
    """Where the synthetic training data of ``init_from`` is: ``training.finetune_mix_data``
    or the data path the run recorded in its ``manifest.json``.

    Raises
    ------
    DataError
        When that path does not exist (or the run recorded none), naming it and the
        options: give the data's path or turn mixing off. Never falls back silently.
    """
    given = config.training.finetune_mix_data
    recorded = None
    manifest = Path(init_from) / "manifest.json"
    if manifest.is_file():
        recorded = json.loads(manifest.read_text(encoding="utf-8")).get("data")
    path = given or recorded
    off = (
        "give its path with --set training.finetune_mix_data=PATH, or turn mixing off "
        "with --set training.finetune_mix=0 (fine-tuning on the real traces alone, "
        "which missed the goal in docs/azimuth.md)"
    )
    if path is None:
        raise DataError(
            f"--init-from {init_from}: fine-tuning on a few labelled traces mixes in "
            f"synthetic windows of that run's training data, but the run recorded no data "
            f"path ({manifest}); {off}"
        )
    if not Path(path).exists():
        where = "training.finetune_mix_data" if given else f"recorded in {manifest}"
        raise DataError(
            f"--init-from {init_from}: fine-tuning on a few labelled traces mixes in "
            f"synthetic windows of that run's training data, {path} ({where}), which does "
            f"not exist; {off}",
            path=str(path),
        )
    return Path(path)


def starting_config(init_from: str | os.PathLike) -> AzimuthConfig:
    """The resolved configuration ``init_from`` was trained with (its ``config.yaml``)."""
    import yaml

    from seislearn.config import parse_config

    path = Path(init_from) / "config.yaml"
    saved = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return parse_config(AzimuthConfig, saved, str(path))


def _rows(data: AzimuthData, idx: np.ndarray, names: list[str] | None = None) -> AzimuthData:
    """The windows ``idx`` of ``data`` in memory (copies allowed), with their own split."""
    meta = data.metadata.iloc[idx].reset_index(drop=True).copy()
    if names is not None:
        meta[schema.TRACE_NAME] = names
    return AzimuthData(
        np.asarray(data.windows[idx], dtype=np.float32),
        meta,
        data.back_azimuth_deg[idx],
        data.incidence_deg[idx],
        data.snr_db[idx],
        data.snr_estimated,
        data.p_index,
        data.sampling_rate,
        truth=None if data.truth is None else data.truth.select(idx),
    )


def mix_synthetic(
    real: AzimuthData,
    synthetic: AzimuthData,
    n_synthetic: int,
    seed: int,
) -> tuple[AzimuthData, dict[str, Any]]:
    """The mixed fine-tuning set: ``n_synthetic`` synthetic train windows drawn with
    ``seed``, the real labelled train traces repeated to a third as many, and the real
    dev, test and unlabelled traces once.

    Parameters
    ----------
    real : AzimuthData
        The fine-tuning data, with its split.
    synthetic : AzimuthData
        The starting run's training data, prepared with its window settings.
    n_synthetic : int
        Synthetic train windows wanted (fewer when the split has fewer).
    seed : int
        Draws the synthetic windows.

    Returns
    -------
    AzimuthData, dict
        The mixed set (synthetic windows in the train split only, under names starting
        with :data:`SYNTHETIC_PREFIX`) and the record of what was mixed.
    """
    if synthetic.windows.shape[1:] != real.windows.shape[1:]:
        raise DataError(
            f"fine-tuning mix: the starting run's windows are {synthetic.windows.shape[1:]}, "
            f"the fine-tuning data's {real.windows.shape[1:]}; the window settings differ"
        )
    pool = np.flatnonzero((synthetic.split == "train") & np.isfinite(synthetic.back_azimuth_deg))
    rng = np.random.default_rng(seed)
    drawn = np.sort(rng.choice(pool, size=min(n_synthetic, len(pool)), replace=False))
    real_train = np.flatnonzero((real.split == "train") & np.isfinite(real.back_azimuth_deg))
    copies = max(1, round(len(drawn) / 3 / len(real_train)))
    others = np.setdiff1d(np.arange(len(real.windows)), real_train)
    synth_part = _rows(
        synthetic,
        drawn,
        [f"{SYNTHETIC_PREFIX}{n}" for n in synthetic.metadata[schema.TRACE_NAME].iloc[drawn]],
    )
    synth_part.metadata[schema.SPLIT] = "train"
    mixed = concatenate(
        [synth_part, _rows(real, np.repeat(real_train, copies)), _rows(real, others)]
    )
    n_real = copies * len(real_train)
    record = {
        "mixed": True,
        "synthetic_windows": len(drawn),
        "synthetic_train_available": len(pool),
        "real_train_traces": len(real_train),
        "real_train_copies": copies,
        "real_train_windows": n_real,
        "real_share_of_train": round(n_real / (n_real + len(drawn)), 4),
        "real_dev_traces": int((real.split == "dev").sum()),
        "real_test_traces": int((real.split == "test").sum()),
        "seed": seed,
    }
    return mixed, record


def finetune_mix(
    data: AzimuthData,
    config: AzimuthConfig,
    init_from: str | os.PathLike,
    seed: int,
    explicit_training: set[str],
    read_windows: Callable[[Path, AzimuthConfig], AzimuthData],
) -> tuple[AzimuthData, AzimuthConfig, dict[str, Any] | None]:
    """Apply the mixed recipe to a fine-tuning set when it is small (see the module doc).

    Parameters
    ----------
    data : AzimuthData
        The (real) fine-tuning data, with its split.
    config : AzimuthConfig
        The fine-tuning configuration.
    init_from : path-like
        The starting run.
    seed : int
        The training seed (draws the synthetic windows).
    explicit_training : set of str
        The ``training`` keys the user set; the recipe changes only the others.
    read_windows : callable
        ``read_windows(path, config)``: the labelled P windows of the data set at
        ``path`` with ``config``'s window settings, traces that cannot be read left
        out (the workflow's own reader, passed in so this module does not import it).

    Returns
    -------
    AzimuthData, AzimuthConfig, dict or None
        The data and config to train with, and the record of the mix for
        ``metrics.json`` (None when nothing was mixed, with the reason logged).
    """
    from seislearn.runs import fingerprint_path

    n_real = int(((data.split == "train") & np.isfinite(data.back_azimuth_deg)).sum())
    wanted = mix_count(config, n_real)
    if wanted == 0:
        return data, config, None
    path = starting_data_path(init_from, config)
    start = starting_config(init_from)
    log.info(
        "fine-tuning on %d labelled train traces (< training.finetune_mix_below=%d): mixing "
        "%d synthetic windows of %s (training.finetune_mix=0 turns this off)",
        n_real,
        config.training.finetune_mix_below,
        wanted,
        path,
    )
    synthetic = read_windows(path, start)
    config, applied = apply_recipe(config, explicit_training)
    mixed, record = mix_synthetic(data, synthetic, wanted, seed)
    n_mixed = int((mixed.split == "train").sum())
    if n_mixed % resolve_batch_size(config.training.batch_size, n_mixed) == 1 and wanted > 1:
        # A last batch of one window cannot train the net's batch normalisation.
        mixed, record = mix_synthetic(data, synthetic, record["synthetic_windows"] - 1, seed)
    manifest = Path(init_from) / "manifest.json"
    recorded: dict[str, Any] = {}
    if manifest.is_file():
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
    recorded_fp = recorded.get("data_fingerprint")
    fingerprint = fingerprint_path(path)
    if recorded.get("data") == str(path) and recorded_fp and recorded_fp != fingerprint:
        log.warning(
            "fine-tuning mix: %s changed since %s was trained on it (fingerprint %s -> %s)",
            path,
            init_from,
            recorded_fp,
            fingerprint,
        )
    record.update(
        {
            "synthetic_data": str(path),
            "synthetic_data_fingerprint": fingerprint,
            "starting_run_data_fingerprint": recorded_fp,
            "synthetic_window": start.window.model_dump(mode="json"),
            "recipe_applied": applied,
            "recipe_kept_as_set": sorted(set(FINETUNE_RECIPE) & explicit_training),
            "threshold": config.training.finetune_mix_below,
        }
    )
    mixed.streaming = data.streaming
    mixed.skipped = data.skipped
    return mixed, config, record
