"""A short text summary of a dataset (``seislearn data info``)."""

from __future__ import annotations

from seislearn.data import schema
from seislearn.data.dataset import WaveformDataset


def describe(dataset: WaveformDataset, sample: int = 3) -> str:
    """Traces, columns, sampling rates, splits, picks, and the shape of the first traces."""
    meta = dataset.metadata
    lines = [f"dataset      {dataset.name}", f"traces       {len(dataset)}"]
    lines.append(f"components   {dataset.component_order} (float32, channels x samples)")
    if schema.SAMPLING_RATE in meta.columns:
        rates = meta[schema.SAMPLING_RATE].value_counts().to_dict()
        lines.append("rates (Hz)   " + ", ".join(f"{k:g}: {v}" for k, v in rates.items()))
    if schema.SPLIT in meta.columns:
        lines.append(
            "splits       "
            + ", ".join(f"{k}: {v}" for k, v in meta[schema.SPLIT].value_counts().items())
        )
    for column, label in ((schema.P_ARRIVAL, "P picks"), (schema.S_ARRIVAL, "S picks")):
        if column in meta.columns:
            lines.append(f"{label:<13}{int(meta[column].notna().sum())} of {len(meta)}")
    if schema.AVAILABLE_COMPONENTS in meta.columns:
        counts = meta[schema.AVAILABLE_COMPONENTS].value_counts().to_dict()
        lines.append("recorded     " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    for i in range(min(sample, len(dataset))):
        wave = dataset.get_waveform(i)
        lines.append(f"trace {i:<6} {meta[schema.TRACE_NAME].iloc[i]}  shape {wave.shape}")
    lines.append(f"columns      {', '.join(meta.columns)}")
    return "\n".join(lines)
