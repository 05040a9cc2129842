"""``DeepEmbeddedClustering``: CAE pretraining then DEC, as a scikit-learn estimator.

Usable on any array of images ``(n, C, H, W)`` (``(n, H, W)`` is read as one
channel), e.g. spectrograms or scikit-learn's 8x8 digits::

    from seislearn.cluster.dec import DeepEmbeddedClustering
    dec = DeepEmbeddedClustering(n_clusters=10, seed=0).fit(X)
    dec.labels_, dec.cluster_centers_, dec.transform(X), dec.predict(X_new)

Inputs are used as given (no scaler inside): scale them beforehand, e.g. per
sample by the maximum absolute value as the ``cluster`` workflow does.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin

log = logging.getLogger(__name__)


def as_image_batch(X: Any) -> np.ndarray:
    """Return ``X`` as float32 ``(n, C, H, W)``; ``(n, H, W)`` gets one channel, ``(n, D)`` becomes ``(n, 1, 1, D)``."""
    arr = np.asarray(X, dtype=np.float32)
    if arr.ndim == 2:
        arr = arr[:, None, None, :]
    elif arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim != 4:
        raise ValueError(f"expected an array (n, C, H, W); got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("input holds NaN or inf values")
    return np.ascontiguousarray(arr)


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


class DeepEmbeddedClustering(ClusterMixin, TransformerMixin, BaseEstimator):
    """Convolutional autoencoder + Deep Embedded Clustering (Xie et al. 2016).

    Parameters
    ----------
    n_clusters : int
    channels : sequence of int, encoder convolution channels (stride 2, 3x3)
    latent_dim : int, embedding size
    nu : float, degrees of freedom of the Student-t kernel
    init : {"kmeans", "gmm"}, how the centres are initialized on the embeddings
    n_init : int, restarts of KMeans / the Gaussian mixture
    batch_size : int
    pretrain_epochs : int, maximum epochs of MSE pretraining
    pretrain_lr : float, Adam learning rate of pretraining
    pretrain_noise : float, std of Gaussian input noise in pretraining (denoising AE; 0 = none)
    patience : int, early-stopping patience (epochs) on the validation MSE
    n_pretrain : int
        Autoencoders pretrained (different seeds; 1 = one, as in DEC). With more,
        each one's initial partition (KMeans / GMM on its embedding) is compared
        with the others' by the adjusted Rand index and the autoencoder whose
        partition agrees best with the rest on average (the medoid partition; a
        label-free stability criterion) is the one DEC continues from. Costs
        ``n_pretrain`` pretrainings.
    validation_fraction : float
        Fraction held out (at random) for early stopping when ``fit`` gets no
        ``dev_mask``; 0 disables validation (all epochs run).
    dec_max_epochs : int, maximum epochs of the DEC phase
    dec_lr : float, Adam learning rate of the DEC phase
    update_interval : int, batches between recomputations of the target distribution
    tol : float, percent: DEC stops when fewer labels change between two updates
    recon_weight : float, weight of the reconstruction loss in the DEC phase (IDEC if > 0)
    seed : int
    checkpoint_dir : path, optional
        Lightning checkpoints of both phases go here (``pretrain-last.ckpt``,
        ``dec-last.ckpt``); with ``resume=True`` training continues from them.
    resume : bool
    verbose : bool, show Lightning's progress bars
    """

    def __init__(
        self,
        n_clusters: int = 8,
        channels: Sequence[int] = (8, 16, 32, 64, 128),
        latent_dim: int = 9,
        nu: float = 1.0,
        init: Literal["kmeans", "gmm"] = "kmeans",
        n_init: int = 20,
        batch_size: int = 128,
        pretrain_epochs: int = 50,
        pretrain_lr: float = 1e-3,
        pretrain_noise: float = 0.0,
        patience: int = 5,
        n_pretrain: int = 1,
        validation_fraction: float = 0.1,
        dec_max_epochs: int = 50,
        dec_lr: float = 1e-4,
        update_interval: int = 50,
        tol: float = 0.1,
        recon_weight: float = 0.1,
        seed: int = 0,
        checkpoint_dir: str | os.PathLike | None = None,
        resume: bool = False,
        verbose: bool = False,
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
        self.n_pretrain = n_pretrain
        self.validation_fraction = validation_fraction
        self.dec_max_epochs = dec_max_epochs
        self.dec_lr = dec_lr
        self.update_interval = update_interval
        self.tol = tol
        self.recon_weight = recon_weight
        self.seed = seed
        self.checkpoint_dir = checkpoint_dir
        self.resume = resume
        self.verbose = verbose

    # -- fitting ---------------------------------------------------------------
    def _trainer(self, max_epochs: int, callbacks: list, prefix: str) -> Any:
        from seislearn.training.checkpoints import latest_epoch_checkpoint
        from seislearn.training.trainer import build_trainer

        callbacks = list(callbacks)
        if self.checkpoint_dir is not None:
            # Every epoch of every stage, so --resume continues where it stopped.
            callbacks.append(
                latest_epoch_checkpoint(self.checkpoint_dir, f"{prefix}-last", at_train_end=True)
            )
        trainer = build_trainer(
            None,  # the CLI's options, or the config's (seislearn.training.trainer.use_config)
            max_epochs=max_epochs,
            logger=False,
            enable_checkpointing=self.checkpoint_dir is not None,
            callbacks=callbacks,
            enable_progress_bar=self.verbose,
            enable_model_summary=False,
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

    def fit(self, X: Any, y: Any = None, dev_mask: Any = None) -> DeepEmbeddedClustering:
        """Pretrain the autoencoder, initialize the centres, run DEC.

        Parameters
        ----------
        X : array, shape (n, C, H, W) or (n, H, W)
        y : ignored (unsupervised)
        dev_mask : array of bool, shape (n,), optional
            Samples used only to early-stop pretraining (e.g. the dev split);
            all samples take part in clustering.

        Returns
        -------
        self
        """
        # Lightning announces devices and tips at INFO on its own handler; keep
        # them for verbose runs only, and restore the level afterwards.
        lightning_log = logging.getLogger("lightning.pytorch")
        level = lightning_log.level
        if not self.verbose:
            lightning_log.setLevel(logging.WARNING)
        try:
            return self._fit(X, dev_mask)
        finally:
            lightning_log.setLevel(level)

    def _fit(self, X: Any, dev_mask: Any = None) -> DeepEmbeddedClustering:
        import lightning as L
        import torch
        from torch.utils.data import DataLoader, TensorDataset

        from seislearn.cluster.module import DECModule
        from seislearn.training.checkpoints import fit

        data = as_image_batch(X)
        n = len(data)
        if n < self.n_clusters:
            raise ValueError(f"{n} samples cannot form {self.n_clusters} clusters")
        L.seed_everything(self.seed, verbose=False)
        rng = np.random.default_rng(self.seed)
        if dev_mask is None:
            dev = np.zeros(n, dtype=bool)
            n_dev = round(self.validation_fraction * n)
            if n_dev > 0:
                dev[rng.choice(n, n_dev, replace=False)] = True
        else:
            dev = np.asarray(dev_mask, dtype=bool)
            if dev.shape != (n,):
                raise ValueError(f"dev_mask has shape {dev.shape}, expected ({n},)")
        self.n_features_in_ = int(np.prod(data.shape[1:]))
        self.input_shape_ = tuple(int(s) for s in data.shape[1:])
        if int(self.n_pretrain) < 1:
            raise ValueError(f"n_pretrain must be >= 1; got {self.n_pretrain}")
        tensor = torch.from_numpy(data)
        candidates = []
        for r in range(int(self.n_pretrain)):
            # Run 0 uses the estimator's seed (n_pretrain = 1 is plain DEC); the others
            # seeds far from it, so that seeds s and s + 1 share no autoencoder.
            run_seed = self.seed if r == 0 else self.seed + 100_003 * r
            candidates.append(self._pretrain(data, tensor, dev, run_seed, r))
        agreement, chosen = medoid_partition([c[3] for c in candidates])
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

        index = torch.arange(n)
        dec_loader = DataLoader(
            TensorDataset(tensor, index), batch_size=self.batch_size, shuffle=True, generator=gen
        )
        module = DECModule(
            network,
            tensor,
            lr=self.dec_lr,
            update_interval=self.update_interval,
            tol=self.tol,
            recon_weight=self.recon_weight,
        )
        network.train()
        trainer = self._trainer(self.dec_max_epochs, [], "dec")
        fit(trainer, module, dec_loader, ckpt_path=self._resume_path("dec", module))
        network.eval()
        q = self._soft(tensor)
        self.labels_ = q.argmax(axis=1)
        self.cluster_centers_ = network.centres.detach().cpu().numpy().copy()
        self.history_ = {
            "pretrain": pretrain.history,
            "dec": module.history,
            "dec_converged": module.converged,
            "pretrain_epochs_run": len(pretrain.history),
            "pretrain_agreement": agreement,
            "pretrain_chosen": chosen,
        }
        return self

    def _pretrain(
        self, data: np.ndarray, tensor: Any, dev: np.ndarray, seed: int, run: int
    ) -> tuple:
        """One autoencoder pretrained with MSE.

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
            in_channels=data.shape[1],
            input_shape=data.shape[2:],
            n_clusters=self.n_clusters,
            channels=tuple(self.channels),
            latent_dim=self.latent_dim,
            nu=self.nu,
        )
        gen = torch.Generator().manual_seed(seed)
        train_loader = DataLoader(
            TensorDataset(tensor[~dev]), batch_size=self.batch_size, shuffle=True, generator=gen
        )
        pretrain = CAEPretrainModule(
            network.autoencoder, lr=self.pretrain_lr, noise_std=self.pretrain_noise
        )
        callbacks: list = []
        val_loader = None
        if dev.any():
            val_loader = DataLoader(TensorDataset(tensor[dev]), batch_size=1024)
            callbacks.append(EarlyStopping("val_loss", patience=self.patience, mode="min"))
        prefix = "pretrain" if run == 0 else f"pretrain{run}"
        trainer = self._trainer(self.pretrain_epochs, callbacks, prefix)
        fit(
            trainer,
            pretrain,
            train_loader,
            val_loader,
            ckpt_path=self._resume_path(prefix, pretrain),
        )
        pretrain.restore_best()
        network.eval()
        with torch.no_grad():
            embeddings = np.concatenate(
                [
                    network.encode(tensor[start : start + 1024]).cpu().numpy()
                    for start in range(0, len(tensor), 1024)
                ]
            )
        centres, labels = self._init_centres(embeddings, seed)
        return network, pretrain, centres, labels, gen

    def _init_centres(
        self, embeddings: np.ndarray, seed: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        seed = self.seed if seed is None else seed
        if self.init == "kmeans":
            from sklearn.cluster import KMeans

            km = KMeans(self.n_clusters, n_init=self.n_init, max_iter=1000, random_state=seed)
            labels = km.fit_predict(embeddings)
            return km.cluster_centers_.astype(np.float32), labels
        if self.init == "gmm":
            from sklearn.mixture import GaussianMixture

            gmm = GaussianMixture(self.n_clusters, n_init=self.n_init, random_state=seed)
            labels = gmm.fit_predict(embeddings)
            return gmm.means_.astype(np.float32), labels
        raise ValueError(f"init must be 'kmeans' or 'gmm'; got {self.init!r}")

    # -- inference -------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "network_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("call fit (or load) before using this DeepEmbeddedClustering")

    def _batches(self, tensor: Any, fn: Any) -> np.ndarray:
        import torch

        self.network_.eval()
        out = []
        with torch.no_grad():
            for start in range(0, len(tensor), 1024):
                out.append(fn(tensor[start : start + 1024]).cpu().numpy())
        return np.concatenate(out)

    def _embed(self, tensor: Any) -> np.ndarray:
        return self._batches(tensor, self.network_.encode)

    def _soft(self, tensor: Any) -> np.ndarray:
        return self._batches(tensor, lambda x: self.network_(x)[0])

    def _tensor(self, X: Any) -> Any:
        import torch

        data = as_image_batch(X)
        if tuple(data.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"the model was fitted on samples of shape {self.input_shape_}; "
                f"got {tuple(data.shape[1:])}"
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
        """The AE + KMeans baseline: nearest initial centre in the pretrained embedding."""
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
        """Fit and return ``labels_``."""
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
        meta = {"params": params, "input_shape": list(self.input_shape_), **(extra or {})}
        return save_model(self.network_, directory, self.network_.init_args(), meta, name="dec_")

    @classmethod
    def load(cls, directory: str | os.PathLike) -> tuple[DeepEmbeddedClustering, dict[str, Any]]:
        """Rebuild a saved estimator; returns ``(estimator, extra metadata)``."""
        from seislearn.cluster.dec_network import DECNetwork
        from seislearn.models.serialization import load_model

        network, extra = load_model(directory, (DECNetwork,), name="dec_")
        params = dict(extra.get("params", {}))
        if "channels" in params:
            params["channels"] = tuple(params["channels"])
        est = cls(**params)
        est.network_ = network
        est.input_shape_ = tuple(extra["input_shape"])
        est.n_features_in_ = int(np.prod(est.input_shape_))
        est.cluster_centers_ = network.centres.detach().cpu().numpy().copy()
        return est, extra
