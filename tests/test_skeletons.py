"""Tests of the skeleton converters on hand-made poses with known answers."""
import json

import numpy as np
import pandas as pd
import pytest

from keypoint_table import KEYPOINT_COLUMNS, split_table
from mds189_constants import JOINT_INDEX, JOINTS
from skeletons import (
    COCO17,
    MEDIAPIPE33,
    SKELETONS,
    convert,
    keep_skeleton_joints,
    load_keypoints,
    read_openpose_json,
    read_source_table,
)

# The official joint orders, written out here (not taken from skeletons.py), so a wrong order there fails:
# COCO-17 keypoints (cocodataset.org) and MediaPipe Pose's 33 landmarks (developers.google.com/mediapipe).
COCO17_OFFICIAL = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee",
    "left_ankle", "right_ankle")
MEDIAPIPE33_OFFICIAL = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
    "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle", "left_heel", "right_heel", "left_foot_index", "right_foot_index")


def _source_table(joints, conf_suffix="c", conf=0.9, rows=1):
    """One column triple per joint: joint k sits at (10 k + row, 100 + k), confidence conf."""
    data = {"label": ["squat"] * rows}
    for k, joint in enumerate(joints):
        data[f"{joint}_x"] = [10.0 * k + r for r in range(rows)]
        data[f"{joint}_y"] = [100.0 + k] * rows
        if conf_suffix:
            data[f"{joint}_{conf_suffix}"] = [conf] * rows
    return pd.DataFrame(data)


def _joint(table, name, row=0):
    X, _, _ = split_table(table)
    return X[row, 3 * JOINT_INDEX[name]:3 * JOINT_INDEX[name] + 3]


def test_skeleton_names_are_the_official_orders():
    assert COCO17 == COCO17_OFFICIAL and MEDIAPIPE33 == MEDIAPIPE33_OFFICIAL
    assert set(SKELETONS) == {"body25", "coco17", "mediapipe33"}


def test_coco17_left_right_and_known_values():
    table = convert(_source_table(COCO17_OFFICIAL, conf_suffix="v", conf=2), "coco17")
    # left_wrist is COCO joint 9: (90, 109); a person's left wrist lands on LWrist, not RWrist.
    np.testing.assert_array_equal(_joint(table, "LWrist"), [90, 109, 1])  # visibility flag 2 -> 1
    np.testing.assert_array_equal(_joint(table, "RWrist"), [100, 110, 1])
    np.testing.assert_array_equal(_joint(table, "Nose"), [0, 100, 1])
    np.testing.assert_array_equal(_joint(table, "LEar"), [30, 103, 1])
    np.testing.assert_array_equal(_joint(table, "RAnkle"), [160, 116, 1])
    # Neck: mean of left_shoulder (50, 105) and right_shoulder (60, 106); MidHip of hips 11 and 12.
    np.testing.assert_array_equal(_joint(table, "Neck"), [55, 105.5, 1])
    np.testing.assert_array_equal(_joint(table, "MidHip"), [115, 111.5, 1])
    for foot in ("LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel"):
        np.testing.assert_array_equal(_joint(table, foot), [0, 0, 0])
    assert list(table.columns) == ["label", *KEYPOINT_COLUMNS]


def test_mediapipe33_names_feet_and_visibility():
    source = _source_table(MEDIAPIPE33_OFFICIAL, conf_suffix="visibility", conf=0.75)
    source["nose_z"] = -0.3  # depth is ignored
    table = convert(source, "mediapipe33")
    np.testing.assert_array_equal(_joint(table, "LWrist"), [150, 115, 0.75])   # left_wrist is landmark 15
    np.testing.assert_array_equal(_joint(table, "LEye"), [20, 102, 0.75])      # left_eye is 2, not 1 or 3
    np.testing.assert_array_equal(_joint(table, "LHeel"), [290, 129, 0.75])
    np.testing.assert_array_equal(_joint(table, "RBigToe"), [320, 132, 0.75])  # right_foot_index
    np.testing.assert_array_equal(_joint(table, "LSmallToe"), [0, 0, 0])
    np.testing.assert_array_equal(_joint(table, "Neck"), [115, 111.5, 0.75])   # shoulders 11, 12


def test_body25_case_insensitive_without_confidence_columns():
    source = _source_table([j.lower() for j in JOINTS], conf_suffix=None)
    table = convert(source, "body25")
    np.testing.assert_array_equal(_joint(table, "LWrist"), [70, 107, 1])  # no confidence: seen
    np.testing.assert_array_equal(_joint(table, "Neck"), [10, 101, 1])   # body25 has its own Neck


def test_derived_joints_need_both_sources_and_take_the_smaller_confidence():
    source = _source_table(COCO17, rows=3)
    source.loc[0, "left_shoulder_c"] = 0.4
    source.loc[1, "right_shoulder_c"] = 0.0       # one shoulder missing -> no Neck
    source.loc[2, "left_hip_x"] = np.nan          # one hip NaN -> no MidHip
    table = convert(source, "coco17")
    assert _joint(table, "Neck", 0)[2] == pytest.approx(0.4)
    np.testing.assert_array_equal(_joint(table, "Neck", 1), [0, 0, 0])
    np.testing.assert_array_equal(_joint(table, "RShoulder", 1), [0, 0, 0])
    np.testing.assert_array_equal(_joint(table, "MidHip", 2), [0, 0, 0])
    np.testing.assert_array_equal(_joint(table, "LHip", 2), [0, 0, 0])
    assert _joint(table, "MidHip", 1)[2] == pytest.approx(0.9)


def test_all_joints_missing_never_crashes():
    source = _source_table(COCO17, rows=2)
    source.iloc[:, 1:] = np.nan
    X, labels, _ = split_table(convert(source, "coco17"))
    assert np.all(X == 0) and list(labels) == ["squat", "squat"]


def test_metadata_passes_through():
    source = _source_table(COCO17, rows=2)
    source["subject"], source["sequence"], source["frame"] = ["s1", "s2"], ["v1", "v1"], [0, 12]
    source["notes"] = "ignored"
    table = convert(source, "coco17")
    assert list(table.columns[:4]) == ["label", "subject", "sequence", "frame"]
    assert "notes" not in table.columns


def test_label_and_metadata_columns_match_case_insensitively_like_the_joints(tmp_path):
    source = _source_table([j.upper() for j in COCO17], rows=2).rename(columns={"label": "Label"})
    source["SUBJECT"], source["Sequence"], source["Frame"] = ["007", "008"], ["v1", "v1"], [0, 12]
    table = convert(source, "coco17")
    assert list(table.columns[:4]) == ["label", "subject", "sequence", "frame"]
    assert list(table["label"]) == ["squat", "squat"] and list(table["subject"]) == ["007", "008"]
    source.to_csv(tmp_path / "upper.csv", index=False)
    X, labels, meta = load_keypoints(tmp_path / "upper.csv", "coco17")
    assert list(meta["subject"]) == ["007", "008"]  # read as text in any case: the zeros stay
    with pytest.raises(ValueError, match="in.csv: columns 'Label' and 'label' both match 'label'"):
        convert(source.assign(label="lunge"), "coco17", source="in.csv")
    with pytest.raises(ValueError, match="columns 'NOSE_x' and 'nose_x' both match 'nose_x'"):
        convert(source.assign(nose_x=1.0), "coco17")


def test_wrong_input_errors():
    source = _source_table(COCO17)
    with pytest.raises(ValueError, match="unknown skeleton 'coco18'; expected one of body25, coco17"):
        convert(source, "coco18")
    with pytest.raises(ValueError, match="in.csv: missing columns left_wrist_x, left_wrist_y for skeleton"):
        convert(source.drop(columns=["left_wrist_x", "left_wrist_y"]), "coco17", source="in.csv")
    with pytest.raises(ValueError, match="missing columns .* for skeleton 'mediapipe33'"):
        convert(source, "mediapipe33")
    with pytest.raises(ValueError, match="in.csv: no 'label' column"):
        convert(source.drop(columns="label"), "coco17", source="in.csv")
    assert "label" not in convert(source.drop(columns="label"), "coco17", require_label=False).columns
    bad = source.astype({"nose_y": object})
    bad.loc[0, "nose_y"] = "n/a?"
    with pytest.raises(ValueError, match="row 0, column 'nose_y': 'n/a\\?' is not a number"):
        convert(bad, "coco17")


def _write_openpose(folder, frame, people):
    folder.mkdir(exist_ok=True)
    (folder / f"clip7_{frame:012d}_keypoints.json").write_text(json.dumps(
        {"version": 1.3, "people": [{"person_id": [-1], "pose_keypoints_2d": p} for p in people]}))


def test_openpose_json_picks_the_most_confident_person(tmp_path):
    faint = [1.0, 2.0, 0.1] * 25
    sure = [float(v) for k in range(25) for v in (k, 2 * k, 0.8)]
    _write_openpose(tmp_path / "op", 0, [faint, sure])
    _write_openpose(tmp_path / "op", 12, [sure])
    with pytest.warns(UserWarning, match="1 of 3 frames show no person"):
        _write_openpose(tmp_path / "op", 24, [])
        table = read_openpose_json(tmp_path / "op", label="lunge")
    assert list(table["frame"]) == [0, 12] and list(table["sequence"]) == ["clip7", "clip7"]
    assert list(table["file"]) == [f"clip7_{f:012d}_keypoints.json" for f in (0, 12)]  # frame 24 is empty
    np.testing.assert_allclose(_joint(table, "LWrist"), [7, 14, 0.8])
    X, labels, meta = load_keypoints(tmp_path / "op" / "clip7_000000000012_keypoints.json", "body25",
                                     label="lunge")
    assert X.shape == (1, 75) and list(labels) == ["lunge"]


def test_openpose_json_errors(tmp_path):
    _write_openpose(tmp_path / "op", 0, [[0.0] * 54])
    with pytest.raises(ValueError, match="has 54 numbers, expected 75"):
        read_openpose_json(tmp_path / "op")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="bad.json: not an OpenPose JSON file"):
        read_openpose_json(tmp_path / "bad.json")
    for people in ('[1, 2]', '[{"pose_keypoints_2d": ["a", "b"]}]', '{"0": []}'):
        (tmp_path / "odd.json").write_text(f'{{"people": {people}}}')
        with pytest.raises(ValueError, match="odd.json: not an OpenPose JSON file with a 'people' list"):
            read_openpose_json(tmp_path / "odd.json")
    with pytest.raises(FileNotFoundError, match="no OpenPose JSON files"):
        read_openpose_json(tmp_path / "nothing_here")
    with pytest.raises(ValueError, match="use --skeleton body25, not coco17"):
        load_keypoints(tmp_path / "op", "coco17")
    with pytest.raises(ValueError, match="OpenPose JSON carries no labels; give .* with --label"):
        load_keypoints(tmp_path / "op", "body25")


def test_read_source_table_keeps_every_csv_row_in_order(tmp_path):
    source = _source_table(COCO17, rows=3)
    source.loc[1, [c for c in source.columns if c != "label"]] = np.nan  # nobody in row 1: kept
    source.to_csv(tmp_path / "coco.csv", index=False)
    table = read_source_table(tmp_path / "coco.csv", "coco17")
    assert len(table) == 3 and list(table.index) == [0, 1, 2] and "file" not in table.columns
    np.testing.assert_array_equal(table.loc[[0, 2], "LWrist_x"], [90, 92])


def test_load_keypoints_from_csv(tmp_path):
    _source_table(COCO17, conf_suffix="vis", rows=4).to_csv(tmp_path / "coco.csv", index=False)
    X, labels, meta = load_keypoints(tmp_path / "coco.csv", "coco17")
    assert X.shape == (4, 75) and list(labels) == ["squat"] * 4
    np.testing.assert_array_equal(X[3, 21:24], [93, 109, 0.9])
    with pytest.raises(ValueError, match="coco.csv: --label is for OpenPose JSON"):
        load_keypoints(tmp_path / "coco.csv", "coco17", label="lunge")


def test_keep_skeleton_joints_zeroes_what_the_skeleton_lacks():
    X = np.arange(2 * 75, dtype=float).reshape(2, 75) + 1
    np.testing.assert_array_equal(keep_skeleton_joints(X, "body25"), X)
    kept = keep_skeleton_joints(X, "coco17").reshape(2, 25, 3)
    feet = [JOINT_INDEX[j] for j in ("LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel")]
    assert np.all(kept[:, feet] == 0) and np.all(kept[:, [i for i in range(25) if i not in feet]] > 0)
    kept = keep_skeleton_joints(X, "mediapipe33").reshape(2, 25, 3)
    lacking = [JOINT_INDEX["LSmallToe"], JOINT_INDEX["RSmallToe"]]
    assert np.all(kept[:, lacking] == 0) and np.count_nonzero(kept.any(axis=2)) == 2 * 23
    assert X[1, -1] == 150  # the input is not modified
