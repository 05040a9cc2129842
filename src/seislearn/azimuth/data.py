"""Data for the azimuth workflow: labels, windows around P, SNR, and the split.

The back-azimuth truth follows the policy of :mod:`seislearn.data.labels`
(``labels.back_azimuth_from``, default ``auto``): the geodesic back-azimuth from
source and station coordinates wherever they exist, the
``path_back_azimuth_deg`` label only where they do not. A label that disagrees
with the coordinates by more than the tolerance (the label holds the azimuth
instead of the back-azimuth, a known flaw of STEAD) is counted, named, and
never used to train or score unless ``label`` is asked for.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from seislearn.data import schema
from seislearn.data.dataset import WaveformDataset
from seislearn.data.identity import message_names, user_names
from seislearn.data.labels import Truth, TruthConfig, truth_from_config
from seislearn.data.memory import DataConfig
from seislearn.errors import DataError

if TYPE_CHECKING:
    from seislearn.data.window_store import StoredWindows
    from seislearn.evaluation.polarization import PolarizationResult

log = logging.getLogger(__name__)


@dataclass
class AzimuthData:
    """Windows and labels ready for training or evaluation.

    Attributes
    ----------
    windows : ndarray or StoredWindows, float32, shape (n, 3, L), ZNE, normalized per
        window (a store on disk when streamed, see :func:`prepare_streamed`)
    metadata : DataFrame, the rows kept (with ``source_id`` and ``split``)
    back_azimuth_deg : ndarray (n,), degrees, NaN where unknown
    incidence_deg : ndarray (n,), degrees, NaN where unknown
    snr_db : ndarray (n,), dB (from the labels, or estimated from the window)
    snr_estimated : bool, whether ``snr_db`` was estimated
    p_index : int, sample of the P pick inside the window
    sampling_rate : float, Hz, of the windows
    skipped : list of str, traces left out and why
    truth : Truth, where each back-azimuth came from (coordinates or label), with
        the labels that disagree with the coordinates
    streaming : dict, the in-memory or streamed choice and its reason
        (:meth:`seislearn.data.memory.StreamingChoice.as_dict`), empty when not chosen
    """

    windows: np.ndarray
    metadata: pd.DataFrame
    back_azimuth_deg: np.ndarray
    incidence_deg: np.ndarray
    snr_db: np.ndarray
    snr_estimated: bool
    p_index: int
    sampling_rate: float
    skipped: list[str] = field(default_factory=list)
    truth: Truth | None = None
    streaming: dict = field(default_factory=dict)

    @property
    def split(self) -> np.ndarray:
        """Split label per window (empty strings for prediction data without a split)."""
        if schema.SPLIT not in self.metadata.columns:
            return np.full(len(self.metadata), "", dtype=object)
        return self.metadata[schema.SPLIT].astype(str).to_numpy()


def back_azimuth_truth_of(
    metadata: pd.DataFrame,
    source: str = "",
    require: bool = True,
    labels: TruthConfig | None = None,
) -> Truth:
    """The back-azimuth truth of each trace under the truth policy ``labels``.

    See :mod:`seislearn.data.labels`: by default (``auto``) the geodesic
    back-azimuth from source and station coordinates wherever they exist, the
    ``path_back_azimuth_deg`` label elsewhere; labels the coordinates contradict
    are counted, named and never used. A warning names traces whose label and
    coordinates disagree.

    Parameters
    ----------
    metadata : DataFrame
    source : str, dataset name for messages
    require : bool, raise :class:`DataError` when no trace has a back-azimuth
    labels : TruthConfig, the policy (default: ``auto``, 10 degrees)
    """
    config = labels or TruthConfig()
    truth = truth_from_config(metadata, config, "back_azimuth", source or None)
    if require and not np.isfinite(truth.values).any():
        raise DataError(
            f"no back-azimuth: the metadata has neither {schema.BACK_AZIMUTH!r} nor station "
            "and source coordinates",
            path=source or None,
        )
    return truth


def back_azimuth_labels(
    metadata: pd.DataFrame,
    source: str = "",
    require: bool = True,
    labels: TruthConfig | None = None,
) -> np.ndarray:
    """Back-azimuth per trace, degrees in [0, 360); NaN where unknown (see :func:`back_azimuth_truth_of`)."""
    return back_azimuth_truth_of(metadata, source, require, labels).values


def ensure_event_ids(metadata: pd.DataFrame) -> pd.DataFrame:
    """Add ``source_id`` from origin time or source coordinates where the metadata has none."""
    if schema.SOURCE_ID in metadata.columns and metadata[schema.SOURCE_ID].notna().all():
        return metadata
    out = metadata.copy()
    keys = [
        c
        for c in (
            schema.SOURCE_ORIGIN_TIME,
            schema.SOURCE_LATITUDE,
            schema.SOURCE_LONGITUDE,
            schema.SOURCE_DEPTH,
        )
        if c in out.columns
    ]
    if not keys:
        # One trace per event is the only safe assumption left.
        out[schema.SOURCE_ID] = out[schema.TRACE_NAME].astype(str)
    else:
        out[schema.SOURCE_ID] = out[keys].astype(str).agg("|".join, axis=1)
    return out


def estimate_snr_db(windows: np.ndarray, p_index: int, sampling_rate: float) -> np.ndarray:
    """SNR, dB: rms of the first second after P over rms before P, all components together."""
    signal = windows[:, :, p_index : p_index + max(1, round(sampling_rate))]
    noise = windows[:, :, : max(1, p_index - round(0.05 * sampling_rate))]
    rms_signal = np.sqrt(np.mean(signal.astype(np.float64) ** 2, axis=(1, 2)))
    rms_noise = np.sqrt(np.mean(noise.astype(np.float64) ** 2, axis=(1, 2)))
    return 20.0 * np.log10(rms_signal / np.maximum(rms_noise, 1e-12) + 1e-12)


def prepare(
    dataset: WaveformDataset,
    before_s: float,
    after_s: float,
    target_rate_hz: float | None,
    freqmin_hz: float | None,
    freqmax_hz: float | None,
    on_error: str = "raise",
    split_seed: int = 0,
    require_labels: bool = True,
    labels: TruthConfig | None = None,
) -> AzimuthData:
    """Cut bandpassed, globally normalized P windows and collect labels and the split.

    Normalization divides each window by one standard deviation over all three
    components, so the amplitude ratios between components (the polarization)
    survive; it has no fitted parameters, so nothing of dev or test leaks.
    Traces marked ``trace_category == noise`` are left out. With
    ``require_labels=False`` (data to predict) traces may lack a back-azimuth
    label, and a dataset without a train/dev split keeps what it has (no split
    is drawn for it). ``labels`` is the truth policy of the back-azimuth
    (:class:`seislearn.data.labels.TruthConfig`; default ``auto``).
    """
    dataset = earthquakes_of(dataset)
    windows, rows, skipped = cut_p_windows(
        dataset, before_s, after_s, target_rate_hz, freqmin_hz, freqmax_hz, on_error
    )
    return finish(
        windows,
        rows,
        skipped,
        dataset.name,
        before_s,
        target_rate_hz,
        split_seed,
        require_labels,
        labels,
        snr_estimate=None,
    )


def earthquakes_of(dataset: WaveformDataset) -> WaveformDataset:
    """The dataset without its ``trace_category == noise`` traces (an error when none is left)."""
    meta = dataset.metadata
    if schema.CATEGORY in meta.columns:
        dataset = dataset.filter(meta[schema.CATEGORY].astype(str).to_numpy() != "noise")
    if len(dataset) == 0:
        raise DataError("no earthquake traces in the dataset", path=dataset.name)
    return dataset


def cut_p_windows(
    dataset: WaveformDataset,
    before_s: float,
    after_s: float,
    target_rate_hz: float | None,
    freqmin_hz: float | None,
    freqmax_hz: float | None,
    on_error: str = "raise",
    allow_empty: bool = False,
) -> tuple[np.ndarray, pd.DataFrame, list[str]]:
    """Bandpassed P windows ``(n, 3, L)`` float32, each divided by its std over the 3 components.

    The per-trace part of :func:`prepare`: the same for the whole dataset (in
    memory) and for one chunk of it (a streaming pass). Returns the windows, the
    rows kept and the messages of the traces skipped.
    """
    from seislearn.data.windows import Preprocess, extract_windows

    preprocess = Preprocess(
        sampling_rate=1.0,  # replaced per trace
        target_rate=target_rate_hz,
        freqmin=freqmin_hz,
        freqmax=freqmax_hz,
        normalize=None,
    )
    windows, rows, skipped = extract_windows(
        dataset,
        "P",
        before_s,
        after_s,
        preprocess,
        pad="zeros",
        on_error=on_error,  # type: ignore[arg-type]
        preprocess_margin_s=2.0,
        components="ZNE",  # polarization needs all three: a dead horizontal gives a garbage angle
        allow_empty=allow_empty,
    )
    if len(windows) == 0:
        return windows, rows, skipped
    if windows.shape[1] != 3:
        raise DataError(
            f"azimuth needs 3 components (ZNE); the windows have {windows.shape[1]}",
            path=dataset.name,
        )
    # One scale over all three components of the window itself (not of the filter margin).
    scale = windows.std(axis=(1, 2), keepdims=True)
    flat = (scale[:, 0, 0] <= 0) | ~np.isfinite(scale[:, 0, 0])
    if flat.any():
        names = message_names(rows)[flat]
        raise DataError(
            f"{flat.sum()} P windows are flat (all zeros), e.g. {names[0]!r}",
            path=dataset.name,
            trace=str(names[0]),
        )
    return (windows / scale).astype(np.float32), rows, skipped


def finish(
    windows: np.ndarray | StoredWindows,
    rows: pd.DataFrame,
    skipped: list[str],
    name: str,
    before_s: float,
    target_rate_hz: float | None,
    split_seed: int,
    require_labels: bool,
    labels: TruthConfig | None,
    snr_estimate: np.ndarray | None,
) -> AzimuthData:
    """Labels, SNR and the split of prepared windows (metadata work only, no waveform read).

    ``snr_estimate``: :func:`estimate_snr_db` of the windows computed beforehand
    (chunk by chunk when streaming); None computes it here from ``windows``.
    """
    from seislearn.data.splits import assign_splits, check_no_event_leak

    sampling_rate = target_rate_hz or float(rows[schema.SAMPLING_RATE].iloc[0])
    p_index = round(before_s * sampling_rate)
    rows = ensure_event_ids(rows)
    truth = back_azimuth_truth_of(rows, name, require_labels, labels)
    baz = truth.values
    incidence = (
        rows[schema.INCIDENCE].to_numpy(dtype=float)
        if schema.INCIDENCE in rows.columns
        else np.full(len(rows), np.nan)
    )
    if schema.SNR_DB in rows.columns and rows[schema.SNR_DB].notna().all():
        snr, estimated = rows[schema.SNR_DB].to_numpy(dtype=float), False
    elif snr_estimate is not None:
        snr, estimated = np.asarray(snr_estimate, dtype=float), True
    else:
        snr, estimated = estimate_snr_db(np.asarray(windows), p_index, sampling_rate), True
    has_split = schema.SPLIT in rows.columns and set(rows[schema.SPLIT].astype(str)) >= {
        "train",
        "dev",
    }
    if has_split:
        check_no_event_leak(rows)
    elif require_labels:
        rows[schema.SPLIT] = assign_splits(rows, "event", seed=split_seed).to_numpy()
    # Data only to predict keeps its own split column, if any; none is invented for it.
    return AzimuthData(
        windows=windows,  # type: ignore[arg-type]
        metadata=rows,
        back_azimuth_deg=baz,
        incidence_deg=incidence,
        snr_db=snr,
        snr_estimated=estimated,
        p_index=p_index,
        sampling_rate=sampling_rate,
        skipped=skipped,
        truth=truth,
    )


#: Bump when the windowing of :func:`cut_p_windows` changes, so old stores are never read.
WINDOW_STORE_VERSION = 1


def prepare_streamed(
    dataset: WaveformDataset,
    fingerprint: str,
    before_s: float,
    after_s: float,
    target_rate_hz: float | None,
    freqmin_hz: float | None,
    freqmax_hz: float | None,
    on_error: str = "raise",
    split_seed: int = 0,
    require_labels: bool = True,
    labels: TruthConfig | None = None,
    data_config: DataConfig | None = None,
) -> AzimuthData:
    """:func:`prepare` in bounded memory: windows cut chunk by chunk into a feature-cache store.

    Each chunk of ``data.chunk_traces`` traces is read, cut and normalised by
    :func:`cut_p_windows` (the in-memory path's own function) and appended to a
    store keyed by ``fingerprint`` and the window settings; a later command on
    the same data and settings reads the store instead. The SNR estimate is
    computed per chunk; the truth, the event ids and the split come from the
    metadata alone. ``windows`` of the result is a
    :class:`~seislearn.data.window_store.StoredWindows`.
    """
    from seislearn.data.memory import cache_root
    from seislearn.data.window_store import StoredWindows
    from seislearn.features.cache import FeatureCache, cache_key

    config = data_config or DataConfig()
    dataset = earthquakes_of(dataset)
    settings = {
        "kind": "azimuth_p_windows",
        "version": WINDOW_STORE_VERSION,
        "before_s": before_s,
        "after_s": after_s,
        "target_rate_hz": target_rate_hz,
        "freqmin_hz": freqmin_hz,
        "freqmax_hz": freqmax_hz,
        "on_error": on_error,
        "n_traces": len(dataset),
        "trace_names": _names_digest(dataset.metadata),
    }
    key = cache_key(fingerprint, settings)
    skipped: list[str] = []

    def chunks() -> Iterator[tuple[np.ndarray, ...]]:
        rate = target_rate_hz
        for start in range(0, len(dataset), config.chunk_traces):
            positions = np.arange(start, min(start + config.chunk_traces, len(dataset)))
            part = dataset.select(positions)
            part_meta = part.metadata.copy()
            part_meta[_POSITION] = positions
            part = WaveformDataset(part_meta, part.loader, part.name)
            windows, rows, messages = cut_p_windows(
                part, before_s, after_s, target_rate_hz, freqmin_hz, freqmax_hz, on_error, True
            )
            skipped.extend(messages)
            if len(windows) == 0:
                continue
            sr = rate or float(rows[schema.SAMPLING_RATE].iloc[0])
            snr = estimate_snr_db(windows, round(before_s * sr), sr)
            yield (
                windows,
                rows[_POSITION].to_numpy(np.int64),
                rows["window_padded_samples"].to_numpy(np.int64),
                snr,
            )

    names = ("windows", "position", "padded", "snr")
    log.info("streaming P windows of %s into the feature cache (key %s)", dataset.name, key)
    store = FeatureCache(cache_root(config)).get_or_build(
        key, chunks(), names, extra=lambda: {"skipped": skipped}
    )
    _, position, padded, snr = store.read(0, len(store))
    rows = dataset.metadata.iloc[position].reset_index(drop=True).copy()
    rows["window_padded_samples"] = padded
    windows = StoredWindows(store.path, "windows")
    return finish(
        windows,
        rows,
        list(store.extra.get("skipped", [])),
        dataset.name,
        before_s,
        target_rate_hz,
        split_seed,
        require_labels,
        labels,
        snr_estimate=snr,
    )


_POSITION = "_seislearn_position"


def _names_digest(metadata: pd.DataFrame) -> str:
    """sha256 of the trace names (a store is for exactly these traces, in this order)."""
    import hashlib

    names = "\n".join(metadata[schema.TRACE_NAME].astype(str))
    return hashlib.sha256(names.encode()).hexdigest()[:16]


def polarization_of(
    windows: np.ndarray | StoredWindows,
    mask: np.ndarray | None,
    start: int,
    stop: int,
) -> PolarizationResult:
    """Covariance polarization analysis of ``windows[mask][:, :, start:stop]``, chunk by chunk.

    Per-trace results, so chunking changes nothing; stored windows are read a
    chunk at a time (bounded memory), in-memory windows in one call.
    """
    from seislearn.data.window_store import map_chunks, select_windows
    from seislearn.evaluation.polarization import polarization_analysis

    chosen = windows if mask is None else select_windows(windows, mask)
    return map_chunks(lambda w: polarization_analysis(w[:, :, start:stop]), chosen)


def concatenate(parts: list[AzimuthData]) -> AzimuthData:
    """Join prepared datasets with the same window settings into one."""
    first = parts[0]
    if any(p.windows.shape[1:] != first.windows.shape[1:] for p in parts):
        raise DataError("cannot join windows of different shapes")
    return AzimuthData(
        windows=np.concatenate([p.windows for p in parts]),
        metadata=pd.concat([p.metadata for p in parts], ignore_index=True),
        back_azimuth_deg=np.concatenate([p.back_azimuth_deg for p in parts]),
        incidence_deg=np.concatenate([p.incidence_deg for p in parts]),
        snr_db=np.concatenate([p.snr_db for p in parts]),
        snr_estimated=any(p.snr_estimated for p in parts),
        p_index=first.p_index,
        sampling_rate=first.sampling_rate,
        skipped=[s for p in parts for s in p.skipped],
        truth=_join_truths([p.truth for p in parts]),
    )


def _join_truths(truths: list[Truth | None]) -> Truth | None:
    if any(t is None for t in truths) or not truths:
        return None
    first = truths[0]
    return Truth(
        first.quantity,
        first.source,
        *(np.concatenate([getattr(t, k) for t in truths]) for k in _TRUTH_ARRAYS),
        first.tolerance,
    )


_TRUTH_ARRAYS = ("values", "origin", "label", "computed", "disagree", "names")


def synthesize(
    n: int,
    seed: int,
    before_s: float,
    after_s: float,
    freqmin_hz: float | None = 1.0,
    freqmax_hz: float | None = 20.0,
    chunk: int = 1000,
    synthetic_config: object | None = None,
    labels: TruthConfig | None = None,
) -> AzimuthData:
    """Synthetic events cut to P windows chunk by chunk, so memory stays bounded.

    Each chunk has its own seed; event ids are prefixed with the chunk so events
    stay distinct and the per-event split of :func:`make_events` is kept.
    ``labels``: the back-azimuth truth policy (the synthetic labels are computed
    from the coordinates, so every policy gives the same truth).
    """
    from seislearn.data.synthetic import make_events

    parts = []
    for k, start in enumerate(range(0, n, chunk)):
        dataset = make_events(
            min(chunk, n - start), seed=seed * 10_000 + k, config=synthetic_config
        )  # type: ignore[arg-type]
        meta = dataset.metadata.copy()
        meta[schema.SOURCE_ID] = f"c{k}_" + meta[schema.SOURCE_ID].astype(str)
        meta[schema.TRACE_NAME] = meta[schema.TRACE_NAME].astype(str)
        dataset = WaveformDataset(meta, dataset.loader, dataset.name)
        parts.append(
            prepare(dataset, before_s, after_s, None, freqmin_hz, freqmax_hz, labels=labels)
        )
    data = concatenate(parts)
    # Trace names repeat across chunks; make them unique for predictions.csv.
    data.metadata[schema.TRACE_NAME] = [
        f"{name}_c{k}" for k, part in enumerate(parts) for name in part.metadata[schema.TRACE_NAME]
    ]
    if data.truth is not None:
        data.truth.names = user_names(data.metadata)
    return data
