"""Tests of the keypoint trainer: leak-free splits, clip ids, features, an end-to-end run, the model file."""
import pickle
import re

import numpy as np
import pandas as pd
import pytest
from keypoint_fixtures import synthetic_poses

from keypoint_table import clean_keypoints
from keypoint_trainer import (
    Poses,
    TrainConfig,
    class_names_of,
    load_mds189_poses,
    load_model,
    pose_features,
    poses_from_arrays,
    predict,
    pseudo_clip_ids,
    run_training,
    split_poses,
)


def _poses(subject=True, sequence=True, **kwargs):
    X, labels, subj, seq, frame = synthetic_poses(**kwargs)
    meta = pd.DataFrame({"subject": subj, "sequence": seq, "frame": frame})
    keep = {"subject": subject, "sequence": sequence, "frame": True}
    meta = meta.loc[:, [c for c in meta.columns if keep[c]]]
    return poses_from_arrays(X, labels, meta, "body25")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_subject_split_never_puts_a_person_on_both_sides(seed):
    poses = _poses(subjects=8)
    train, val, clips, how = split_poses(poses, val_fraction=0.25, seed=seed)
    assert not set(poses.subject[train]) & set(poses.subject[val])
    assert len(train) + len(val) == len(poses.y) and not set(train) & set(val)
    assert how.startswith("by subject") and clips is not None
    assert set(poses.y[val]) == set(poses.y)  # stratified: every class is validated


def test_sequence_split_when_there_is_no_subject():
    poses = _poses(subject=False, subjects=3)
    train, val, _, how = split_poses(poses, seed=3)
    assert how.startswith("by sequence")
    assert not set(poses.sequence[train]) & set(poses.sequence[val])


def test_pseudo_clips_and_random_split_without_groups():
    poses = _poses(subject=False, sequence=False, subjects=4, clips=1, frames=6)
    clips = pseudo_clip_ids(poses.y, 6)
    assert len(set(clips)) == 12
    train, val, clip_ids, how = split_poses(poses, seed=0, pseudo_clips=6)
    assert how.startswith("by pseudo-clip of 6 rows")
    assert not set(clip_ids[train]) & set(clip_ids[val])
    with pytest.warns(UserWarning, match="no subject or sequence column: splitting frames at random"):
        train, val, clip_ids, how = split_poses(poses, seed=0)
    assert clip_ids is None and len(val) == 18 and "may leak" in how


def test_split_needs_two_groups_and_a_fraction_up_to_one_half():
    poses = _poses(subjects=1)
    with pytest.raises(ValueError, match="cannot split 1 group"):
        split_poses(poses)
    for bad in (0, -0.1, 0.6, 1):
        with pytest.raises(ValueError, match=rf"validation fraction must lie in \(0, 0.5\], got {bad}"):
            split_poses(poses, val_fraction=bad)


@pytest.mark.parametrize(("val_fraction", "val_subjects"), [(0.25, 3), (0.3, 4), (0.5, 6)])
def test_group_split_holds_out_one_fold_of_round_1_over_fraction(val_fraction, val_subjects):
    poses = _poses(subjects=12, clips=1, frames=1)  # 12 subjects: 1/4, 1/3 and 1/2 of them
    _, val, _, how = split_poses(poses, val_fraction=val_fraction, seed=0)
    assert len(set(poses.subject[val])) == val_subjects and f"{val_subjects} validation groups" in how


def test_clip_ids_keep_the_subject_when_sequence_names_repeat_across_people():
    X, labels, subject, _, frame = synthetic_poses(subjects=4, clips=1, frames=3)
    meta = pd.DataFrame({"subject": subject, "sequence": "take1", "frame": frame})  # every person's take1
    _, val, clips, _ = split_poses(poses_from_arrays(X, labels, meta, "body25"), seed=0)
    assert clips[0] == f"{subject[0]}|take1|{labels[0]}"
    # one clip per (person, label): 4 * 3, not 3 merged across people
    assert len(set(clips)) == 12
    assert len(set(clips[val])) == len(set(zip(subject[val], labels[val], strict=True)))
    no_subject = _poses(subject=False, subjects=2)
    assert split_poses(no_subject, seed=0)[2][0] == f"{no_subject.sequence[0]}|reach"


def test_pseudo_clip_ids_follow_row_order_within_each_class():
    y = np.array([0, 1, 0, 0, 1, 0, 0])
    assert list(pseudo_clip_ids(y, 2)) == ["0:0", "1:0", "0:0", "0:1", "1:0", "0:1", "0:2"]


def test_class_names_keep_the_movement_order_else_sort():
    assert class_names_of(["pushup", "reach", "squat", "reach"]) == ["reach", "squat", "pushup"]
    assert class_names_of(["T", "Plank", "Squat"]) == ["Plank", "Squat", "T"]
    with pytest.raises(ValueError, match="at least 2 classes"):
        poses_from_arrays(np.zeros((2, 75)), np.array(["a", "a"]), pd.DataFrame(index=range(2)), "body25")


def test_pose_features_are_standardised_and_survive_empty_poses():
    X, *_ = synthetic_poses(subjects=2)
    X[0, 2::3] = 0     # no joint visible
    X[1, 5::3] = 0     # only the nose: one joint, no scale
    X[3, 2::3] = 0     # two joints 1e-10 apart: distinct, but no usable scale (data_utils.has_body)
    X[3, :6] = [5.0, 5.0, 1.0, 5.0, 5.0 + 1e-10, 1.0]
    F, mean, std = pose_features(X)
    np.testing.assert_allclose(F.mean(axis=0), 0, atol=1e-9)
    assert F.shape == (len(X), 75) and np.isfinite(F).all()
    np.testing.assert_allclose(F[0], -mean / std)  # zero features before standardisation
    np.testing.assert_allclose(F[3], -mean / std)
    # Position and scale of a pose do not matter; the statistics are reused, not refitted.
    moved = X[2:3].copy()
    moved[:, 0::3], moved[:, 1::3] = 3 * moved[:, 0::3] + 50, 3 * moved[:, 1::3] - 20
    np.testing.assert_allclose(pose_features(moved, mean, std)[0], F[2:3], atol=1e-9)


def test_run_training_end_to_end(tmp_path):
    poses = _poses(subjects=6, frames=4)
    config = TrainConfig(hidden=(32,), epochs=8, batch_size=16, lr=5e-3, seed=0)
    result = run_training(poses, tmp_path / "run", config, source="synthetic")
    rows = {row["model"]: row for row in result["comparison"]}
    assert list(rows) == ["NumPy FullyConnectedNet", "MLPClassifier", "LogisticRegression"]
    for row in rows.values():
        assert row["val_acc"] > 0.9 and row["val_sequence_acc"] > 0.9  # separable classes
    run = tmp_path / "run"
    for name in ("log.txt", "curves.png", "confusion_matrix_numpy_fc.png", "confusion_matrix_mlp.png",
                 "confusion_matrix_logreg.png", "model.pkl", "comparison.csv", "comparison.md",
                 "per_class_val_accuracy.csv", "per_class_val_accuracy.md", "per_sequence_val.csv"):
        assert (run / name).stat().st_size > 0, name
    log = (run / "log.txt").read_text()
    assert "split: by subject" in log and "(Epoch 8 / 8)" in log
    assert "selection: val_acc is each net's best validation epoch" in log
    comparison = pd.read_csv(run / "comparison.csv")
    for row in comparison.iloc[:2].itertuples():  # the two nets say which epoch they keep, and the rule
        assert (f"{row.model}: best validation epoch {int(row.epoch)} of 8 (the earliest of equal ones), "
                f"val_acc {row.val_acc:.4f}") in log
    assert list(comparison["selection"]) == ["best validation epoch"] * 2 + ["fit to convergence"]
    assert {"val_acc_last_epoch", "epoch", "train_acc", "val_sequence_acc"} <= set(comparison.columns)
    assert (comparison["val_acc"] >= comparison["val_acc_last_epoch"]).all()
    # per-class accuracy of all three models side by side, matching their overall accuracy
    per_class = pd.read_csv(run / "per_class_val_accuracy.csv")
    assert list(per_class.columns) == ["class", "n", *rows]
    assert list(per_class["class"]) == ["reach", "squat", "lunge", "overall"]
    np.testing.assert_allclose(per_class.iloc[-1, 2:], comparison["val_acc"])
    votes = pd.read_csv(run / "per_sequence_val.csv")
    assert list(votes.columns) == ["clip", "label", "frames", *(f"{name} vote" for name in rows)]
    assert (votes["label"] == votes["NumPy FullyConnectedNet vote"]).mean() == pytest.approx(
        rows["NumPy FullyConnectedNet"]["val_sequence_acc"])
    # The saved model labels poses as the run evaluated them.
    saved = load_model(run / "model.pkl")
    train, val, _, _ = split_poses(poses, config.val_fraction, config.seed)
    labels, confidence = predict(saved, poses.X[val])
    accuracy = np.mean(np.array(labels) == np.array(poses.class_names)[poses.y[val]])
    assert accuracy == pytest.approx(rows["NumPy FullyConnectedNet"]["val_acc"])
    assert np.all((confidence > 0) & (confidence <= 1))
    assert saved["architecture"]["hidden_dims"] == [32] and saved["architecture"]["input_dim"] == 75


def test_predict_cleans_raw_keypoints_itself(tmp_path):
    poses = _poses(subjects=4, frames=3)
    config = TrainConfig(hidden=(16,), epochs=2, batch_size=8, baselines=False)
    saved = load_model(run_training(poses, tmp_path / "run", config)["paths"]["model"])
    raw = poses.X[:6].copy()
    raw[0, 21:23] = np.nan          # LWrist x, y unknown (c stays 1)
    raw[1, 2::3] = 0.0              # nobody there
    raw[2, 3:5] = np.inf            # Neck at infinity
    raw[3, 5::3] = np.nan           # only the nose left, all other confidences NaN
    raw[4, 2::3] = 2.0              # COCO-style visibility flags
    labels, confidence = predict(saved, raw)
    expected = predict(saved, clean_keypoints(raw))
    assert labels == expected[0] and np.isfinite(confidence).all()
    np.testing.assert_array_equal(confidence, expected[1])


def test_same_seed_same_run(tmp_path):
    poses = _poses(subjects=4, frames=3)
    config = TrainConfig(hidden=(16,), epochs=3, batch_size=8, seed=5, baselines=False)
    saved = [load_model(run_training(poses, tmp_path / f"r{i}", config)["paths"]["model"]) for i in range(2)]
    for key in saved[0]["params"]:
        np.testing.assert_array_equal(saved[0]["params"][key], saved[1]["params"][key])
    assert saved[0]["architecture"] == saved[1]["architecture"]


WANTED = "not a keypoint model saved by train-keypoints (model.pkl in its run folder)"


@pytest.mark.parametrize("content, why", [
    (b"not a pickle", ""),                      # pickle: "invalid load key, 'n'."
    (b"", "; the file is empty"),               # pickle: "Ran out of input"
    (b"PK\x03\x04 and the rest of a zip", "; this is a zip archive, as PyTorch checkpoints are"),
    (pickle.dumps({"format": "something else"}), ""),
    (pickle.dumps([1, 2, 3]), ""),
    (b"\x80\x04cno_such_module_xyz\nThing\n.", None),  # a pickle of a class from a missing module
])
def test_load_model_says_what_the_file_should_be_in_one_plain_line(tmp_path, content, why):
    path = tmp_path / "model.pkl"
    path.write_bytes(content)
    with pytest.raises(ValueError) as err:
        load_model(path)
    message = str(err.value)
    assert "\n" not in message and message.count("(") == message.count(")")
    if why is None:
        assert message == (f"{path}: cannot be loaded: it needs the module 'no_such_module_xyz', which this "
                           "Python lacks (saved with other library versions, or not a keypoint model)")
    else:
        assert message == f"{path}: {WANTED}{why}"


def test_load_model_names_a_folder_and_a_missing_file(tmp_path):
    with pytest.raises(ValueError) as err:
        load_model(tmp_path)
    assert str(err.value) == f"{tmp_path}: {WANTED}; this is a folder"
    with pytest.raises(FileNotFoundError, match="no such model file"):
        load_model(tmp_path / "none.pkl")


@pytest.mark.parametrize("field, value, message", [
    ("lr", -1.0, "lr must be > 0, got -1"),
    ("lr", float("inf"), "lr must be a finite number > 0, got inf"),
    ("lr", "0.1", "lr must be a number > 0, got '0.1'"),
    ("lr_decay", 0.0, "lr_decay must be > 0 (1: no decay), got 0"),
    ("reg", -1e-4, "reg must be >= 0, got -0.0001"),
    ("weight_scale", 0, "weight_scale must be > 0, got 0"),
    ("epochs", 0, "epochs must be at least 1, got 0"),
    ("epochs", 2.5, "epochs must be an integer at least 1, got 2.5"),
    ("epochs", True, "epochs must be an integer at least 1, got True"),
    ("batch_size", -8, "batch_size must be at least 1, got -8"),
    ("hidden", (16, 0), "hidden sizes must be at least 1, got 16 0"),
    ("hidden", 16, "hidden must be a list of layer sizes, got 16"),
    ("val_fraction", 0.75, "val_fraction must be in (0, 0.5], got 0.75"),
    ("pseudo_clips", -1, "pseudo_clips must be 0 (off) or a number of rows, got -1"),
    ("seed", -1, "seed must be in [0, 2**32 - 1], got -1"),
    ("update_rule", "adagrad", "update_rule must be one of sgd, sgd_momentum, rmsprop, adam, got 'adagrad'"),
])
def test_train_config_refuses_values_training_cannot_use(field, value, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        TrainConfig(**{field: value})


def test_train_config_accepts_the_limits():
    TrainConfig(hidden=(1,), lr=1e-12, lr_decay=1.5, epochs=1, batch_size=1, reg=0, weight_scale=1e-9,
                val_fraction=0.5, pseudo_clips=0, seed=2**32 - 1, update_rule="sgd")
    TrainConfig(epochs=np.int64(3), lr=np.float32(1e-3))  # NumPy numbers are numbers


def test_mds189_course_split(mds189_tiny):
    from data_utils import load_mds189

    poses = load_mds189_poses(mds189_tiny)
    train, val, clips, how = split_poses(poses)
    assert isinstance(poses, Poses) and clips is None and how.startswith("MDS189 course split")
    assert not set(poses.subject[train]) & set(poses.subject[val])
    X_train, y_train, X_val, y_val = load_mds189(mds189_tiny)
    np.testing.assert_array_equal(poses.X[val], X_val)
    np.testing.assert_array_equal(poses.y[train], y_train)
    assert poses.class_names[0] == "reach" and len(poses.class_names) == 8
