"""Pinhole cameras: phone-like image sizes, viewpoints, and framing of a whole movement."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Setup:
    """A subject's filming set-up, shared by all their movements (one phone, one room).

    Key frames are stored at ``width`` x ``height`` ("original size"); video frames at
    ``video_width`` x ``video_height``, the same picture scaled down.
    """

    width: int
    height: int
    video_width: int
    video_height: int
    view: float  # the subject's facing direction seen from the camera, degrees (0: facing it)
    camera_height: float  # metres above the floor
    distance: float  # metres from the subject
    fill: float  # fraction of the limiting image side the movement's extent fills
    roll: float  # the phone's tilt, degrees
    jpeg_quality: int

    @property
    def video_scale(self):
        return self.video_width / self.width


def _even(x):
    return int(round(x / 2)) * 2


def draw_setup(rng):
    """Draw a phone and a viewpoint.

    Mostly portrait video (9:16 or 3:4), sometimes landscape; key frames with a long side of
    480-640 px (real MDS189 frames are bigger: full phone resolution) and video frames with a long
    side of 320-384 px. Views: front, oblique or side, either way round.
    """
    long_side = int(rng.choice([480, 512, 560, 640]))
    aspect = float(rng.choice([9 / 16, 3 / 4], p=[0.7, 0.3]))
    short = _even(long_side * aspect)
    width, height = (short, long_side) if rng.random() < 0.88 else (long_side, short)
    r = int(rng.choice([320, 352, 384])) / long_side
    base = float(rng.choice([0.0, 45.0, 90.0], p=[0.3, 0.35, 0.35]))
    return Setup(
        width=width,
        height=height,
        video_width=_even(width * r),
        video_height=_even(height * r),
        view=float(rng.choice([-1, 1]) * (base + rng.normal(0, 12))),
        camera_height=float(rng.uniform(0.3, 2.0)),
        distance=float(rng.uniform(2.0, 5.0)),
        fill=float(rng.uniform(0.6, 0.88)),
        roll=float(np.clip(rng.normal(0, 2.5), -6, 6)),
        jpeg_quality=int(rng.integers(72, 90)),
    )


@dataclass(frozen=True)
class Camera:
    """A pinhole camera in the world (y up): rotation R (rows: image right, image down, forward)."""

    R: np.ndarray
    centre: np.ndarray
    focal: float
    cx: float
    cy: float

    def project(self, X):
        """Project world points.

        Inputs:
        - X: array of shape (..., 3), world points in metres

        Returns a tuple of:
        - uv: array of shape (..., 2), pixels
        - depth: array of shape (...), metres along the optical axis
        """
        P = (X - self.centre) @ self.R.T
        return self.focal * P[..., :2] / P[..., 2:] + np.array([self.cx, self.cy]), P[..., 2]

    def scaled(self, s):
        """The same camera for the image scaled by s (pixel coordinates scale by s)."""
        return Camera(self.R, self.centre, self.focal * s, self.cx * s, self.cy * s)


def look_at(centre, target, roll=0.0):
    """Rotation of a camera at ``centre`` looking at ``target``, tilted by ``roll`` degrees about its axis.

    Returns an array of shape (3, 3) whose rows are the image's right, down and forward directions.
    """
    forward = (target - centre) / np.linalg.norm(target - centre)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    a = np.radians(roll)
    return np.stack([np.cos(a) * right + np.sin(a) * down, np.cos(a) * down - np.sin(a) * right, forward])


def frame_movement(setup, joints, margin, rng):
    """Place the camera and zoom so the whole movement fits the key-frame image with a margin.

    Inputs:
    - setup: Setup
    - joints: array of shape (T, 25, 3), world joints over the video
    - margin: metres added around the joints (the body's thickness)
    - rng: numpy Generator (the framing offset)

    Returns a Camera for the key-frame size (use ``scaled(setup.video_scale)`` for video frames).
    """
    middle = (joints.min(axis=(0, 1)) + joints.max(axis=(0, 1))) / 2
    target = np.array([middle[0], 0.6 * middle[1] + 0.2, middle[2]])
    centre = np.array([0.0, setup.camera_height, setup.distance]) + [middle[0], 0, middle[2]]
    cam = Camera(look_at(centre, target, setup.roll), centre, 1.0, 0.0, 0.0)
    uv, depth = cam.project(joints.reshape(-1, 3))
    pad = margin / depth.min()
    lo, hi = uv.min(axis=0) - pad, uv.max(axis=0) + pad
    focal = setup.fill * min(setup.width / (hi[0] - lo[0]), setup.height / (hi[1] - lo[1]))
    slack = np.array([setup.width, setup.height]) - focal * (hi - lo)
    offset = slack * (0.5 + rng.uniform(-0.35, 0.35, size=2)) - focal * lo
    return Camera(cam.R, centre, focal, float(offset[0]), float(offset[1]))
