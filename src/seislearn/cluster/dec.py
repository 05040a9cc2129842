"""``DeepEmbeddedClustering``: CAE pretraining then DEC, as a scikit-learn estimator.

Usable on any array of images ``(n, C, H, W)`` (``(n, H, W)`` is read as one
channel), e.g. spectrograms or scikit-learn's 8x8 digits::

    from seislearn.cluster.dec import DeepEmbeddedClustering
    dec = DeepEmbeddedClustering(n_clusters=10, random_state=0).fit(X)
    dec.labels_, dec.cluster_centers_, dec.transform(X), dec.predict(X_new)

Inputs are used as given (no scaler inside): scale them beforehand, e.g. per
sample by the maximum absolute value as the ``cluster`` workflow does.

The architecture is chosen from the input shape unless ``channels`` is given
(:func:`auto_channels`): one stride-2 layer per halving until the feature map
is 1 pixel, at most 6, so an 8x8 digit gets 3 layers and a 24x30 spectrogram 5;
the last layer has 128 channels and each earlier one half as many (at least 8).
The target distribution is recomputed once per epoch unless ``update_interval``
is given. These rules reproduce the settings tuned by hand on the digits and
NCEDC benchmarks (``benchmarks/cluster_digits.py``, ``benchmarks/cluster_ncedc.py``).

scikit-learn conventions: ``get_params``/``set_params``, ``sklearn.base.clone``,
``fit_predict``, ``random_state`` (``seed`` is a deprecated alias), and the
checks of ``sklearn.utils.estimator_checks`` listed in
``tests/cluster/test_dec_sklearn.py`` (the skipped ones are named there with
the reason, and in docs/cluster.md).
"""

from __future__ import annotations

import copy
import logging
import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin

log = logging.getLogger(__name__)


def as_image_batch(X: Any) -> np.ndarray:
    """Return ``X`` as float32 ``(n, C, H, W)``; ``(n, H, W)`` gets one channel, ``(n, D)`` becomes ``(n, 1, 1, D)``.

    Raises ``TypeError`` for sparse input and ``ValueError`` for complex values,
    a 1-D array, no features, or NaN/inf values (the messages scikit-learn's
    estimator checks expect).
    """
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(
            "Sparse data was passed, but dense data is required: use X.toarray() "
            "(sparse input is not supported)"
        )
    raw = np.asarray(X)
    if np.iscomplexobj(raw):
        raise ValueError("Complex data not supported: the input holds complex values")
    if raw.ndim == 1:
        raise ValueError(
            f"Expected 2D array, got 1D array of shape {raw.shape}: Reshape your data either "
            "using array.reshape(-1, 1) if your data has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )
    try:
        arr = raw.astype(np.float32)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"the input cannot be read as numbers: {exc}") from exc
    if arr.ndim == 2:
        arr = arr[:, None, None, :]
    elif arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim != 4:
        raise ValueError(f"expected an array (n, C, H, W); got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={raw.shape}) while a minimum of 1 is required."
        )
    if min(arr.shape[1:]) == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={raw.shape}) while a minimum of 1 is required."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError("input holds NaN or inf values")
    return np.ascontiguousarray(arr)


def is_streamed(X: Any) -> bool:
    """Whether ``X`` is a map-style ``torch`` dataset (read item by item) rather than an array."""
    if isinstance(X, np.ndarray) or hasattr(X, "__array__") or isinstance(X, list | tuple):
        return False
    return hasattr(X, "__getitem__") and hasattr(X, "__len__") and _is_torch_dataset(X)


def _is_torch_dataset(X: Any) -> bool:
    import torch

    return isinstance(X, torch.utils.data.Dataset)


class StreamedSamples:
    """A map-style dataset of samples ``(C, H, W)`` float32, checked item by item.

    Wraps the user's dataset: an item may be a tensor, an array, or a tuple whose
    first element is one; ``(H, W)`` items get one channel. Every item must have
    the shape of the first and hold finite numbers (an error names the item).

    Parameters
    ----------
    dataset : map-style dataset
    indices : int array, optional, the items used (in this order); all by default
    with_index : bool, items are ``(sample, position)`` (for DEC's target lookup)
    """

    def __init__(self, dataset: Any, indices: Any = None, with_index: bool = False) -> None:
        self.dataset = dataset
        self.indices = None if indices is None else np.asarray(indices, dtype=np.int64)
        self.with_index = with_index
        self.shape = tuple(self._read(0 if self.indices is None else int(self.indices[0])).shape)

    def __len__(self) -> int:
        return len(self.dataset) if self.indices is None else len(self.indices)

    def _read(self, item: int) -> Any:
        return self._check(item, self.dataset[item])

    @staticmethod
    def _as_sample(value: Any) -> Any:
        """An item as a float32 tensor: the first element of a tuple, ``(H, W)`` given one
        channel."""
        import torch

        if isinstance(value, list | tuple):
            value = value[0]
        x = torch.as_tensor(np.asarray(value, dtype=np.float32))
        return x[None] if x.dim() == 2 else x

    def _check(self, item: int, value: Any) -> Any:
        import torch

        x = self._as_sample(value)
        if x.dim() != 3:
            raise ValueError(
                f"item {item} of the dataset has shape {tuple(x.shape)}; expected (C, H, W)"
            )
        if hasattr(self, "shape") and tuple(x.shape) != self.shape:
            raise ValueError(
                f"item {item} of the dataset has shape {tuple(x.shape)}, item 0 {self.shape}"
            )
        if not bool(torch.isfinite(x).all()):
            raise ValueError(f"item {item} of the dataset holds NaN or inf values")
        return x

    def _check_batch(self, items: list[int], values: list[Any]) -> list[Any]:
        """:meth:`_check` of a batch at once (one shape and one finiteness test);
        item by item when the batch fails, so the error names the first bad item."""
        import torch

        try:
            block = torch.stack([self._as_sample(v) for v in values])
        except (RuntimeError, TypeError, ValueError):
            block = None
        if (
            block is None
            or tuple(block.shape[1:]) != self.shape
            or not bool(torch.isfinite(block).all())
        ):
            return [self._check(item, value) for item, value in zip(items, values, strict=True)]
        return list(block)

    def __getitem__(self, i: int) -> Any:
        item = int(i) if self.indices is None else int(self.indices[i])
        x = self._read(item)
        return (x, i) if self.with_index else (x,)

    def __getitems__(self, positions: list[int]) -> list[Any]:
        """A batch (the DataLoader's batched fetch): one call to the dataset's own
        ``__getitems__`` when it has one (e.g. one read of an HDF5 store), else item by
        item; every item checked as in :meth:`__getitem__`."""
        fetch = getattr(self.dataset, "__getitems__", None)
        if fetch is None:
            return [self[i] for i in positions]
        items = [int(i) if self.indices is None else int(self.indices[i]) for i in positions]
        values = fetch(items)
        checked = self._check_batch(items, values)
        if self.with_index:
            return [(x, i) for x, i in zip(checked, positions, strict=True)]
        return [(x,) for x in checked]


#: Most stride-2 layers :func:`auto_channels` chooses.
MAX_LAYERS = 6
#: Channels of the last (deepest) layer chosen by :func:`auto_channels`.
TOP_CHANNELS = 128
#: Fewest channels of a layer chosen by :func:`auto_channels`.
MIN_CHANNELS = 8


def auto_channels(input_shape: Sequence[int]) -> tuple[int, ...]:
    """Encoder channels chosen from the input's height and width.

    One stride-2 layer per halving of the larger side until the feature map is
    1 pixel (``ceil(log2(max(H, W)))``, at least 1, at most :data:`MAX_LAYERS`);
    the last layer has :data:`TOP_CHANNELS` channels and each earlier layer half
    as many as the next, at least :data:`MIN_CHANNELS`.

    Parameters
    ----------
    input_shape : (height, width) of one sample, pixels (frequencies, time frames)

    Returns
    -------
    tuple of int, one entry per layer

    Examples
    --------
    >>> auto_channels((8, 8))        # scikit-learn digits
    (32, 64, 128)
    >>> auto_channels((24, 30))      # a 20 s spectrogram, 1-20 Hz
    (8, 16, 32, 64, 128)
    """
    height, width = (int(s) for s in input_shape[-2:])
    side = max(height, width, 2)
    layers = min(MAX_LAYERS, max(1, math.ceil(math.log2(side))))
    return tuple(max(MIN_CHANNELS, TOP_CHANNELS >> (layers - 1 - i)) for i in range(layers))


#: Batch sizes :func:`auto_batch_size` chooses from.
BATCH_RANGE = (16, 64)


def auto_batch_size(n: int) -> int:
    """Batch size from the number of training samples: the largest power of two
    up to ``n / 6`` (about six optimizer steps per epoch or more), within :data:`BATCH_RANGE`.

    Examples
    --------
    >>> auto_batch_size(1617)   # digits, 90 % of 1,797
    64
    >>> auto_batch_size(200)    # NCEDC windows of four folds, dev held out
    32
    """
    lo, hi = BATCH_RANGE
    target = max(1, int(n) // 6)
    return int(min(hi, max(lo, 1 << (target.bit_length() - 1))))


def resolve_seed(random_state: Any) -> int:
    """An int seed from ``random_state``: an int, ``None`` (a fresh random one) or a
    ``numpy.random.RandomState`` / ``Generator`` (one draw from it)."""
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0] % (2**31 - 1))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31 - 1))
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    if isinstance(random_state, int | np.integer) and not isinstance(random_state, bool):
        return int(random_state)
    raise ValueError(
        f"random_state must be an int, None or a numpy RandomState; got {random_state!r}"
    )


class _forced_loud:
    """With ``verbose=True``, Lightning's INFO lines show (else they stay filtered)."""

    def __init__(self, verbose: bool | None) -> None:
        self.verbose = verbose
        self.level = logging.NOTSET

    def __enter__(self) -> None:
        self.logger = logging.getLogger("lightning.pytorch")
        self.level = self.logger.level
        self.logger.setLevel(logging.INFO if self.verbose else max(self.level, logging.WARNING))

    def __exit__(self, *exc: Any) -> None:
        self.logger.setLevel(self.level)


def medoid_partition(partitions: Sequence[np.ndarray]) -> tuple[list[float], int]:
    """The partition that agrees best, on average, with the others.

    Parameters
    ----------
    partitions : sequence of int arrays, each of shape (n,), cluster labels of the same samples

    Returns
    -------
    agreement : list of float, each partition's mean adjusted Rand index with the others
        (1.0 for a single partition)
    chosen : int, index of the highest agreement (the first on ties)
    """
    if len(partitions) == 0:
        raise ValueError("no partition to choose from")
    if len(partitions) == 1:
        return [1.0], 0
    from sklearn.metrics import adjusted_rand_score

    agreement = [
        float(np.mean([adjusted_rand_score(a, b) for j, b in enumerate(partitions) if j != i]))
        for i, a in enumerate(partitions)
    ]
    return agreement, int(np.argmax(agreement))


def choose_init(z: np.ndarray, n_clusters: int, seed: int) -> tuple[str, dict[str, float]]:
    """KMeans or a Gaussian mixture for the initial centres, chosen from the embeddings.

    Two Gaussian mixtures of ``n_clusters`` components are fitted to ``z``, one
    with a single variance per component (``spherical``: the model KMeans
    assumes) and one with full covariances; the one with the lower Bayesian
    information criterion (likelihood penalised by the parameter count) says
    whether the clusters are round enough for KMeans (``"kmeans"``) or elongated
    (``"gmm"``). Label-free.

    Parameters
    ----------
    z : array (n, d), embeddings
    n_clusters : int
    seed : int, random state of the mixtures (3 restarts each)

    Returns
    -------
    init : "kmeans" or "gmm"
    bic : dict, BIC of the ``spherical`` and ``full`` mixtures (lower is better)
    """
    from sklearn.mixture import GaussianMixture

    bic = {
        cov: float(
            GaussianMixture(n_clusters, covariance_type=cov, n_init=3, random_state=seed)
            .fit(z)
            .bic(z)
        )
        for cov in ("spherical", "full")
    }
    return ("gmm" if bic["full"] < bic["spherical"] else "kmeans"), bic


def kmeans_spherical(
    z: np.ndarray, n_clusters: int, n_init: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """KMeans, then one EM run of a spherical Gaussian mixture from its centres.

    KMeans puts the boundary between two clusters half way between their
    centres; the mixture (one variance and one weight per cluster, the model
    KMeans assumes with these two freed) moves it away from the tighter or
    smaller cluster. Starting from the KMeans partition keeps EM near it.

    Parameters
    ----------
    z : array (n, d), embeddings
    n_clusters : int
    n_init : int, KMeans restarts (the mixture runs once, from the best of them)
    seed : int

    Returns
    -------
    centres : float32 array (n_clusters, d), the mixture's means
    labels : int array (n,), the most probable component of each sample
    """
    from sklearn.cluster import KMeans
    from sklearn.mixture import GaussianMixture

    km = KMeans(n_clusters, n_init=n_init, max_iter=1000, random_state=seed).fit(z)
    gmm = GaussianMixture(
        n_clusters,
        covariance_type="spherical",
        means_init=km.cluster_centers_,
        n_init=1,
        random_state=seed,
    )
    labels = gmm.fit_predict(z)
    return gmm.means_.astype(np.float32), labels


def pretrain_mse(history: Sequence[dict[str, float]]) -> float:
    """How well a pretrained autoencoder reconstructs: its best validation MSE, else
    (no validation) its last training MSE; ``inf`` for an empty history.

    Parameters
    ----------
    history : rows of :class:`~seislearn.cluster.module.CAEPretrainModule` ``.history``
        (``val_loss`` and ``train_loss`` per epoch, mean squared error in squared input units)
    """
    val = [row["val_loss"] for row in history if "val_loss" in row]
    if val:
        return float(min(val))
    train = [row["train_loss"] for row in history if "train_loss" in row]
    return float(train[-1]) if train else float("inf")


class DeepEmbeddedClustering(ClusterMixin, TransformerMixin, BaseEstimator):
    """Convolutional autoencoder + Deep Embedded Clustering (Xie et al. 2016).

    Parameters
    ----------
    n_clusters : int
    channels : sequence of int or None
        Encoder convolution channels (stride 2, 3x3), one layer each; ``None``
        (the default) chooses them from the input shape (:func:`auto_channels`).
    latent_dim : int, embedding size
    nu : float, degrees of freedom of the Student-t kernel
    init : {"kmeans_spherical", "kmeans", "gmm", "auto"}
        How the centres are initialized on the embeddings. ``"kmeans_spherical"``
        (the default): KMeans, then one EM run of a spherical Gaussian mixture
        from its centres (:func:`kmeans_spherical`), which moves the boundary
        away from a tighter or smaller cluster; ``"kmeans"`` alone;
        ``"gmm"`` a full-covariance mixture; ``"auto"`` KMeans or GMM by BIC
        (:func:`choose_init`). Measured from the same pretrainings, seeds 0-4
        (``benchmarks/cluster_levers.py``): digits ACC 0.857 (KMeans 0.859,
        GMM 0.834), NCEDC out of fold 0.954 (KMeans 0.941, GMM 0.951).
    n_init : int, restarts of KMeans / the Gaussian mixture
    batch_size : int or None
        Samples per batch; ``None`` (the default) chooses it from the number of
        samples ``n`` (:func:`auto_batch_size`: the largest power of two up to
        ``n / 6``, between 16 and 64), so a small data set still gets several
        optimizer steps per epoch.
    pretrain_epochs : int, maximum epochs of MSE pretraining
    pretrain_lr : float, Adam learning rate of pretraining
    pretrain_noise : float, std of Gaussian input noise in pretraining (denoising AE; 0 = none)
    patience : int
        Early stopping of pretraining (Lightning's ``EarlyStopping``): it stops
        after ``patience`` epochs in which the validation MSE did not fall below
        its best by at least ``min_improvement`` (relative).
    min_improvement : float
        Smallest relative decrease of the validation MSE that counts as progress
        (0.005 = 0.5 %); 0 counts any decrease, so a loss that creeps down
        never stops pretraining before ``pretrain_epochs``.
    n_pretrain : int
        Autoencoders pretrained (different seeds; 1 = one, as in DEC); DEC
        continues from the one ``pretrain_selection`` picks. Costs
        ``n_pretrain`` pretrainings.
    pretrain_selection : {"agreement", "reconstruction"}
        How the autoencoder DEC continues from is chosen among the
        ``n_pretrain`` (both label-free): ``"agreement"`` (the default) the one
        whose initial partition (KMeans / GMM on its embedding) agrees best, by
        the mean adjusted Rand index, with the others' (the medoid partition);
        ``"reconstruction"`` the lowest best validation MSE (the last training
        MSE without validation), the autoencoder that reconstructs the data best.
    validation_fraction : float
        Fraction held out (at random) for early stopping when ``fit`` gets no
        ``dev_mask``; 0 disables validation (all epochs run).
    dec_max_epochs : int, maximum epochs of the DEC phase
    dec_lr : float, Adam learning rate of the DEC phase
    update_interval : int or None
        Batches between recomputations of the target distribution; ``None`` (the
        default) = once per epoch (``ceil(n / batch_size)`` batches).
    tol : float, percent: DEC stops when fewer labels change between two updates
    recon_weight : float, weight of the reconstruction loss in the DEC phase (IDEC if > 0)
    random_state : int, numpy RandomState or None
        Seed of the initialization, shuffling and KMeans/GMM (``None``: a fresh one
        per fit).
    seed : int, optional
        Deprecated alias of ``random_state`` (a ``FutureWarning``); wins when given.
    checkpoint_dir : path, optional
        Lightning checkpoints of both phases go here (``pretrain-last.ckpt``,
        ``dec-last.ckpt``); with ``resume=True`` training continues from them.
    resume : bool
    verbose : bool or None
        Progress of pretraining and DEC (Lightning's bar on a terminal, one line
        per stage otherwise); ``None`` (the default) follows :mod:`seislearn.progress`
        (on unless quiet), ``False`` never, ``True`` always.
    """

    def __init__(
        self,
        n_clusters: int = 8,
        channels: Sequence[int] | None = None,
        latent_dim: int = 6,
        nu: float = 1.0,
        init: Literal["kmeans", "gmm", "kmeans_spherical", "auto"] = "kmeans_spherical",
        n_init: int = 20,
        batch_size: int | None = None,
        pretrain_epochs: int = 200,
        pretrain_lr: float = 1e-3,
        pretrain_noise: float = 0.0,
        patience: int = 15,
        min_improvement: float = 0.005,
        n_pretrain: int = 1,
        pretrain_selection: Literal["agreement", "reconstruction"] = "agreement",
        validation_fraction: float = 0.1,
        dec_max_epochs: int = 100,
        dec_lr: float = 1e-4,
        update_interval: int | None = None,
        tol: float = 0.1,
        recon_weight: float = 0.1,
        random_state: Any = 0,
        seed: int | None = None,
        checkpoint_dir: str | os.PathLike | None = None,
        resume: bool = False,
        verbose: bool | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.channels = channels
        self.latent_dim = latent_dim
        self.nu = nu
        self.init = init
        self.n_init = n_init
        self.batch_size = batch_size
        self.pretrain_epochs = pretrain_epochs
        self.pretrain_lr = pretrain_lr
        self.pretrain_noise = pretrain_noise
        self.patience = patience
        self.min_improvement = min_improvement
        self.n_pretrain = n_pretrain
        self.pretrain_selection = pretrain_selection
        self.validation_fraction = validation_fraction
        self.dec_max_epochs = dec_max_epochs
        self.dec_lr = dec_lr
        self.update_interval = update_interval
        self.tol = tol
        self.recon_weight = recon_weight
        self.random_state = random_state
        self.seed = seed
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.verbose = verbose

    # -- fitting ---------------------------------------------------------------
    def _progress(self) -> bool:
        """Whether this fit reports progress (``verbose``, else the global setting)."""
        from seislearn import progress

        return (not progress.is_quiet()) if self.verbose is None else bool(self.verbose)

    def _trainer(self, max_epochs: int, callbacks: list, prefix: str, stage: str) -> Any:
        from seislearn import progress
        from seislearn.training.checkpoints import latest_epoch_checkpoint
        from seislearn.training.trainer import build_trainer

        callbacks = list(callbacks)
        show = self._progress()
        bar = show and progress.on_terminal()
        if show:
            callbacks += progress.lightning_callbacks(stage)
        if self.checkpoint_dir is not None:
            # Every epoch of every stage, so --resume continues where it stopped.
            callbacks.append(
                latest_epoch_checkpoint(self.checkpoint_dir, f"{prefix}-last", at_train_end=True)
            )
        trainer = build_trainer(
            None,  # the CLI's options, or the config's (seislearn.training.trainer.use_config)
            max_epochs=max_epochs,
            enable_checkpointing=self.checkpoint_dir is not None,
            callbacks=callbacks,
            enable_progress_bar=bar,
            num_sanity_val_steps=0,
            deterministic=False,
        )
        return trainer

    def _resume_path(self, prefix: str, module: Any) -> str | None:
        from seislearn.training.checkpoints import resume_checkpoint

        if not (self.resume and self.checkpoint_dir is not None):
            return None
        return resume_checkpoint(
            Path(self.checkpoint_dir), module, f"{prefix}-last", verify_others=False
        )

    def _check_params(self) -> None:
        """Reject parameters that cannot work, naming the parameter."""
        for name in ("n_clusters", "latent_dim", "batch_size", "pretrain_epochs", "n_init"):
            value = getattr(self, name)
            if name == "batch_size" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}")
        if self.channels is not None and (
            len(tuple(self.channels)) == 0 or min(int(c) for c in self.channels) < 1
        ):
            raise ValueError(f"channels must be None or positive integers; got {self.channels!r}")
        if self.update_interval is not None and int(self.update_interval) < 1:
            raise ValueError(f"update_interval must be None or >= 1; got {self.update_interval!r}")
        if not 0 <= float(self.min_improvement) < 1:
            raise ValueError(f"min_improvement must be in [0, 1); got {self.min_improvement!r}")
        if self.pretrain_selection not in ("reconstruction", "agreement"):
            raise ValueError(
                "pretrain_selection must be 'reconstruction' or 'agreement'; "
                f"got {self.pretrain_selection!r}"
            )
        if not 0 <= float(self.validation_fraction) < 1:
            raise ValueError(
                f"validation_fraction must be in [0, 1); got {self.validation_fraction!r}"
            )

    def _resolve_seed(self) -> int:
        if self.seed is not None:
            warnings.warn(
                "DeepEmbeddedClustering(seed=...) is deprecated; use random_state=...",
                FutureWarning,
                stacklevel=3,
            )
            return int(self.seed)
        return resolve_seed(self.random_state)

    def fit(self, X: Any, y: Any = None, dev_mask: Any = None) -> DeepEmbeddedClustering:
        """Pretrain the autoencoder, initialize the centres, run DEC.

        Parameters
        ----------
        X : array, shape (n, C, H, W) or (n, H, W) (or (n, D), read as one row of D)
        y : ignored (unsupervised)
        dev_mask : array of bool, shape (n,), optional
            Samples used only to early-stop pretraining (e.g. the dev split);
            all samples take part in clustering.

        Returns
        -------
        self
        """
        from seislearn import progress

        self._check_params()
        self.seed_ = self._resolve_seed()
        with warnings.catch_warnings():
            progress.silence_libraries()
            with _forced_loud(self.verbose):
                return self._fit(X, dev_mask)

    def _fit(self, X: Any, dev_mask: Any = None) -> DeepEmbeddedClustering:
        import lightning as L
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        from seislearn.cluster.module import DECModule
        from seislearn.training.checkpoints import fit

        streamed = is_streamed(X)
        if streamed:
            # Read item by item through DataLoaders: X never has to fit in memory.
            source: Any = StreamedSamples(X)
            n, sample_shape = len(source), source.shape
        else:
            data = as_image_batch(X)
            source = torch.from_numpy(data)
            n, sample_shape = len(data), tuple(data.shape[1:])
        if n < self.n_clusters:
            raise ValueError(f"{n} samples cannot form {self.n_clusters} clusters")
        seed = self.seed_
        L.seed_everything(seed, verbose=False)
        rng = np.random.default_rng(seed)
        if dev_mask is None:
            dev = np.zeros(n, dtype=bool)
            n_dev = round(self.validation_fraction * n)
            if n_dev > 0:
                dev[rng.choice(n, n_dev, replace=False)] = True
        else:
            dev = np.asarray(dev_mask, dtype=bool)
            if dev.shape != (n,):
                raise ValueError(f"dev_mask has shape {dev.shape}, expected ({n},)")
        self.batch_size_ = (
            auto_batch_size(int((~dev).sum())) if self.batch_size is None else int(self.batch_size)
        )
        self.n_features_in_ = int(np.prod(sample_shape))
        self.input_shape_ = tuple(int(s) for s in sample_shape)
        self.channels_ = (
            auto_channels(sample_shape[1:])
            if self.channels is None
            else tuple(int(c) for c in self.channels)
        )
        if int(self.n_pretrain) < 1:
            raise ValueError(f"n_pretrain must be >= 1; got {self.n_pretrain}")
        candidates = []
        for r in range(int(self.n_pretrain)):
            # Run 0 uses the estimator's seed (n_pretrain = 1 is plain DEC); the others
            # seeds far from it, so that seeds s and s + 1 share no autoencoder.
            run_seed = seed if r == 0 else seed + 100_003 * r
            candidates.append(self._pretrain(X if streamed else None, source, dev, run_seed, r))
        agreement, medoid = medoid_partition([c[3] for c in candidates])
        mse = [pretrain_mse(c[1].history) for c in candidates]
        chosen = int(np.argmin(mse)) if self.pretrain_selection == "reconstruction" else medoid
        # The chosen run's shuffling generator goes on into DEC (with n_pretrain = 1
        # exactly as before n_pretrain existed).
        network, pretrain, centres, init_labels, gen = candidates[chosen]
        del candidates
        self.network_ = network
        # A frozen copy of the pretrained encoder: the AE + KMeans baseline and
        # the choice of k are judged on it (DEC reshapes the space for one k).
        self.pretrained_autoencoder_ = copy.deepcopy(network.autoencoder).eval()
        with torch.no_grad():
            network.centres.copy_(torch.from_numpy(centres))
        self.init_labels_ = init_labels
        self.init_centers_ = centres

        dec_data = (
            StreamedSamples(X, with_index=True)
            if streamed
            else TensorDataset(source, torch.arange(n))
        )
        dec_loader = DataLoader(dec_data, batch_size=self.batch_size_, shuffle=True, generator=gen)
        self.update_interval_ = (
            math.ceil(n / self.batch_size_)
            if self.update_interval is None
            else int(self.update_interval)
        )
        module = DECModule(
            network,
            source,
            lr=self.dec_lr,
            update_interval=self.update_interval_,
            tol=self.tol,
            recon_weight=self.recon_weight,
        )
        network.train()
        trainer = self._trainer(self.dec_max_epochs, [], "dec", "DEC")
        fit(trainer, module, dec_loader, ckpt_path=self._resume_path("dec", module))
        network.eval()
        q = self._soft(source)
        self.labels_ = q.argmax(axis=1)
        self.cluster_centers_ = network.centres.detach().cpu().numpy().copy()
        self.history_ = {
            "pretrain": pretrain.history,
            "dec": module.history,
            "dec_converged": module.converged,
            "pretrain_epochs_run": len(pretrain.history),
            "pretrain_agreement": agreement,
            "pretrain_mse": mse,
            "pretrain_chosen": chosen,
        }
        return self

    def _pretrain(self, streamed: Any, source: Any, dev: np.ndarray, seed: int, run: int) -> tuple:
        """One autoencoder pretrained with MSE.

        ``streamed`` is the user's dataset when the data are streamed (``source``
        then wraps it), else None and ``source`` is the tensor of all samples.

        Returns
        -------
        network, pretraining module, initial centres, initial labels, and the
        loader's random generator (its state after pretraining)
        """
        import lightning as L
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        from seislearn.cluster.dec_network import DECNetwork
        from seislearn.cluster.module import CAEPretrainModule
        from seislearn.training.checkpoints import fit
        from seislearn.training.early_stopping import EarlyStopping

        L.seed_everything(seed, verbose=False)
        network = DECNetwork(
            in_channels=self.input_shape_[0],
            input_shape=self.input_shape_[1:],
            n_clusters=self.n_clusters,
            channels=self.channels_,
            latent_dim=self.latent_dim,
            nu=self.nu,
        )
        gen = torch.Generator().manual_seed(seed)

        def part(mask: np.ndarray) -> Any:
            if streamed is None:
                return TensorDataset(source[torch.from_numpy(mask)])
            return StreamedSamples(streamed, np.flatnonzero(mask))

        train_loader = DataLoader(
            part(~dev), batch_size=self.batch_size_, shuffle=True, generator=gen
        )
        pretrain = CAEPretrainModule(
            network.autoencoder, lr=self.pretrain_lr, noise_std=self.pretrain_noise
        )
        callbacks: list = []
        val_loader = None
        if dev.any():
            val_loader = DataLoader(part(dev), batch_size=1024)
            # On the log of the loss, so that min_delta is a relative improvement.
            callbacks.append(
                EarlyStopping(
                    "val_log_loss",
                    patience=self.patience,
                    mode="min",
                    min_delta=-math.log1p(-float(self.min_improvement)),
                )
            )
        prefix = "pretrain" if run == 0 else f"pretrain{run}"
        label = (
            "pretraining" if self.n_pretrain == 1 else f"pretraining {run + 1}/{self.n_pretrain}"
        )
        trainer = self._trainer(self.pretrain_epochs, callbacks, prefix, label)
        fit(
            trainer,
            pretrain,
            train_loader,
            val_loader,
            ckpt_path=self._resume_path(prefix, pretrain),
        )
        pretrain.restore_best()
        embeddings = self._batches(source, network.encode, network)
        centres, labels = self._init_centres(embeddings, seed)
        return network, pretrain, centres, labels, gen

    def _init_centres(
        self, embeddings: np.ndarray, seed: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        seed = self.seed_ if seed is None else seed
        if self.init == "auto":
            init, bic = choose_init(embeddings, self.n_clusters, seed)
            self.init_bic_ = bic
            self.init_chosen_ = init
            return self._init_with(init, embeddings, seed)
        return self._init_with(self.init, embeddings, seed)

    def _init_with(
        self, init: str, embeddings: np.ndarray, seed: int
    ) -> tuple[np.ndarray, np.ndarray]:
        if init == "kmeans":
            from sklearn.cluster import KMeans

            km = KMeans(self.n_clusters, n_init=self.n_init, max_iter=1000, random_state=seed)
            labels = km.fit_predict(embeddings)
            return km.cluster_centers_.astype(np.float32), labels
        if init == "gmm":
            from sklearn.mixture import GaussianMixture

            gmm = GaussianMixture(self.n_clusters, n_init=self.n_init, random_state=seed)
            labels = gmm.fit_predict(embeddings)
            return gmm.means_.astype(np.float32), labels
        if init == "kmeans_spherical":
            return kmeans_spherical(embeddings, self.n_clusters, self.n_init, seed)
        raise ValueError(
            f"init must be 'kmeans', 'gmm', 'kmeans_spherical' or 'auto'; got {init!r}"
        )

    # -- inference -------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "network_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("call fit (or load) before using this DeepEmbeddedClustering")

    def _batches(self, source: Any, fn: Any, network: Any = None) -> np.ndarray:
        """``fn`` over batches of 1,024 samples of a tensor, or streamed from a dataset."""
        import torch
        from torch.utils.data import DataLoader

        from seislearn.cluster.module import first_item

        (self.network_ if network is None else network).eval()
        if isinstance(source, torch.Tensor):
            batches: Any = (source[s : s + 1024] for s in range(0, len(source), 1024))
        else:
            batches = (first_item(b) for b in DataLoader(source, batch_size=1024))
        with torch.no_grad():
            out = [fn(batch).cpu().numpy() for batch in batches]
        return np.concatenate(out)

    def _embed(self, tensor: Any) -> np.ndarray:
        return self._batches(tensor, self.network_.encode)

    def _soft(self, tensor: Any) -> np.ndarray:
        return self._batches(tensor, lambda x: self.network_(x)[0])

    def _tensor(self, X: Any) -> Any:
        import torch

        if is_streamed(X):
            samples = StreamedSamples(X)
            if samples.shape != self.input_shape_:
                raise ValueError(
                    f"the dataset's samples have shape {samples.shape}, but the model was "
                    f"fitted on samples of shape {self.input_shape_}"
                )
            return samples
        data = as_image_batch(X)
        if tuple(data.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has {int(np.prod(data.shape[1:]))} features, but DeepEmbeddedClustering is "
                f"expecting {self.n_features_in_} features as input: the model was fitted on "
                f"samples of shape {self.input_shape_}; got {tuple(data.shape[1:])}"
            )
        return torch.from_numpy(data)

    def transform(self, X: Any) -> np.ndarray:
        """Embeddings, shape (n, latent_dim)."""
        self._check_fitted()
        return self._embed(self._tensor(X))

    def transform_pretrained(self, X: Any) -> np.ndarray:
        """Embeddings by the autoencoder as it was after pretraining (before DEC)."""
        self._check_fitted()
        if not hasattr(self, "pretrained_autoencoder_"):
            raise ValueError("the pretrained encoder is only kept in memory after fit")
        return self._batches(self._tensor(X), self.pretrained_autoencoder_.encode)

    def predict_initial(self, X: Any) -> np.ndarray:
        """DEC's starting assignment: the nearest initial centre in the pretrained embedding.

        With ``init="kmeans"`` this is the AE + KMeans baseline. With a mixture
        (``"kmeans_spherical"``, ``"gmm"``) the centres are the mixture's means and the
        nearest mean ignores its variances and weights, so on the training samples this
        can differ from ``init_labels_`` (the mixture's most probable component).

        Parameters
        ----------
        X : array-like (n, C, H, W), samples scaled as those given to ``fit``

        Returns
        -------
        labels : int array (n,)
        """
        z = self.transform_pretrained(X)
        d2 = ((z[:, None, :] - self.init_centers_[None]) ** 2).sum(-1)
        return d2.argmin(axis=1)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Soft assignments q (Student-t), shape (n, n_clusters)."""
        self._check_fitted()
        return self._soft(self._tensor(X))

    def predict(self, X: Any) -> np.ndarray:
        """Cluster of each sample (argmax of q)."""
        return self.predict_proba(X).argmax(axis=1)

    def fit_predict(self, X: Any, y: Any = None, dev_mask: Any = None) -> np.ndarray:
        """Fit and return ``labels_`` (the cluster of each sample of ``X``)."""
        return self.fit(X, dev_mask=dev_mask).labels_

    # -- persistence (safetensors + JSON, nothing pickled) -------------------------
    def save(self, directory: str | os.PathLike, extra: dict[str, Any] | None = None) -> Path:
        """Write the network and the estimator's parameters to ``directory``."""
        from seislearn.models.serialization import save_model

        self._check_fitted()
        params = {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in self.get_params().items()
            if k not in ("checkpoint_dir", "resume")
        }
        # The seed the fit used (random_state may be None or a RandomState).
        params["random_state"] = int(getattr(self, "seed_", 0))
        params["seed"] = None
        meta = {"params": params, "input_shape": list(self.input_shape_), **(extra or {})}
        return save_model(self.network_, directory, self.network_.init_args(), meta, name="dec_")

    @classmethod
    def load(cls, directory: str | os.PathLike) -> tuple[DeepEmbeddedClustering, dict[str, Any]]:
        """Rebuild a saved estimator; returns ``(estimator, extra metadata)``."""
        from seislearn.cluster.dec_network import DECNetwork
        from seislearn.models.serialization import load_model

        network, extra = load_model(directory, (DECNetwork,), name="dec_")
        params = dict(extra.get("params", {}))
        if params.get("channels") is not None:
            params["channels"] = tuple(params["channels"])
        if "random_state" not in params and "seed" in params:  # saved before random_state
            params["random_state"] = params.pop("seed")
        est = cls(**params)
        est.channels_ = tuple(network.autoencoder.channels)
        est.network_ = network
        est.input_shape_ = tuple(extra["input_shape"])
        est.n_features_in_ = int(np.prod(est.input_shape_))
        est.cluster_centers_ = network.centres.detach().cpu().numpy().copy()
        return est, extra
