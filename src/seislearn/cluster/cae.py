"""Convolutional autoencoder for 2-D inputs such as spectrograms ``(C, F, T)``.

The default follows the zClust reference design: five 3x3 convolutions with
stride 2 (8, 16, 32, 64, 128 channels), LeakyReLU(0.02), a linear bottleneck
of 9 dimensions, and a decoder that mirrors the encoder with transposed
convolutions. Inputs of any height and width are accepted: they are padded
with zeros (bottom and right) to a multiple of ``2 ** len(channels)`` before
the encoder, and the reconstruction is cropped back to the input size, so the
padding never enters the reconstruction loss through the output.

The API used by other workflows (and kept stable):
``ConvAutoencoder(in_channels, input_shape, channels=..., latent_dim=...)``,
``encode(x) -> z``, ``decode(z) -> x_hat``, ``forward(x) -> x_hat``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F


class ConvAutoencoder(nn.Module):
    """Convolutional autoencoder with a linear bottleneck.

    Parameters
    ----------
    in_channels : int
        Input channels (components, e.g. 1 for Z only, 3 for ZNE).
    input_shape : sequence of 2 int
        Height and width of the input (frequencies, time frames for a spectrogram).
    channels : sequence of int
        Output channels of the stride-2 convolutions, one layer each.
    latent_dim : int
        Size of the embedding.
    kernel_size : int
        Odd kernel size of every (transposed) convolution.
    negative_slope : float
        Slope of the LeakyReLU for negative inputs.
    """

    def __init__(
        self,
        in_channels: int,
        input_shape: Sequence[int],
        channels: Sequence[int] = (8, 16, 32, 64, 128),
        latent_dim: int = 9,
        kernel_size: int = 3,
        negative_slope: float = 0.02,
    ) -> None:
        super().__init__()
        if len(input_shape) != 2 or min(input_shape) < 1:
            raise ValueError(f"input_shape must be (height, width); got {tuple(input_shape)}")
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd; got {kernel_size}")
        if not channels:
            raise ValueError("channels must name at least one layer")
        self.in_channels = int(in_channels)
        self.input_shape = (int(input_shape[0]), int(input_shape[1]))
        self.channels = tuple(int(c) for c in channels)
        self.latent_dim = int(latent_dim)
        factor = 2 ** len(self.channels)
        # Pad to a multiple of 2**layers so each stride-2 layer halves the size
        # exactly and the transposed convolutions land on the same sizes.
        self.padded_shape = tuple(-(-s // factor) * factor for s in self.input_shape)
        self.code_shape = (
            self.channels[-1],
            self.padded_shape[0] // factor,
            self.padded_shape[1] // factor,
        )
        pad = kernel_size // 2
        act = nn.LeakyReLU(negative_slope)
        layers: list[nn.Module] = []
        previous = self.in_channels
        for c in self.channels:
            layers += [nn.Conv2d(previous, c, kernel_size, stride=2, padding=pad), act]
            previous = c
        self.encoder_conv = nn.Sequential(*layers)
        n_code = self.code_shape[0] * self.code_shape[1] * self.code_shape[2]
        self.to_latent = nn.Linear(n_code, self.latent_dim)
        self.from_latent = nn.Linear(self.latent_dim, n_code)
        dec: list[nn.Module] = [act]
        reversed_channels = [*self.channels[::-1][1:], self.in_channels]
        previous = self.channels[-1]
        for i, c in enumerate(reversed_channels):
            dec.append(
                nn.ConvTranspose2d(
                    previous, c, kernel_size, stride=2, padding=pad, output_padding=1
                )
            )
            if i < len(reversed_channels) - 1:
                dec.append(act)  # the output layer stays linear
            previous = c
        self.decoder_conv = nn.Sequential(*dec)

    def _check(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or tuple(x.shape[1:]) != (self.in_channels, *self.input_shape):
            raise ValueError(
                f"expected input (batch, {self.in_channels}, {self.input_shape[0]}, "
                f"{self.input_shape[1]}); got {tuple(x.shape)}"
            )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Embed a batch.

        Parameters
        ----------
        x : Tensor, shape (batch, in_channels, height, width)

        Returns
        -------
        Tensor, shape (batch, latent_dim)
        """
        self._check(x)
        pad_h = self.padded_shape[0] - self.input_shape[0]
        pad_w = self.padded_shape[1] - self.input_shape[1]
        if pad_h or pad_w:
            x = F.pad(x, (0, pad_w, 0, pad_h))
        return self.to_latent(self.encoder_conv(x).flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstruct inputs from embeddings ``(batch, latent_dim)``, cropped to ``input_shape``."""
        h = self.from_latent(z).view(-1, *self.code_shape)
        out = self.decoder_conv(h)
        return out[..., : self.input_shape[0], : self.input_shape[1]]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction of ``x`` (same shape)."""
        return self.decode(self.encode(x))

    def init_args(self) -> dict:
        """JSON-serializable constructor arguments (for :func:`save_model`)."""
        return {
            "in_channels": self.in_channels,
            "input_shape": list(self.input_shape),
            "channels": list(self.channels),
            "latent_dim": self.latent_dim,
            "kernel_size": self.encoder_conv[0].kernel_size[0],
            "negative_slope": self.encoder_conv[1].negative_slope,
        }
