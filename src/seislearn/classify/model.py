"""Convolutional networks for event classification and regression.

* :class:`SpectrogramCNN`: a 2D CNN on 3-component log-spectrograms ``(C, F, T)``:
  conv-BN-ReLU blocks with max pooling, then global average pooling and one
  small linear head. The global pooling keeps the parameter count in the tens
  of thousands (the original study's flatten-to-dense layer held 3.1 M of its
  3.2 M parameters) and lets one model take any ``F x T``.
* :class:`WaveformCNN1D`: the same design in 1D on raw 3-component windows
  ``(C, N)``.

Both take optional scalar *side inputs* (``n_side > 0``, e.g. log10 peak
amplitude per component and log10 S-P time for magnitude regression): they are
concatenated to the pooled CNN features before the linear head, so the head
nests a classic linear amplitude-distance formula and the CNN adds to it.

Every layer is its own module (no functional activations, no in-place ops and
no module used twice) so SHAP's DeepExplainer can walk the graph.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


def _block(
    conv: type[nn.Module],
    norm: type[nn.Module],
    pool: type[nn.Module],
    c_in: int,
    c_out: int,
    kernel_size: int,
    pool_size: int,
) -> nn.Sequential:
    layers: list[nn.Module] = [
        conv(c_in, c_out, kernel_size, padding=kernel_size // 2, bias=False),
        norm(c_out),
        nn.ReLU(),
    ]
    if pool_size > 1:
        layers.append(pool(pool_size, ceil_mode=True))
    return nn.Sequential(*layers)


#: Layer types of the 1D and 2D networks: conv, batch norm, max pool, global average pool.
_LAYERS: dict[int, tuple[type[nn.Module], ...]] = {
    1: (nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d, nn.AdaptiveAvgPool1d),
    2: (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.AdaptiveAvgPool2d),
}


def _conv_network(
    dims: int,
    in_channels: int,
    n_outputs: int,
    channels: Sequence[int],
    kernel_size: int,
    pool_size: int,
    dropout: float,
    n_side: int = 0,
) -> tuple[nn.Sequential, nn.Sequential, nn.Linear | None]:
    """Feature blocks (pooling after all but the last), the head, and the side-input linear layer.

    Without side inputs the head is global pooling, dropout and the linear layer
    (the layout of models saved before side inputs existed). With ``n_side``
    side inputs the head stops after dropout and a separate linear layer takes
    the pooled features concatenated with the side inputs (no dropout on them).
    """
    if not channels:
        raise ValueError("channels must list at least one conv block")
    conv, norm, pool, global_pool = _LAYERS[dims]
    blocks = []
    c_in = in_channels
    for k, c_out in enumerate(channels):
        last = k == len(channels) - 1
        blocks.append(
            _block(conv, norm, pool, c_in, int(c_out), kernel_size, 1 if last else pool_size)
        )
        c_in = int(c_out)
    if n_side < 0:
        raise ValueError(f"n_side must be >= 0, got {n_side}")
    if n_side == 0:
        head = nn.Sequential(
            global_pool(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(c_in, n_outputs)
        )
        return nn.Sequential(*blocks), head, None
    head = nn.Sequential(global_pool(1), nn.Flatten(), nn.Dropout(dropout))
    return nn.Sequential(*blocks), head, nn.Linear(c_in + n_side, n_outputs)


def _forward(
    net: SpectrogramCNN | WaveformCNN1D, x: torch.Tensor, side: torch.Tensor | None
) -> torch.Tensor:
    if net.side_linear is None:
        if side is not None and side.shape[-1] > 0:
            raise ValueError("this model takes no side inputs")
        return net.head(net.features(x))
    if side is None or side.shape[-1] != net.n_side:
        got = "none" if side is None else side.shape[-1]
        raise ValueError(f"this model needs {net.n_side} side inputs per sample, got {got}")
    pooled = net.head(net.features(x))
    return net.side_linear(torch.cat([pooled, side.to(pooled.dtype)], dim=-1))


class SpectrogramCNN(nn.Module):
    """2D CNN on spectrograms: conv-BN-ReLU blocks, pooling, global pooling head.

    Parameters
    ----------
    in_channels : int
        Components (3 for ZNE).
    n_outputs : int
        Classes (logits) or 1 for regression.
    channels : sequence of int
        Feature maps of each conv block.
    kernel_size : int
        Square kernel of every conv, pixels.
    pool_size : int
        Max-pooling factor after each block but the last.
    dropout : float
        Dropout on the pooled CNN features, before the linear head.
    n_side : int
        Scalar side inputs per sample (already standardized), concatenated to
        the pooled features before the linear head; 0 = none.
    """

    def __init__(
        self,
        in_channels: int = 3,
        n_outputs: int = 2,
        channels: Sequence[int] = (16, 32, 64),
        kernel_size: int = 3,
        pool_size: int = 2,
        dropout: float = 0.1,
        n_side: int = 0,
    ) -> None:
        super().__init__()
        self.n_side = int(n_side)
        self.features, self.head, self.side_linear = _conv_network(
            2, in_channels, n_outputs, channels, kernel_size, pool_size, dropout, self.n_side
        )

    def forward(self, x: torch.Tensor, side: torch.Tensor | None = None) -> torch.Tensor:
        """Map ``(B, C, F, T)`` spectrograms (and ``(B, n_side)`` side inputs) to ``(B, n_outputs)``."""
        return _forward(self, x, side)


class WaveformCNN1D(nn.Module):
    """1D CNN on raw 3-component waveforms.

    Parameters
    ----------
    in_channels : int
        Components (3 for ZNE).
    n_outputs : int
        Classes (logits) or 1 for regression.
    channels : sequence of int
        Feature maps of each conv block.
    kernel_size : int
        Kernel length, samples.
    pool_size : int
        Max-pooling factor after each block but the last.
    dropout : float
        Dropout on the pooled CNN features, before the linear head.
    n_side : int
        Scalar side inputs per sample (already standardized), concatenated to
        the pooled features before the linear head; 0 = none.
    """

    def __init__(
        self,
        in_channels: int = 3,
        n_outputs: int = 2,
        channels: Sequence[int] = (16, 32, 32, 64, 64),
        kernel_size: int = 7,
        pool_size: int = 4,
        dropout: float = 0.1,
        n_side: int = 0,
    ) -> None:
        super().__init__()
        self.n_side = int(n_side)
        self.features, self.head, self.side_linear = _conv_network(
            1, in_channels, n_outputs, channels, kernel_size, pool_size, dropout, self.n_side
        )

    def forward(self, x: torch.Tensor, side: torch.Tensor | None = None) -> torch.Tensor:
        """Map ``(B, C, N)`` waveforms (and ``(B, n_side)`` side inputs) to ``(B, n_outputs)``."""
        return _forward(self, x, side)


def build_model(kind: str, **kwargs: object) -> nn.Module:
    """Build ``SpectrogramCNN`` (``kind="spectrogram"``) or ``WaveformCNN1D`` (``"waveform"``)."""
    if kind == "spectrogram":
        return SpectrogramCNN(**kwargs)  # type: ignore[arg-type]
    if kind == "waveform":
        return WaveformCNN1D(**kwargs)  # type: ignore[arg-type]
    raise ValueError(f"unknown model kind {kind!r}; expected 'spectrogram' or 'waveform'")


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
