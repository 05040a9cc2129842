"""UMAP fitted on a random sample; every other row embedded by ``transform``.

UMAP's fit builds a nearest-neighbour graph of all rows and optimizes their
layout: its time and memory grow faster than the number of rows, so 10^6
embeddings are out of reach on a workstation. :class:`SampledUMAP` fits
``umap.UMAP`` on ``sample_size`` rows drawn without replacement (seeded by
``random_state``, kept in their original order) and embeds the others with
``UMAP.transform``, in fixed blocks of ``block_size`` rows so that memory stays
bounded and the result does not depend on how many rows there are beside a
block. With at most ``sample_size`` rows it is exactly ``UMAP.fit_transform``.
With a fixed ``random_state`` the sample, the fit and every transformed block
are deterministic (UMAP then runs single-threaded).

Progress: one line (or bar, on a terminal) for the fit and one per block of the
transform, through :mod:`seislearn.progress` (silent under ``--quiet``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

#: Rows UMAP is fitted on (all rows up to this many).
DEFAULT_SAMPLE_SIZE = 10_000
#: Rows per ``transform`` call.
DEFAULT_BLOCK_SIZE = 20_000


class SampledUMAP:
    """UMAP on a sample, ``transform`` for the rest.

    Parameters
    ----------
    n_components : int
        Output dimensions (clamped to ``n_rows - 2`` for tiny inputs).
    n_neighbors : int
        UMAP neighbourhood size (clamped to ``n_rows - 1``).
    min_dist : float
        UMAP minimum distance.
    sample_size : int or None
        Rows the UMAP is fitted on; None fits on all rows.
    block_size : int
        Rows per ``transform`` call.
    random_state : int
        Seed of the sample, the fit and the transform.
    desc : str
        Name of the stage in progress lines.
    verbose : bool or None
        Report progress; None (the default) follows :mod:`seislearn.progress`
        (``--quiet``), False is silent.

    Attributes
    ----------
    umap_ : umap.UMAP, fitted on the sample
    sample_index_ : ndarray of int, rows of the fitted data the UMAP was fitted on (sorted)
    n_rows_ : int, rows of the fitted data
    """

    def __init__(
        self,
        n_components: int = 2,
        n_neighbors: int = 15,
        min_dist: float = 0.1,
        sample_size: int | None = DEFAULT_SAMPLE_SIZE,
        block_size: int = DEFAULT_BLOCK_SIZE,
        random_state: int = 0,
        desc: str = "UMAP",
        verbose: bool | None = None,
    ) -> None:
        if sample_size is not None and sample_size < 4:
            raise ValueError(f"UMAP sample size must be at least 4, got {sample_size}")
        if block_size < 1:
            raise ValueError(f"UMAP block size must be positive, got {block_size}")
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.sample_size = sample_size
        self.block_size = block_size
        self.random_state = random_state
        self.desc = desc
        self.verbose = verbose

    def _show(self) -> bool:
        from seislearn.progress import is_quiet

        return (not is_quiet()) if self.verbose is None else bool(self.verbose)

    def sample_rows(self, n_rows: int) -> np.ndarray:
        """Indices of the rows fitted (sorted); all rows when ``n_rows <= sample_size``."""
        if self.sample_size is None or n_rows <= self.sample_size:
            return np.arange(n_rows)
        rng = np.random.default_rng(self.random_state)
        return np.sort(rng.choice(n_rows, self.sample_size, replace=False))

    def _new_umap(self, n_fit: int) -> Any:
        import umap

        return umap.UMAP(
            n_components=min(self.n_components, max(n_fit - 2, 1)),
            n_neighbors=min(self.n_neighbors, max(n_fit - 1, 2)),
            min_dist=self.min_dist,
            random_state=self.random_state,
            transform_seed=self.random_state,
        )

    def fit(self, x: np.ndarray) -> SampledUMAP:
        """Fit the UMAP on the sample of ``x`` ``(n_rows, n_features)``."""
        self._fit(x)
        return self

    def _fit(self, x: np.ndarray) -> np.ndarray:
        import contextlib

        from seislearn.progress import Stage

        x = _as_rows(x)
        self.n_rows_ = len(x)
        self.sample_index_ = self.sample_rows(len(x))
        sample = x[self.sample_index_]
        self.umap_ = self._new_umap(len(sample))
        what = f"{len(sample):,} rows" + (
            f" (a sample of {len(x):,})" if len(sample) < len(x) else ""
        )
        stage = Stage(f"{self.desc} fit on {what}") if self._show() else contextlib.nullcontext()
        with stage, _quiet_umap():
            return np.asarray(self.umap_.fit_transform(sample), dtype=np.float32)

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        """Fit on the sample and embed every row of ``x``: ``(n_rows, n_components)`` float32.

        The sampled rows keep their fitted embedding; the others are transformed.
        """
        x = _as_rows(x)
        fitted = self._fit(x)
        if len(self.sample_index_) == len(x):
            return fitted
        out = np.empty((len(x), fitted.shape[1]), dtype=np.float32)
        out[self.sample_index_] = fitted
        rest = np.setdiff1d(np.arange(len(x)), self.sample_index_, assume_unique=True)
        out[rest] = self._transform_blocks(x, rest)
        return out

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Embed new rows ``(n, n_features)`` -> ``(n, n_components)`` float32, block by block."""
        if not hasattr(self, "umap_"):
            raise RuntimeError("SampledUMAP is not fitted")
        x = _as_rows(x)
        return self._transform_blocks(x, np.arange(len(x)))

    def _transform_blocks(self, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        from seislearn.progress import track

        out = np.empty((len(rows), self.umap_.n_components), dtype=np.float32)
        starts = range(0, len(rows), self.block_size)
        with _quiet_umap():
            desc = f"{self.desc} transform of {len(rows):,} rows"
            for start in track(starts, desc, unit="block") if self._show() else starts:
                block = rows[start : start + self.block_size]
                out[start : start + len(block)] = self.umap_.transform(x[block])
        return out


def _as_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected 2-D data (n_rows, n_features), got shape {x.shape}")
    if len(x) < 4:
        raise ValueError(f"UMAP needs at least 4 rows, got {len(x)}")
    return x


class _quiet_umap:
    """UMAP's "n_jobs overridden by setting random_state" warning is intended here."""

    def __enter__(self) -> None:
        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.filterwarnings("ignore", message=".*n_jobs.*", category=UserWarning)

    def __exit__(self, *exc: object) -> None:
        self._catch.__exit__(*exc)
