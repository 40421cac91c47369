"""Tiny synthetic keypoint tables for the trainer and CLI tests (made on the fly, nothing stored)."""
import numpy as np

from keypoint_table import write_keypoint_table


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
