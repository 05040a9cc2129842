"""Deep Embedded Clustering network parts (Xie, Girshick and Farhadi 2016).

* :func:`soft_assignment`: Student-t kernel between embeddings and centres,
  ``q_ij = (1 + |z_i - mu_j|^2 / nu)^(-(nu + 1) / 2)``, normalized per row.
* :func:`target_distribution`: ``p_ij = q_ij^2 / f_j`` with the soft cluster
  frequency ``f_j = sum_i q_ij``, normalized per row. It must be computed over
  the whole dataset (not one batch): ``f_j`` is a dataset-wide frequency.
* :class:`DECNetwork`: a :class:`~seislearn.cluster.cae.ConvAutoencoder` plus
  trainable cluster centres, saved and loaded as one model.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from seislearn.cluster.cae import ConvAutoencoder


def soft_assignment(z: torch.Tensor, centres: torch.Tensor, nu: float = 1.0) -> torch.Tensor:
    """Student-t soft assignment of embeddings to centres.

    Parameters
    ----------
    z : Tensor, shape (n, d)
    centres : Tensor, shape (k, d)
    nu : float
        Degrees of freedom of the Student-t kernel (1 in the DEC paper).

    Returns
    -------
    Tensor, shape (n, k), rows sum to 1
    """
    dist2 = torch.cdist(z, centres).pow(2)
    q = (1.0 + dist2 / nu).pow(-(nu + 1.0) / 2.0)
    return q / q.sum(dim=1, keepdim=True)


def target_distribution(q: torch.Tensor) -> torch.Tensor:
    """DEC's sharpened target ``p = q^2 / f`` (``f`` = soft cluster frequency), row-normalized.

    Parameters
    ----------
    q : Tensor, shape (n, k), soft assignments of the WHOLE dataset
    """
    weight = q.pow(2) / q.sum(dim=0, keepdim=True)
    return weight / weight.sum(dim=1, keepdim=True)


class DECNetwork(nn.Module):
    """Autoencoder plus cluster centres in its embedding space.

    Parameters
    ----------
    in_channels, input_shape, channels, latent_dim, kernel_size, negative_slope
        Passed to :class:`~seislearn.cluster.cae.ConvAutoencoder`.
    n_clusters : int
    nu : float
        Degrees of freedom of the Student-t kernel.
    """

    def __init__(
        self,
        in_channels: int,
        input_shape: Sequence[int],
        n_clusters: int,
        channels: Sequence[int] = (8, 16, 32, 64, 128),
        latent_dim: int = 9,
        kernel_size: int = 3,
        negative_slope: float = 0.02,
        nu: float = 1.0,
    ) -> None:
        super().__init__()
        if n_clusters < 1:
            raise ValueError(f"n_clusters must be at least 1; got {n_clusters}")
        self.autoencoder = ConvAutoencoder(
            in_channels, input_shape, channels, latent_dim, kernel_size, negative_slope
        )
        self.n_clusters = int(n_clusters)
        self.nu = float(nu)
        self.centres = nn.Parameter(torch.zeros(self.n_clusters, latent_dim))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Embeddings ``(batch, latent_dim)``."""
        return self.autoencoder.encode(x)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return ``(q, reconstruction, z)`` for a batch."""
        z = self.autoencoder.encode(x)
        return soft_assignment(z, self.centres, self.nu), self.autoencoder.decode(z), z

    def init_args(self) -> dict:
        """JSON-serializable constructor arguments (for :func:`save_model`)."""
        args = self.autoencoder.init_args()
        return {**args, "n_clusters": self.n_clusters, "nu": self.nu}
