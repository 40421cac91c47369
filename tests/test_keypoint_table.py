"""Tests of the keypoint table format: columns, cleaning of missing joints, round trips, clear errors."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from keypoint_table import (
    KEYPOINT_COLUMNS,
    canonical_columns,
    clean_keypoints,
    make_table,
    read_keypoint_table,
    split_table,
    write_keypoint_table,
)
from mds189_constants import JOINTS, KEYPOINT_DIM, MOVEMENTS


def _poses(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-100, 100, size=(n, KEYPOINT_DIM))
    X[:, 2::3] = rng.uniform(0.1, 1.0, size=(n, 25))
    return X


def test_columns_follow_body25_order():
    assert len(KEYPOINT_COLUMNS) == 75
    assert KEYPOINT_COLUMNS[:3] == ("Nose_x", "Nose_y", "Nose_c")
    assert KEYPOINT_COLUMNS[3 * 7:3 * 7 + 3] == ("LWrist_x", "LWrist_y", "LWrist_c")
    assert KEYPOINT_COLUMNS[-1] == f"{JOINTS[-1]}_c"


def test_clean_keypoints_zeroes_missing_joints_and_clips_confidence():
    X = np.ones((1, KEYPOINT_DIM)) * 5.0
    X[0, 2::3] = 0.5
    X[0, 0] = np.nan            # Nose x NaN -> Nose missing
    X[0, 3 * 1 + 2] = 0.0       # Neck c = 0 -> missing
    X[0, 3 * 2 + 2] = 2.0       # RShoulder COCO flag 2 -> 1
    X[0, 3 * 3 + 1] = np.inf    # RElbow y inf -> missing
    X[0, 3 * 4 + 2] = np.nan    # RWrist c NaN -> missing
    out = clean_keypoints(X).reshape(25, 3)
    for k in (0, 1, 3, 4):
        np.testing.assert_array_equal(out[k], [0, 0, 0])
    np.testing.assert_array_equal(out[2], [5, 5, 1])
    np.testing.assert_array_equal(out[5], [5, 5, 0.5])
    assert np.isnan(X[0, 0])  # the input is not modified


def test_write_read_round_trip(tmp_path):
    X = _poses(7)
    labels = ["squat", "lunge"] * 3 + ["reach"]
    subject = ["001", "001", "002", "002", "003", "003", "010"]
    sequence = [f"clip{i // 2}" for i in range(7)]
    for name in ("poses.csv", "poses.csv.gz"):
        write_keypoint_table(tmp_path / name, X, labels, subject=subject, sequence=sequence, frame=range(7))
        X2, labels2, meta = read_keypoint_table(tmp_path / name)
        np.testing.assert_array_equal(X2, X)
        assert list(labels2) == labels
        assert list(meta.columns) == ["subject", "sequence", "frame"]
        assert list(meta["subject"]) == subject  # leading zeros kept: subjects are text
        assert list(meta["frame"]) == list(range(7))


def test_table_without_optional_columns_and_extra_columns(tmp_path):
    table = make_table(_poses(3), labels=["a", "b", "a"])
    table.insert(1, "detection_accuracy", [1.0, 2.0, 3.0])
    table.to_csv(tmp_path / "t.csv", index=False)
    X, labels, meta = read_keypoint_table(tmp_path / "t.csv")
    assert X.shape == (3, 75) and list(labels) == ["a", "b", "a"]
    assert meta.shape == (3, 0)


def test_column_names_match_case_insensitively_and_subjects_stay_text(tmp_path):
    table = make_table(_poses(2), labels=["a", "b"], subject=["007", "010"], sequence=["s", "t"],
                       frame=[0, 12])
    table.columns = [c.upper() if c in ("label", "subject", "frame") or c.startswith("Nose") else c.lower()
                     for c in table.columns]
    table.to_csv(tmp_path / "t.csv", index=False)
    X, labels, meta = read_keypoint_table(tmp_path / "t.csv")
    np.testing.assert_array_equal(X, clean_keypoints(_poses(2)))
    assert list(labels) == ["a", "b"] and list(meta.columns) == ["subject", "sequence", "frame"]
    assert list(meta["subject"]) == ["007", "010"]  # 'SUBJECT' is read as text too
    with pytest.raises(ValueError, match="t.csv: columns 'LABEL' and 'Label' both match 'label'"):
        split_table(table.assign(Label="c"), source="t.csv")


def test_canonical_columns_renames_only_what_it_is_asked_for():
    table = pd.DataFrame({"LABEL": [1], "Notes": [2], "frame": [3]})
    assert list(canonical_columns(table, ["label", "frame"]).columns) == ["label", "Notes", "frame"]
    assert list(table.columns) == ["LABEL", "Notes", "frame"]  # the input is not renamed in place


def test_keypoint_table_does_not_import_data_utils():
    # Reading and writing tables (the CLI's convert and predict, skeletons) needs neither data_utils nor
    # its SciPy import: only mds189_to_table imports data_utils, when it is called
    code = "import sys, keypoint_table; assert 'data_utils' not in sys.modules"
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_unlabelled_table_for_prediction(tmp_path):
    write_keypoint_table(tmp_path / "t.csv", _poses(2))
    X, labels, _ = read_keypoint_table(tmp_path / "t.csv", require_label=False)
    assert labels is None and X.shape == (2, 75)
    with pytest.raises(ValueError, match=r"t\.csv: no 'label' column"):
        read_keypoint_table(tmp_path / "t.csv")


def test_nan_coordinates_in_file_are_missing_joints(tmp_path):
    table = make_table(_poses(2), labels=["a", "b"])
    table.loc[1, "LWrist_x"] = np.nan
    table.to_csv(tmp_path / "t.csv", index=False)
    X, _, _ = read_keypoint_table(tmp_path / "t.csv")
    np.testing.assert_array_equal(X[1, 21:24], [0, 0, 0])
    assert X[0, 23] > 0


def test_a_bad_cell_is_reported_at_its_line_of_the_csv_file(tmp_path):
    table = make_table(_poses(4), labels=["a", "b", "c", "d"]).astype({"Neck_c": object})
    table.loc[2, "Neck_c"] = "high"
    table.to_csv(tmp_path / "t.csv", index=False)
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert [i + 1 for i, line in enumerate(lines) if ",high," in line] == [4]
    with pytest.raises(ValueError, match="t.csv: line 4, data row 2, column 'Neck_c': 'high'"):
        read_keypoint_table(tmp_path / "t.csv")


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such keypoint table: .*nope.csv"):
        read_keypoint_table(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="empty.csv: the file is empty"):
        read_keypoint_table(tmp_path / "empty.csv")
    (tmp_path / "header.csv").write_text("label," + ",".join(KEYPOINT_COLUMNS) + "\n")
    with pytest.raises(ValueError, match="header but no rows"):
        read_keypoint_table(tmp_path / "header.csv")
    table = make_table(_poses(2), labels=["a", "b"])
    with pytest.raises(ValueError, match="missing keypoint columns LWrist_c"):
        split_table(table.drop(columns="LWrist_c"), source="mine.csv")
    bad = table.astype({"RKnee_y": object})
    bad.loc[1, "RKnee_y"] = "oops"
    with pytest.raises(ValueError,
                       match="mine.csv: line 3, data row 1, column 'RKnee_y': 'oops' is not a number"):
        split_table(bad, source="mine.csv")
    no_label = table.copy()
    no_label.loc[0, "label"] = None
    with pytest.raises(ValueError, match="line 2, data row 0 has no label"):
        split_table(no_label)
    no_subject = make_table(_poses(3), labels=["a", "b", "c"], subject=["s1", "s2", None])
    with pytest.raises(ValueError, match="line 4, data row 2 has no subject"):
        split_table(no_subject)
    with pytest.raises(ValueError, match=r"shape \(N, 75\)"):
        make_table(np.zeros((2, 74)))
    with pytest.raises(ValueError, match="'label' has 1 values for 2 poses"):
        make_table(np.zeros((2, 75)), labels=["a"])


def test_mds189_to_table(mds189_tiny, tmp_path):
    from data_utils import load_mds189
    from keypoint_table import mds189_to_table

    path = mds189_to_table(mds189_tiny, tmp_path / "mds.csv")
    X, labels, meta = read_keypoint_table(path)
    X_train, y_train, X_val, y_val, g_train, g_val = load_mds189(mds189_tiny, return_groups=True)
    assert len(X) == len(X_train) + len(X_val)
    assert set(labels) <= {"reach", "squat", "inline", "lunge", "hamstrings", "stretch", "deadbug", "pushup"}
    assert "subject" in meta.columns
    assert pd.Series(meta["subject"]).nunique() >= 2
    # row for row the loader's poses, movement names and subject ids (text, leading zeros kept)
    np.testing.assert_array_equal(X, np.concatenate([X_train, X_val]))
    assert list(labels) == [MOVEMENTS[i] for i in np.concatenate([y_train, y_val])]
    assert list(meta["subject"]) == list(np.concatenate([g_train, g_val]))
    aligned, _, _ = read_keypoint_table(mds189_to_table(mds189_tiny, tmp_path / "a.csv", aligned=True))
    np.testing.assert_array_equal(aligned[: len(X_train)], load_mds189(mds189_tiny, debug=True)[0])
