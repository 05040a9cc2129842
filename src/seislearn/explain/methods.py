"""Attribution methods behind ``seislearn explain``: SHAP (gradient, deep, partition) and Captum IG.

Every method returns attributions with the shape of the inputs, for one output
per sample: the predicted class (classification; the events explained are the
correctly classified ones, so it is also the true class) or the value
(regression). Inputs are the model's scaled inputs, where 0 is the train mean:
that is the "feature absent" reference of the partition masker and of IG.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from seislearn.errors import ConfigError

if TYPE_CHECKING:
    import torch
    from torch import nn

Method = Literal["gradient", "deep", "partition", "ig"]
METHODS: tuple[str, ...] = ("gradient", "deep", "partition", "ig")


class TargetOutput:
    """Wrap a network so it returns ``(B, 1)``: the logit of a fixed class, or the value."""

    def __new__(cls, network: nn.Module, target: int | None) -> nn.Module:
        from torch import nn

        class _Select(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.network = network

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                out = self.network(x)
                return out if target is None else out[:, target : target + 1]

        return _Select().eval()


def _by_target(
    x: np.ndarray, targets: np.ndarray | None, fn: object, batch: int = 64, desc: str = ""
) -> np.ndarray:
    """Run ``fn(x_subset, target)`` for each distinct target (one SHAP output at a time).

    The batches are reported through :mod:`seislearn.progress` as the stage
    ``desc`` (a bar with the rate and the time left on a terminal, one line
    when done elsewhere, nothing when quiet).
    """
    from seislearn.progress import Bar

    out = np.zeros_like(x, dtype=np.float32)
    groups = [None] if targets is None else np.unique(targets).tolist()
    chunks = []
    for target in groups:
        idx = np.arange(len(x)) if target is None else np.flatnonzero(targets == target)
        chunks += [(idx[start : start + batch], target) for start in range(0, len(idx), batch)]
    with Bar(f"{desc or 'attributions'}", total=len(x), unit="event") as bar:
        for chunk, target in chunks:
            out[chunk] = fn(x[chunk], target)  # type: ignore[operator]
            bar.update(len(chunk))
    return out


def attribute(
    network: nn.Module,
    x: np.ndarray,
    targets: np.ndarray | None,
    method: Method = "gradient",
    background: np.ndarray | None = None,
    nsamples: int = 64,
    max_evals: int = 500,
    ig_steps: int = 32,
    seed: int = 0,
) -> np.ndarray:
    """Attributions ``(n, *input_shape)`` of ``network``'s output for each sample.

    Parameters
    ----------
    network : nn.Module
        Maps scaled inputs to logits ``(B, K)`` (or ``(B, 1)`` for regression).
    x : ndarray, scaled inputs ``(n, C, F, T)`` or ``(n, C, N)``
    targets : ndarray of int or None
        Class explained per sample; ``None`` for a single-output (regression) network.
    method : {"gradient", "deep", "partition", "ig"}
        SHAP GradientExplainer (expected gradients), SHAP DeepExplainer
        (DeepLIFT rules; conv/BN/ReLU/pool/linear layers), SHAP Partition
        explainer with an image masker (masked pixels set to the train mean),
        or Captum Integrated Gradients from the train mean.
    background : ndarray, optional
        Reference samples for ``gradient`` and ``deep`` (e.g. 50 inputs).
    nsamples : int, gradient samples per input (``gradient``)
    max_evals : int, model evaluations per input (``partition``)
    ig_steps : int, integration steps (``ig``)
    seed : int
    """
    import torch

    if method not in METHODS:
        raise ConfigError(f"unknown explainer {method!r}; choose from {', '.join(METHODS)}")
    network = network.eval()
    x = np.ascontiguousarray(x, dtype=np.float32)
    torch.manual_seed(seed)
    np.random.seed(seed)  # SHAP's samplers draw from NumPy's global generator
    if background is None and method in ("gradient", "deep"):
        raise ConfigError(f"the {method} explainer needs background samples")

    if method == "ig":
        from captum.attr import IntegratedGradients

        ig = IntegratedGradients(network)

        def run_ig(chunk: np.ndarray, target: int | None) -> np.ndarray:
            inputs = torch.as_tensor(chunk)
            attr = ig.attribute(
                inputs, baselines=torch.zeros_like(inputs), target=target or 0, n_steps=ig_steps
            )
            return attr.detach().numpy()

        return _by_target(x, targets, run_ig, batch=16, desc="Integrated Gradients")

    if method in ("gradient", "deep"):
        import shap

        bg = torch.as_tensor(np.ascontiguousarray(background, dtype=np.float32))

        def run_shap(chunk: np.ndarray, target: int | None) -> np.ndarray:
            model = TargetOutput(network, target)
            inputs = torch.as_tensor(chunk)
            if method == "gradient":
                explainer = shap.GradientExplainer(model, bg, batch_size=64)
                values = explainer.shap_values(inputs, nsamples=nsamples, rseed=seed)
            else:
                explainer = shap.DeepExplainer(model, bg)
                values = explainer.shap_values(inputs, check_additivity=False)
            values = np.asarray(values[0] if isinstance(values, list) else values)
            return values.reshape(chunk.shape)

        name = "SHAP gradient" if method == "gradient" else "SHAP deep"
        return _by_target(x, targets, run_shap, desc=name)

    return _partition(network, x, targets, max_evals)


def _partition(
    network: nn.Module, x: np.ndarray, targets: np.ndarray | None, max_evals: int
) -> np.ndarray:
    """SHAP Partition explainer with an image masker (channels last, as SHAP expects)."""
    import shap
    import torch

    # 1D inputs (C, N) become images of height 1.
    images = x[:, :, None, :] if x.ndim == 3 else x
    hwc = np.moveaxis(images, 1, -1)  # (n, H, W, C)

    def run(chunk: np.ndarray, target: int | None) -> np.ndarray:
        def score(batch: np.ndarray) -> np.ndarray:
            t = torch.as_tensor(np.moveaxis(np.asarray(batch, dtype=np.float32), -1, 1))
            if x.ndim == 3:
                t = t[:, :, 0, :]
            with torch.no_grad():
                out = network(t)
                if target is not None:
                    out = torch.softmax(out, dim=-1)[:, target : target + 1]
            return out.numpy()

        masker = shap.maskers.Image(np.zeros(hwc.shape[1:], dtype=np.float32), hwc.shape[1:])
        explainer = shap.Explainer(score, masker)
        result = explainer(chunk, max_evals=max_evals, batch_size=50, silent=True)
        return np.asarray(result.values)[..., 0]  # (n, H, W, C)

    attributions = np.moveaxis(
        _by_target(hwc, targets, run, batch=16, desc="SHAP partition"), -1, 1
    )
    return attributions[:, :, 0, :] if x.ndim == 3 else attributions
