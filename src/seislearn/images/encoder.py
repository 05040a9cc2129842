"""A small self-supervised (SimCLR-style) encoder for seismic image patches.

Two random augmentations of each patch are pulled together in the projection
space and pushed away from all other patches of the batch (NT-Xent loss, Chen
et al. 2020). The augmentations keep what makes a seismic texture (reflector
continuity, dip, offsets, a dome's outline) and vary what does not: position
and scale of the crop, left-right mirroring, polarity, contrast and noise.
Needs no download: it is trained on the patches themselves.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def _gaussian_kernel(sigma: float) -> torch.Tensor:
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def discontinuity(x: torch.Tensor, lag: int = 2, sigma: float = 3.0) -> torch.Tensor:
    """Cross-correlation discontinuity attribute of patches ``(B, 1, H, W)``, in [0, 1].

    ``(1 - c) / 2`` with ``c`` the normalized correlation of traces (columns)
    ``lag`` pixels apart over a Gaussian depth window of ``sigma`` pixels: the
    C1 coherence of Bahorich and Farmer (1995) that interpreters use to pick
    faults. Near 0 along continuous reflectors (gentle dips shift them by a
    fraction of a wavelength), high across a fault's offset and in chaotic zones.
    """
    kernel = _gaussian_kernel(sigma).to(x).view(1, 1, -1, 1)
    r = kernel.shape[2] // 2

    def smooth(v: torch.Tensor) -> torch.Tensor:
        return F.conv2d(F.pad(v, (0, 0, r, r), mode="replicate"), kernel)

    padded = F.pad(x, (0, lag, 0, 0), mode="replicate")
    a, b = x, padded[..., lag:]
    ma, mb = smooth(a), smooth(b)
    cov = smooth(a * b) - ma * mb
    var_a = (smooth(a * a) - ma * ma).clamp(min=0)
    var_b = (smooth(b * b) - mb * mb).clamp(min=0)
    c = cov / torch.sqrt(var_a * var_b).clamp(min=1e-8)
    return ((1.0 - c.clamp(-1.0, 1.0)) / 2.0).clamp(0.0, 1.0)


class PatchEncoder(nn.Module):
    """Convolutional encoder (1-channel patches) with a projection head.

    Parameters
    ----------
    widths : tuple of int
        Channels of the stride-2 convolution blocks.
    feature_dim : int
        Size of the representation used for clustering (after global pooling).
    projection_dim : int
        Size of the projection in which the contrastive loss is computed.
    attribute : bool
        Add the :func:`discontinuity` attribute as an input channel, so that
        faults and chaotic zones stand out from amplitude texture.
    amplitude : bool
        Feed the amplitudes themselves (False: the attribute only, so the
        encoder cannot tell patches apart by their particular reflector sequence).
    """

    def __init__(
        self,
        widths: tuple[int, ...] | list[int] = (32, 64, 96, 128),
        feature_dim: int = 128,
        projection_dim: int = 64,
        attribute: bool = False,
        amplitude: bool = True,
    ) -> None:
        super().__init__()
        if not (attribute or amplitude):
            raise ValueError("the encoder needs the amplitude or the attribute channel")
        self.attribute = attribute
        self.amplitude = amplitude
        layers: list[nn.Module] = []
        in_ch = int(attribute) + int(amplitude)
        for width in widths:
            layers += [
                nn.Conv2d(in_ch, width, 3, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
                nn.Conv2d(width, width, 3, padding=1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
            ]
            in_ch = width
        self.body = nn.Sequential(*layers)
        self.features = nn.Linear(2 * in_ch, feature_dim)
        self.projection = nn.Sequential(
            nn.ReLU(inplace=True), nn.Linear(feature_dim, feature_dim), nn.ReLU(inplace=True),
            nn.Linear(feature_dim, projection_dim),
        )  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Representation ``(B, feature_dim)`` of patches ``(B, 1, H, W)`` in [0, 1]."""
        channels = [x - 0.5] if self.amplitude else []
        if self.attribute:
            channels.append(discontinuity(x) - 0.5)
        maps = self.body(torch.cat(channels, dim=1))
        # Mean pooling sees textures; max pooling keeps local events such as a fault's offset.
        h = torch.cat([maps.mean(dim=(2, 3)), maps.amax(dim=(2, 3))], dim=1)
        return self.features(h)

    def project(self, h: torch.Tensor) -> torch.Tensor:
        """L2-normalized projection of representations, for the contrastive loss."""
        return F.normalize(self.projection(h), dim=1)


class PatchAugment:
    """Random views of a batch of patches ``(B, 1, H, W)`` in [0, 1], on the batch at once.

    Parameters
    ----------
    scale : (float, float)
        Range of the crop side as a fraction of the patch side.
    max_rotation_deg : float
        Rotations up to about the largest reflector dip make the representation
        blind to dip, which varies within every class.
    flip : bool
        Mirror left-right with probability 0.5 (geology has no preferred lateral direction).
    vertical_flip : bool
        Mirror up-down with probability 0.5 (continuity, offsets and chaos survive it).
    polarity : bool
        Invert amplitudes with probability 0.5 (a reflector's sign carries no class).
    noise : float
        Maximum standard deviation of added Gaussian noise.
    vertical_stretch : float
        Largest vertical zoom (>= 1): reflector spacing and wavelet period vary
        within every class, so the representation should not hinge on them.
    gamma : float
        Largest amplitude-curve exponent (>= 1): ``|a|^g`` with ``g`` in
        ``[1/gamma, gamma]`` makes few strong or many similar reflectors look alike,
        since that varies with the reflectivity series, not with the structure.
    """

    def __init__(
        self,
        scale: tuple[float, float] = (0.55, 1.0),
        max_rotation_deg: float = 20.0,
        flip: bool = True,
        vertical_flip: bool = True,
        polarity: bool = True,
        noise: float = 0.08,
        vertical_stretch: float = 1.0,
        gamma: float = 1.0,
    ) -> None:
        self.scale = scale
        self.max_rotation_deg = max_rotation_deg
        self.flip = flip
        self.vertical_flip = vertical_flip
        self.polarity = polarity
        self.noise = noise
        self.vertical_stretch = vertical_stretch
        self.gamma = gamma

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        b = x.shape[0]

        def uniform(lo: float, hi: float) -> torch.Tensor:
            return lo + (hi - lo) * torch.rand(b, generator=generator, device=x.device)

        angle = uniform(-self.max_rotation_deg, self.max_rotation_deg) * (math.pi / 180)
        # A rotated crop must stay inside the patch: padding would draw mirrored,
        # fault-like edges into it.
        extent = torch.cos(angle).abs() + torch.sin(angle).abs()
        s = torch.minimum(uniform(*self.scale), 1.0 / extent)
        mirror = torch.ones(b, device=x.device)
        if self.flip:
            mirror = torch.where(uniform(0, 1) < 0.5, -1.0, 1.0)
        updown = torch.ones(b, device=x.device)
        if self.vertical_flip:
            updown = torch.where(uniform(0, 1) < 0.5, -1.0, 1.0)
        room = (1 - s * extent).clamp(min=0.0)
        tx = uniform(-1, 1) * room
        ty = uniform(-1, 1) * room
        cos, sin = torch.cos(angle) * s, torch.sin(angle) * s
        # Sampling a shorter span in depth zooms in vertically (stays inside the crop).
        squeeze = 1.0 / uniform(1.0, self.vertical_stretch) * updown
        theta = torch.stack(
            [
                torch.stack([cos * mirror, -sin * squeeze, tx], 1),
                torch.stack([sin * mirror, cos * squeeze, ty], 1),
            ],
            1,
        )
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        out = F.grid_sample(
            x, grid, mode="bilinear", padding_mode="reflection", align_corners=False
        )
        if self.polarity:
            invert = (uniform(0, 1) < 0.5).view(b, 1, 1, 1)
            out = torch.where(invert, 1.0 - out, out)
        if self.gamma > 1.0:
            g = torch.exp(uniform(-math.log(self.gamma), math.log(self.gamma))).view(b, 1, 1, 1)
            centred = 2.0 * (out - 0.5)
            out = 0.5 + 0.5 * centred.sign() * centred.abs().clamp(min=1e-6).pow(g)
        contrast = uniform(0.7, 1.3).view(b, 1, 1, 1)
        out = (out - 0.5) * contrast + 0.5
        sigma = uniform(0, self.noise).view(b, 1, 1, 1)
        noise = torch.randn(out.shape, generator=generator, device=x.device)
        return (out + sigma * noise).clamp(0.0, 1.0)


def nt_xent_loss(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 0.2) -> torch.Tensor:
    """Normalized-temperature cross-entropy (SimCLR) of two views ``(B, D)``, L2-normalized.

    Each view's positive is the other view of the same patch; the other
    ``2B - 2`` views of the batch are its negatives.
    """
    b = z1.shape[0]
    z = torch.cat([z1, z2])
    logits = z @ z.T / temperature
    logits.fill_diagonal_(float("-inf"))
    targets = torch.cat([torch.arange(b, 2 * b), torch.arange(0, b)]).to(z.device)
    return F.cross_entropy(logits, targets)
