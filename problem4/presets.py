"""Input size, normalisation statistics and the augmentation of MDS189 frames.

Frames are mostly portrait phone video, so the network input is portrait too: ``input_shape(s)`` is
(s, s // 2), the aspect ratio of the course's 224x448 resized key frames. The Dataset resizes every
image to that shape once (and can cache it); ``Preprocess`` then works on whole uint8 batches on the
model's device, as the first layer of the network, so augmentation costs next to nothing and the
normalisation statistics travel inside the checkpoint.

Augmentation (training mode only), chosen for what varies between MDS189 frames:
- scale, position and aspect ratio: a random crop of 85-100% of the area with the aspect ratio
  jittered by up to 15% either way, shifted anywhere inside the frame and by up to 4% beyond it;
- camera tilt: rotations of up to 5 degrees;
- lighting and clothing colour: brightness, contrast and saturation jitter of up to 20%;
- mirror images: a horizontal flip half of the time. A mirrored left-side lunge looks like a
  right-side lunge, but the classes are movements, not sides, so the label is unchanged.
The people fill only a small part of a frame: stronger crops cut off their limbs, and with the
stronger settings (65% area, 25% aspect, 10 degrees, 30% jitter) the deep CNN fitted neither its
585 key frames nor the video frames in a demo-length run.
All of it is one affine warp (``F.affine_grid`` + ``F.grid_sample``, zeros outside the frame) and a few
tensor operations per batch; the random numbers come from torch's global generator (seeded).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

GRAY = (0.299, 0.587, 0.114)  # ITU-R 601 luma weights


def input_shape(image_size):
    """Network input (H, W) for ``--image-size``: portrait, width half the height."""
    if image_size < 16:
        raise ValueError(f"image size must be at least 16 pixels, got {image_size}")
    return image_size, image_size // 2


def compute_mean_std(dataset, batch_size=256):
    """Per-channel mean and standard deviation of a dataset's images, in [0, 1] units.

    Inputs:
    - dataset: yields (uint8 image of shape (3, H, W), target) pairs of equal H, W (no transform)

    Returns a tuple of:
    - mean: list of 3 floats
    - std: list of 3 floats
    """
    total = torch.zeros(3, dtype=torch.float64)
    total_sq = torch.zeros(3, dtype=torch.float64)
    count = 0
    for images, _ in DataLoader(dataset, batch_size=batch_size, shuffle=False):
        x = images.to(torch.float64) / 255.0
        total += x.sum(dim=(0, 2, 3))
        total_sq += (x * x).sum(dim=(0, 2, 3))
        count += x.shape[0] * x.shape[2] * x.shape[3]
    mean = total / count
    std = (total_sq / count - mean * mean).clamp_min(1e-12).sqrt()
    return mean.tolist(), std.tolist()


class Preprocess(nn.Module):
    """Batch input pipeline: uint8 images -> (augmented in training mode) normalised float images.

    Inputs (forward):
    - images: tensor of shape (N, 3, H, W), values 0..255 (any dtype)

    Returns a float32 tensor of shape (N, 3, H, W): (x / 255 - mean) / std, after a random crop,
    rotation, flip and colour jitter per image when the module is in training mode and ``augment``.
    With ``channels_last`` (an attribute, not saved in the state dict) the result is in the
    channels_last memory format: ``grid_sample`` returns contiguous NCHW whatever its input.
    """

    def __init__(
        self,
        mean,
        std,
        augment=True,
        scale=(0.85, 1.0),
        max_aspect=1.15,
        degrees=5.0,
        translate=0.04,
        jitter=0.2,
        channels_last=False,
    ):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1))
        self.augment, self.scale, self.max_aspect = augment, scale, max_aspect
        self.degrees, self.translate, self.jitter = degrees, translate, jitter
        self.channels_last = channels_last

    def forward(self, images):
        x = images.float() / 255.0
        if self.training and self.augment:
            x = self.color_jitter(self.random_affine(x))
        x = (x - self.mean) / self.std
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def random_affine(self, x):
        """Random crop (area, aspect), shift, rotation and horizontal flip of each image in a batch."""
        n, _, h, w = x.shape
        u = torch.rand(n, 6).to(x.device)
        area = self.scale[0] + (self.scale[1] - self.scale[0]) * u[:, 0]
        aspect = torch.exp(math.log(self.max_aspect) * (2 * u[:, 1] - 1))
        sx, sy = (area * aspect).sqrt().clamp(max=1.0), (area / aspect).sqrt().clamp(max=1.0)
        angle = math.radians(self.degrees) * (2 * u[:, 2] - 1)
        flip = torch.where(u[:, 3] < 0.5, -1.0, 1.0)
        tx = (1 - sx + 2 * self.translate) * (2 * u[:, 4] - 1)
        ty = (1 - sy + 2 * self.translate) * (2 * u[:, 5] - 1)
        cos, sin, a = angle.cos(), angle.sin(), h / w  # a: rotation in pixels, expressed in [-1, 1] units
        theta = torch.stack(
            [
                torch.stack([flip * sx * cos, -sy * a * sin, tx], dim=1),
                torch.stack([flip * sx * sin / a, sy * cos, ty], dim=1),
            ],
            dim=1,
        )
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    def color_jitter(self, x):
        """Random brightness, contrast and saturation factors in [1 - jitter, 1 + jitter] per image."""
        n = x.shape[0]
        f = (1 + self.jitter * (2 * torch.rand(n, 3) - 1)).to(x.device).view(n, 3, 1, 1, 1)
        x = x * f[:, 0]
        m = luma(x).mean(dim=(2, 3), keepdim=True)
        x = (x - m) * f[:, 1] + m
        g = luma(x)
        x = (x - g) * f[:, 2] + g
        return x.clamp(0.0, 1.0)


def luma(x):
    """Gray level of RGB images: (N, 3, H, W) -> (N, 1, H, W)."""
    return (x * x.new_tensor(GRAY).view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
