"""Label files: hand labels with click noise and the real set's faults, and OpenPose-like detections.

Coordinates: ``gt_pose`` and ``gt_pose_dict`` are in key-frame pixels (``width`` x ``height``);
``pseudo_gt_raw`` in video-frame pixels (``video_width`` x ``video_height``), the frames OpenPose ran on.
``gt_pose_dict`` maps each labelled joint's name to its clicks in order, ``[[x, y], ...]``; the last
click wins. Unlabelled joints have no entry and ``c = 0, x = y = 0`` in ``gt_pose``.
"""

import numpy as np

from data_utils import procrustes_align
from mds189_constants import JOINTS, MIRROR

FLOOR = ("hamstrings", "deadbug", "pushup")
FACE = {"REye", "LEye", "REar", "LEar"}


def _occluded(depth):
    """Joints (25,) hidden behind their left/right twin: more than 8 cm further from the camera."""
    return depth - depth[list(MIRROR)] > 0.08


def _pose(uv, conf, width, height, digits=2):
    """A 75-number list from uv (25, 2) and conf (list of 25 Python numbers); joints with conf == 0
    get x = y = 0, the others are clipped inside the image."""
    xy = np.clip(uv, 0, [width - 1, height - 1])
    out = []
    for (x, y), c in zip(xy, conf, strict=True):
        out += [round(float(x), digits), round(float(y), digits), c] if c else [0.0, 0.0, 0]
    return out


def hand_label(uv, depth, rng, width, height, swap=False):
    """Simulate one labeller clicking the joints of a key frame.

    Inputs:
    - uv: array of shape (25, 2), true joint positions in key-frame pixels
    - depth: array of shape (25,), distance from the camera (occluded joints are skipped more often)
    - rng: numpy Generator; width, height: the key frame's size
    - swap: the labeller mixed up left and right (a known fault of the real set)

    Returns a tuple of:
    - gt_pose: list of 75 numbers (c is 1 or 0)
    - clicks: dict joint name -> list of [x, y] clicks (what the labelling tool exported)
    """
    extent = np.linalg.norm(uv.max(axis=0) - uv.min(axis=0))
    hidden = _occluded(depth)
    clicks, final, conf = {}, np.zeros((25, 2)), np.zeros(25, dtype=int)
    for j, name in enumerate(JOINTS):
        p_skip = 0.5 if (hidden[j] and name in FACE) else 0.08 if hidden[j] else 0.01
        if rng.random() < p_skip:
            continue
        sd = extent * 0.007 * (3 if rng.random() < 0.05 else 1)
        last = uv[j] + rng.normal(0, sd, 2)
        first = [uv[j] + rng.normal(0, 4 * sd, 2)] if rng.random() < 0.08 else []
        clicks[name] = [np.clip(p, 0, [width - 1, height - 1]) for p in (*first, last)]
        final[j], conf[j] = clicks[name][-1], 1
    if swap:
        final, conf = final[list(MIRROR)], conf[list(MIRROR)]
        clicks = {JOINTS[MIRROR[JOINTS.index(k)]]: v for k, v in clicks.items()}
    clicks = {
        k: [[round(float(x), 2), round(float(y), 2)] for x, y in v]
        for k, v in sorted(clicks.items(), key=lambda kv: JOINTS.index(kv[0]))
    }
    return _pose(final, conf.tolist(), width, height), clicks


def detect(uv, depth, rng, width, height, movement, side_view, ghost):
    """Simulate OpenPose on one video frame.

    Inputs:
    - uv: array of shape (25, 2), true joints in video pixels; depth: array of shape (25,)
    - rng: numpy Generator; width, height: the video frame's size
    - movement: its name (floor movements are detected worst); side_view: the camera sees a side
    - ghost: None, or an (offset (2,), joint mask (25,)) for a spurious extra person in this frame

    Returns a tuple of:
    - people: list of 75-number lists (c is a confidence in [0, 1])
    - boxes: list of [xmin, ymin, xmax, ymax], from each person's detected keypoints
    """
    floor = movement in FLOOR
    people = []
    if rng.random() > (0.06 if floor else 0.02):  # the person is found
        extent = np.linalg.norm(uv.max(axis=0) - uv.min(axis=0))
        conf = np.clip(rng.normal(0.72 if floor else 0.8, 0.12, 25), 0.05, 0.98)
        hidden = _occluded(depth)
        conf[hidden] *= 0.55
        missed = rng.random(25) < np.where(hidden, 0.3, 0.15 if floor else 0.04)
        pos = uv + rng.normal(0, 1, (25, 2)) * (extent * (0.008 + 0.03 * (1 - conf)))[:, None]
        if side_view and rng.random() < 0.05:  # legs confused left for right
            legs = [
                j
                for j, name in enumerate(JOINTS)
                if name[1:] in ("Hip", "Knee", "Ankle", "BigToe", "SmallToe", "Heel")
            ]
            order = np.arange(25)
            order[legs] = np.array(MIRROR)[legs]
            pos, conf = pos[order], conf[order]
        people.append((pos, np.where(missed, 0.0, np.round(conf, 3))))
    if ghost is not None:  # fooled by a shadow or a reflection
        offset, mask = ghost
        conf = np.where(mask, np.round(rng.uniform(0.1, 0.4, 25), 3), 0.0)
        people.insert(int(rng.integers(len(people) + 1)), (uv + offset, conf))
    poses, boxes = [], []
    for pos, conf in people:
        pose = _pose(pos, [float(c) for c in conf], width, height)
        xy = np.array(pose).reshape(25, 3)
        seen = xy[xy[:, 2] > 0, :2]
        if len(seen) == 0:
            continue
        poses.append(pose)
        boxes.append([round(float(v), 2) for v in (*seen.min(axis=0), *seen.max(axis=0))])
    return poses, boxes


def align(gt_pose, reference):
    """``gt_pose`` (left and right lists) Procrustes-aligned to the reference subject's, as lists."""
    out = {}
    for side, pose in gt_pose.items():
        aligned = procrustes_align(np.array(pose, float), np.array(reference[side], float))
        out[side] = [round(float(v), 2) if i % 3 < 2 else int(v) for i, v in enumerate(aligned)]
    return out
