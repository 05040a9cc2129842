"""A 1D convolutional variational autoencoder for 3-component waveform windows.

Encoder: strided ``Conv1d`` blocks (SiLU) to a flat vector, then one linear layer
to the latent mean and log-variance. Decoder: a linear layer back to the last
feature map, then ``ConvTranspose1d`` blocks mirroring the encoder, with no
output activation (the windows are signed, normalized amplitudes).
"""

from __future__ import annotations

import torch
from torch import nn


def _conv_lengths(n_samples: int, n_layers: int, kernel_size: int, stride: int) -> list[int]:
    padding = kernel_size // 2
    lengths = [n_samples]
    for _ in range(n_layers):
        lengths.append((lengths[-1] + 2 * padding - kernel_size) // stride + 1)
    return lengths


class ConvVAE(nn.Module):
    """Convolutional VAE over windows of shape ``(channels, n_samples)``.

    Parameters
    ----------
    in_channels : int, waveform components (3 for ZNE)
    n_samples : int, samples per window
    latent_dim : int, size of the latent space (2 in the original study, 16 by default)
    channels : tuple of int, feature maps of the encoder blocks
    kernel_size : int, samples
    stride : int, down-sampling per block
    """

    def __init__(
        self,
        in_channels: int = 3,
        n_samples: int = 256,
        latent_dim: int = 16,
        channels: tuple[int, ...] | list[int] = (16, 32, 64),
        kernel_size: int = 5,
        stride: int = 2,
    ) -> None:
        super().__init__()
        channels = tuple(int(c) for c in channels)
        self.in_channels = in_channels
        self.n_samples = n_samples
        self.latent_dim = latent_dim
        padding = kernel_size // 2
        self.lengths = _conv_lengths(n_samples, len(channels), kernel_size, stride)
        blocks: list[nn.Module] = []
        previous = in_channels
        for c in channels:
            blocks += [nn.Conv1d(previous, c, kernel_size, stride, padding), nn.SiLU()]
            previous = c
        self.encoder = nn.Sequential(*blocks, nn.Flatten())
        flat = channels[-1] * self.lengths[-1]
        self.to_latent = nn.Linear(flat, 2 * latent_dim)
        with torch.no_grad():
            # Start with a small posterior spread: sampling noise of unit variance would
            # swamp the initially tiny latent means and collapse the posterior onto the prior.
            self.to_latent.bias[latent_dim:] = -6.0
        self.from_latent = nn.Linear(latent_dim, flat)
        self._last_shape = (channels[-1], self.lengths[-1])
        decoder: list[nn.Module] = []
        reversed_channels = (*channels[::-1][1:], in_channels)
        previous = channels[-1]
        for k, c in enumerate(reversed_channels):
            length_in = self.lengths[-1 - k]
            length_out = self.lengths[-2 - k]
            # output_padding makes every transposed block land exactly on the encoder's length.
            natural = (length_in - 1) * stride - 2 * padding + kernel_size
            decoder.append(
                nn.ConvTranspose1d(
                    previous, c, kernel_size, stride, padding, output_padding=length_out - natural
                )
            )
            if k < len(reversed_channels) - 1:
                decoder.append(nn.SiLU())
            previous = c
        self.decoder = nn.Sequential(*decoder)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latent mean and log-variance, each of shape ``(batch, latent_dim)``."""
        mean, logvar = self.to_latent(self.encoder(x)).chunk(2, dim=-1)
        return mean, logvar.clamp(-12.0, 8.0)

    @staticmethod
    def reparameterize(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """Sample ``z = mean + sigma * eps`` so gradients flow through mean and sigma."""
        return mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Reconstructed windows ``(batch, in_channels, n_samples)``."""
        h = self.from_latent(z).view(-1, *self._last_shape)
        return self.decoder(h)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reconstruction, latent mean, latent log-variance (sampling only in training)."""
        mean, logvar = self.encode(x)
        z = self.reparameterize(mean, logvar) if self.training else mean
        return self.decode(z), mean, logvar
