"""Keypoint tables for the trainer and CLI tests: tiny synthetic ones made on the fly, and a noisy subset
of the shipped body25_posekit poses."""
from pathlib import Path

import numpy as np

from keypoint_table import read_csv, split_table, write_keypoint_table


def synthetic_poses(classes=("reach", "squat", "lunge"), subjects=4, clips=2, frames=5, seed=0):
    """Separable poses: one random template per class, moved, scaled and jittered per subject and frame.

    Returns a tuple of X (N, 75), labels (N,), subject (N,), sequence (N,), frame (N,).
    """
    rng = np.random.default_rng(seed)
    templates = rng.uniform(-1, 1, size=(len(classes), 25, 2))
    X, labels, subject, sequence, frame = [], [], [], [], []
    for s in range(subjects):
        shift, scale = rng.uniform(100, 400, size=2), rng.uniform(50, 150)
        for c, name in enumerate(classes):
            for k in range(clips):
                for f in range(frames):
                    xy = (templates[c] + rng.normal(0, 0.05, size=(25, 2))) * scale + shift
                    X.append(np.column_stack([xy, np.ones(25)]).ravel())
                    labels.append(name)
                    subject.append(f"{s:03d}")
                    sequence.append(f"s{s}_{name}_{k}")
                    frame.append(12 * f)
    return np.array(X), np.array(labels, dtype=object), np.array(subject), np.array(sequence), np.array(frame)


def write_synthetic_table(path, **kwargs):
    """Write synthetic_poses(**kwargs) as a keypoint table; returns the path."""
    X, labels, subject, sequence, frame = synthetic_poses(**kwargs)
    return write_keypoint_table(path, X, labels, subject=subject, sequence=sequence, frame=frame)


POSEKIT = Path(__file__).resolve().parents[1] / "data" / "body25_posekit" / "samples.csv.gz"


def noisy_posekit_poses(rows_per_class=30, noise=0.3, seed=0):
    """A small real problem that is not trivially separable: the first rows_per_class poses of each of
    body25_posekit's 20 classes, every visible joint moved by Gaussian noise of noise times the pose's own
    spread (with the defaults, 600 poses on which the nets reach about 0.8).

    Returns keypoint_trainer.Poses without subject or sequence (split them with pseudo-clips).
    """
    from keypoint_trainer import poses_from_arrays

    table = read_csv(POSEKIT).groupby("label", sort=False).head(rows_per_class).reset_index(drop=True)
    X, labels, meta = split_table(table, source=str(POSEKIT))
    P = X.reshape(len(X), -1, 3)
    visible = P[:, :, 2] > 0
    spread = np.array([P[i, visible[i], :2].std() if visible[i].any() else 0.0 for i in range(len(P))])
    jitter = np.random.default_rng(seed).normal(size=P[:, :, :2].shape) * noise * spread[:, None, None]
    P[:, :, :2] += jitter * visible[..., None]
    return poses_from_arrays(P.reshape(len(X), -1), labels, meta, "body25")
