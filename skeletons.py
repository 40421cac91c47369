"""Converters from the skeletons people have (COCO-17, MediaPipe Pose, OpenPose) to the BODY_25 table.

A source CSV has one row per pose and, for each joint of its skeleton, the columns ``<joint>_x``,
``<joint>_y`` and optionally a confidence ``<joint>_c`` / ``_v`` / ``_vis`` / ``_visibility`` (a joint
without one counts as seen wherever its coordinates are finite); ``_z`` and other columns are ignored,
column names are matched case-insensitively (two columns matching one name are an error). ``label``,
``subject``, ``sequence`` and ``frame`` (any case) pass through.

- BODY_25 joints the source lacks get confidence 0 (COCO has no feet; MediaPipe has no small toes:
  its ``foot_index``, the tip of the foot, stands in for the big toe).
- Neck and MidHip, which only OpenPose has, are the means of the shoulders and of the hips, with the
  smaller of the two confidences, in rows where both are seen (otherwise confidence 0).
- Any joint may be missing in any row (confidence 0 or NaN coordinates): it becomes (0, 0, 0).
Coordinates are kept as they are (pixels or image fractions, y down or up): the trainer's pose
normalisation removes position and scale, but train and predict on tables from the same kind of source.
"""
import json
import re
import warnings
from pathlib import Path

import numpy as np

from keypoint_table import (
    META_COLUMNS,
    canonical_columns,
    check_label_column,
    clean_keypoints,
    list_some,
    make_table,
    numeric_columns,
    read_csv,
    split_table,
)
from mds189_constants import JOINT_INDEX, JOINTS, KEYPOINT_DIM

_SIDES = {"left": "L", "right": "R"}
_LIMB_JOINTS = {"shoulder": "Shoulder", "elbow": "Elbow", "wrist": "Wrist", "hip": "Hip", "knee": "Knee",
                "ankle": "Ankle", "eye": "Eye", "ear": "Ear", "heel": "Heel", "foot_index": "BigToe"}


def _body25_name(joint):
    """BODY_25 name of a COCO/MediaPipe joint ('left_wrist' -> 'LWrist'), or None if BODY_25 lacks it."""
    if joint == "nose":
        return "Nose"
    side, _, part = joint.partition("_")
    if side in _SIDES and part in _LIMB_JOINTS:
        return _SIDES[side] + _LIMB_JOINTS[part]
    return None


COCO17 = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
          "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
          "right_knee", "left_ankle", "right_ankle")
MEDIAPIPE33 = ("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
               "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
               "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
               "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
               "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
               "right_heel", "left_foot_index", "right_foot_index")
# skeleton -> {source joint: BODY_25 joint} for the source joints BODY_25 has.
SKELETONS = {
    "body25": {joint: joint for joint in JOINTS},
    "coco17": {j: _body25_name(j) for j in COCO17 if _body25_name(j)},
    "mediapipe33": {j: _body25_name(j) for j in MEDIAPIPE33 if _body25_name(j)},
}
CONFIDENCE_SUFFIXES = ("c", "v", "vis", "visibility")
DERIVED_JOINTS = {"Neck": ("LShoulder", "RShoulder"), "MidHip": ("LHip", "RHip")}


def _check_skeleton(skeleton):
    if skeleton not in SKELETONS:
        raise ValueError(f"unknown skeleton {skeleton!r}; expected one of {', '.join(SKELETONS)}")
    return SKELETONS[skeleton]


def derive_missing_joints(X, present):
    """Fill Neck and MidHip from the shoulders and hips where the source lacks them.

    Inputs:
    - X: array of shape (N, 75), BODY_25 keypoints with missing joints zeroed (modified in place)
    - present: set of BODY_25 joint names the source skeleton has

    Returns X. The derived joint is the mean of its two sources with the smaller confidence, in rows
    where both are seen (c > 0); elsewhere it stays (0, 0, 0).
    """
    joints = X.reshape(len(X), -1, 3)
    for joint, (a, b) in DERIVED_JOINTS.items():
        if joint in present:
            continue
        pa, pb = joints[:, JOINT_INDEX[a]], joints[:, JOINT_INDEX[b]]
        both = (pa[:, 2] > 0) & (pb[:, 2] > 0)
        joints[both, JOINT_INDEX[joint], :2] = (pa[both, :2] + pb[both, :2]) / 2
        joints[both, JOINT_INDEX[joint], 2] = np.minimum(pa[both, 2], pb[both, 2])
    return X


def keep_skeleton_joints(X, skeleton):
    """Zero the BODY_25 joints that a skeleton's converted tables never have (e.g. COCO-17's feet).

    A model trained on one skeleton's poses never saw the other joints; poses from a richer source
    (BODY_25 input for a COCO-17 model) must look like its training poses, or those joints shift
    the features silently.

    Inputs:
    - X: array of shape (N, 75), BODY_25 keypoints
    - skeleton: 'body25', 'coco17' or 'mediapipe33'

    Returns a float64 copy of X, shape (N, 75), with (x, y, c) = (0, 0, 0) at the joints the skeleton
    lacks (Neck and MidHip count as present: the converter derives them).
    """
    present = set(_check_skeleton(skeleton).values()) | set(DERIVED_JOINTS)
    X = np.array(X, dtype=np.float64).reshape(len(X), -1, 3)
    X[:, [JOINT_INDEX[j] for j in JOINTS if j not in present]] = 0.0
    return X.reshape(len(X), KEYPOINT_DIM)


def convert(table, skeleton, source="table", require_label=True):
    """Convert a table of one skeleton's keypoints into a BODY_25 keypoint table.

    Inputs:
    - table: DataFrame with <joint>_x, <joint>_y (and optional confidence) columns of the skeleton
    - skeleton: 'body25', 'coco17' or 'mediapipe33'
    - source: name of the table (e.g. its path) used in error messages
    - require_label: raise if there is no label column

    Returns a DataFrame: the keypoint table (label, subject, sequence, frame when present, 75 values).
    """
    mapping = _check_skeleton(skeleton)
    joint_columns = [f"{j}_{suffix}" for j in mapping for suffix in ("x", "y", *CONFIDENCE_SUFFIXES)]
    table = canonical_columns(table, ("label", *META_COLUMNS, *joint_columns), source)
    if require_label:
        check_label_column(table, source)
    missing = [f"{j}_{axis}" for j in mapping for axis in "xy" if f"{j}_{axis}" not in table.columns]
    if missing:
        raise ValueError(f"{source}: missing columns {list_some(missing)} for skeleton {skeleton!r} "
                         f"(it needs <joint>_x and <joint>_y for {', '.join(mapping)})")
    X = np.zeros((len(table), KEYPOINT_DIM))
    for joint, body25 in mapping.items():
        confidences = [f"{joint}_{suffix}" for suffix in CONFIDENCE_SUFFIXES]
        names = [f"{joint}_x", f"{joint}_y"] + [c for c in confidences if c in table.columns][:1]
        k = JOINT_INDEX[body25]
        X[:, 3 * k + 2] = 1.0  # seen, unless the source gives a confidence
        X[:, 3 * k:3 * k + len(names)] = numeric_columns(table, names, source)
    X = derive_missing_joints(clean_keypoints(X), set(mapping.values()))
    passthrough = {name: table[name].to_numpy() for name in ("label", *META_COLUMNS) if name in table.columns}
    return make_table(X, labels=passthrough.get("label"), subject=passthrough.get("subject"),
                      sequence=passthrough.get("sequence"), frame=passthrough.get("frame"))


_FRAME_NUMBER = re.compile(r"^(.*?)_?(\d+)(?:_keypoints)?$")


def read_openpose_json(path, label=None):
    """Read OpenPose's per-frame JSON output (``people[].pose_keypoints_2d``) as a keypoint table.

    Inputs:
    - path: one ``*.json`` file or a folder of them (read in name order)
    - label: label of every pose (e.g. the movement of the clip), or None for a table to predict

    Returns a DataFrame: a ``file`` column (the JSON file's name), then the keypoint table, with one row
    per frame that shows a person: the person with the largest summed confidence. ``sequence`` is the
    video name and ``frame`` the frame number, both parsed from OpenPose's file names
    (``<video>_000000000012_keypoints.json``). Frames without a person are left out with a warning (the
    file names of the rows show which).
    """
    path = Path(path)
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not path.exists() or not files:
        raise FileNotFoundError(f"no OpenPose JSON files at {path}")
    rows, names, sequences, frames, empty = [], [], [], [], 0
    for i, file in enumerate(files):
        try:
            people = json.loads(file.read_text())["people"]
            poses = [np.asarray(p.get("pose_keypoints_2d", []), dtype=np.float64) for p in people]
        except (ValueError, KeyError, TypeError, AttributeError) as err:  # ValueError: bad JSON or numbers
            raise ValueError(f"{file}: not an OpenPose JSON file with a 'people' list ({err!r})") from None
        for j, pose in enumerate(poses):
            if pose.shape != (KEYPOINT_DIM,):
                raise ValueError(f"{file}: people[{j}].pose_keypoints_2d has {pose.size} numbers, expected "
                                 f"{KEYPOINT_DIM} (BODY_25; OpenPose's COCO model writes 54)")
        if not poses:
            empty += 1
            continue
        rows.append(max(poses, key=lambda p: np.nansum(p[2::3])))
        names.append(file.name)
        match = _FRAME_NUMBER.match(file.stem)
        sequences.append(match.group(1) if match and match.group(1) else path.stem)
        frames.append(int(match.group(2)) if match else i)
    if empty:
        warnings.warn(f"{path}: {empty} of {len(files)} frames show no person and were left out",
                      stacklevel=2)
    if not rows:
        raise ValueError(f"{path}: no frame shows a person")
    labels = None if label is None else [label] * len(rows)
    table = make_table(clean_keypoints(np.stack(rows)), labels=labels, sequence=sequences, frame=frames)
    table.insert(0, "file", names)
    return table


def read_source_table(path, skeleton, require_label=True, label=None):
    """Read poses of any supported source as a BODY_25 keypoint table.

    Inputs:
    - path: a CSV (plain or .gz) of the given skeleton, or OpenPose JSON (a .json file or a folder)
    - skeleton: 'body25', 'coco17' or 'mediapipe33' (OpenPose JSON is body25)
    - require_label: raise if the poses carry no label
    - label: label for OpenPose JSON poses (which carry none); must be None for a CSV

    Returns a DataFrame: the keypoint table; a CSV's rows in its order, one per data row; OpenPose JSON
    also with its ``file`` column (see read_openpose_json).
    """
    _check_skeleton(skeleton)
    path = Path(path)
    if path.is_dir() or path.suffix == ".json":
        if skeleton != "body25":
            raise ValueError(f"{path}: OpenPose JSON holds BODY_25 poses; use --skeleton body25, "
                             f"not {skeleton}")
        if require_label and label is None:
            raise ValueError(f"{path}: OpenPose JSON carries no labels; give the poses' label with --label")
        return read_openpose_json(path, label=label)
    if label is not None:  # never silently ignored: the CSV's own label column would win
        raise ValueError(f"{path}: --label is for OpenPose JSON, which carries no labels; a CSV "
                         "takes its labels from its 'label' column")
    return convert(read_csv(path), skeleton, source=str(path), require_label=require_label)


def load_keypoints(path, skeleton, require_label=True, label=None):
    """Read poses of any supported source as BODY_25 arrays (arguments as in read_source_table).

    Returns the tuple (X, labels, meta) of keypoint_table.split_table.
    """
    table = read_source_table(path, skeleton, require_label=require_label, label=label)
    return split_table(table, source=str(path), require_label=require_label)
