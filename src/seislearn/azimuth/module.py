"""Lightning training of the azimuth model: VAE stage, head stage, or end to end.

Batches are ``(windows, targets)`` with ``windows`` of shape (batch, 3, L) in
ZNE order and ``targets`` of shape (batch, 2): back-azimuth and incidence in
degrees (incidence may be NaN where unknown; it is then left out of the loss).

Training-time augmentation keeps the physics exact: flipping the sign of a
whole window (the opposite source polarity) keeps both angles, and rotating
the horizontal components by ``alpha`` turns the back-azimuth by ``alpha``.
The rotation is exact only for an ideal station, though: at a real one it
scrambles the sensor misorientation and the back-azimuth-dependent effects of
local structure, which are what a single-station model can learn and
polarization analysis cannot. So the workflow leaves it off by default.
"""

from __future__ import annotations

from typing import Any, Literal

import lightning as L
import torch

from seislearn.azimuth.heads import AzimuthNet
from seislearn.azimuth.losses import (
    circular_contrastive_loss,
    circular_triplet_loss,
    cosine_angle_loss,
    unit_to_angle_deg,
    vae_kl_divergence,
    von_mises_nll,
    wrapped_difference_deg,
)

Stage = Literal["vae", "head", "end_to_end"]


def rotate_horizontals(
    windows: torch.Tensor, back_azimuth_deg: torch.Tensor, alpha_deg: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate N/E by ``alpha`` degrees clockwise; the back-azimuth turns by the same angle."""
    a = torch.deg2rad(alpha_deg)[:, None]
    cos, sin = torch.cos(a), torch.sin(a)
    north, east = windows[:, 1], windows[:, 2]
    rotated = torch.stack(
        [windows[:, 0], north * cos - east * sin, north * sin + east * cos], dim=1
    )
    return rotated, torch.remainder(back_azimuth_deg + alpha_deg, 360.0)


class AzimuthModule(L.LightningModule):
    """Trains an :class:`AzimuthNet` in one of three stages.

    Parameters
    ----------
    net_args : dict, arguments of :class:`AzimuthNet`
    stage : {"vae", "head", "end_to_end"}
        ``vae``: reconstruction + beta KL + lambda triplet; ``head``: angle losses
        on the frozen (or fine-tuned) encoder; ``end_to_end``: all of them at once.
    beta_kl, lambda_triplet : float, weights of the VAE stage
    triplet_delta_deg, triplet_margin : float, triplet definition (degrees, distance units)
    mining : {"batch_hard", "semi_hard"}
    triplet_squared : bool, squared Euclidean latent distances in the triplet loss
    lambda_nll, lambda_contrastive, lambda_incidence : float, weights of the head stage
    contrastive_similar_deg, contrastive_min_difference_deg : float, degrees
    freeze_encoder : bool, head stage only: keep the encoder fixed
    learning_rate, encoder_learning_rate : float, Adam learning rates
    augment_rotation, augment_polarity : bool, training-time augmentation
    """

    def __init__(
        self,
        net_args: dict[str, Any],
        stage: Stage = "vae",
        beta_kl: float = 1e-3,
        lambda_triplet: float = 10.0,
        triplet_delta_deg: float = 10.0,
        triplet_margin: float = 1.0,
        mining: str = "semi_hard",
        triplet_squared: bool = False,
        lambda_nll: float = 0.05,
        lambda_contrastive: float = 1.0,
        lambda_incidence: float = 1.0,
        contrastive_similar_deg: float = 2.0,
        contrastive_min_difference_deg: float = 5.0,
        freeze_encoder: bool = True,
        learning_rate: float = 1e-3,
        encoder_learning_rate: float = 1e-4,
        augment_rotation: bool = False,
        augment_polarity: bool = True,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = AzimuthNet(**net_args)

    # -- losses ------------------------------------------------------------------
    def _augment(self, x: torch.Tensor, baz: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hp = self.hparams
        if hp.augment_polarity:
            sign = torch.where(torch.rand(len(x), device=x.device) < 0.5, -1.0, 1.0)
            x = x * sign[:, None, None]
        if hp.augment_rotation:
            x, baz = rotate_horizontals(x, baz, torch.rand(len(x), device=x.device) * 360.0)
        return x, baz

    def _vae_losses(self, x: torch.Tensor, baz: torch.Tensor) -> dict[str, torch.Tensor]:
        hp = self.hparams
        vae = self.net.vae
        x = self.net.orient_polarity(x)
        mean, logvar = vae.encode(x)
        z = vae.reparameterize(mean, logvar) if self.training else mean
        # Summed over samples and components (mean over the batch), as in a standard ELBO:
        # a per-element mean would make beta effectively ~1000 times larger and collapse
        # the posterior onto the prior.
        recon = ((vae.decode(z) - x) ** 2).sum(dim=(1, 2)).mean()
        kl = vae_kl_divergence(mean, logvar)
        triplet = circular_triplet_loss(
            mean,
            baz,
            hp.triplet_delta_deg,
            hp.triplet_margin,
            mining=hp.mining,
            squared=hp.triplet_squared,
        )
        total = recon + hp.beta_kl * kl + hp.lambda_triplet * triplet
        return {"loss": total, "recon": recon, "kl": kl, "triplet": triplet, "mean": mean}

    def _head_losses(
        self, x: torch.Tensor, baz: torch.Tensor, inc: torch.Tensor, mean: torch.Tensor | None
    ) -> dict[str, torch.Tensor]:
        hp = self.hparams
        if mean is None:
            if hp.freeze_encoder and hp.stage == "head":
                with torch.no_grad():
                    mean, _ = self.net.embed(x)
            else:
                mean, _ = self.net.embed(x)
        out = self.net.head(self.net.head_input(mean, x))
        predicted = unit_to_angle_deg(out["back_azimuth"])
        angle = cosine_angle_loss(out["back_azimuth"], baz)
        nll = von_mises_nll(out["back_azimuth"], out["kappa"], baz)
        contrastive = circular_contrastive_loss(
            predicted, baz, hp.contrastive_similar_deg, hp.contrastive_min_difference_deg
        )
        total = angle + hp.lambda_nll * nll + hp.lambda_contrastive * contrastive
        losses = {"angle": angle, "nll": nll, "contrastive": contrastive}
        if "incidence" in out:
            known = torch.isfinite(inc)
            if bool(known.any()):
                inc_loss = cosine_angle_loss(out["incidence"][known], inc[known])
                total = total + hp.lambda_incidence * inc_loss
                losses["incidence"] = inc_loss
        losses["loss"] = total
        losses["mae_deg"] = wrapped_difference_deg(predicted.detach(), baz).mean()
        return losses

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], prefix: str) -> torch.Tensor:
        x, targets = batch
        x = x.float()
        baz, inc = targets[:, 0].float(), targets[:, 1].float()
        if prefix == "train":
            x, baz = self._augment(x, baz)
        stage = self.hparams.stage
        logs: dict[str, torch.Tensor] = {}
        total = x.new_zeros(())
        mean = None
        if stage in ("vae", "end_to_end"):
            vae_losses = self._vae_losses(x, baz)
            mean_embedding = vae_losses.pop("mean")
            mean = mean_embedding if stage == "end_to_end" else None
            total = total + vae_losses["loss"]
            logs.update({f"vae_{k}": v for k, v in vae_losses.items()})
        if stage in ("head", "end_to_end"):
            head_losses = self._head_losses(x, baz, inc, mean)
            total = total + head_losses["loss"]
            logs.update({f"head_{k}": v for k, v in head_losses.items()})
        # Dev losses are averaged over the ranks of a distributed run, so early
        # stopping and the best checkpoint are the same decision on every rank.
        sync = prefix != "train"
        self.log(f"{prefix}_loss", total, prog_bar=True, batch_size=len(x), sync_dist=sync)
        for name, value in logs.items():
            self.log(f"{prefix}_{name}", value, batch_size=len(x), sync_dist=sync)
        return total

    def training_step(
        self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int
    ) -> torch.Tensor:
        if self.hparams.stage == "head" and self.hparams.freeze_encoder:
            # Dropout/BatchNorm of a frozen encoder would otherwise drift.
            self.net.vae.eval()
        return self._step(batch, "train")

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        self._step(batch, "val")

    def configure_optimizers(self) -> dict[str, Any]:
        hp = self.hparams
        if hp.stage == "vae":
            optimizer = torch.optim.Adam(self.net.vae.parameters(), lr=hp.learning_rate)
        elif hp.stage == "head" and hp.freeze_encoder:
            optimizer = torch.optim.Adam(self.net.head.parameters(), lr=hp.learning_rate)
        else:
            # Fine-tuning a trained encoder uses a smaller rate than training it from scratch.
            encoder_rate = (
                hp.learning_rate if hp.stage == "end_to_end" else hp.encoder_learning_rate
            )
            optimizer = torch.optim.Adam(
                [
                    {"params": self.net.head.parameters(), "lr": hp.learning_rate},
                    {"params": self.net.vae.parameters(), "lr": encoder_rate},
                ]
            )
        # Angle precision comes late in training: lower the rate when dev stops improving.
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.3, patience=2)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "monitor": "val_loss"},
        }
