"""Tests of the command line: train, predict and convert round trips, exit codes and error lines."""
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from keypoint_fixtures import synthetic_poses, write_synthetic_table

from keypoint_table import KEYPOINT_COLUMNS, read_keypoint_table
from mds189_cli import main
from skeletons import COCO17

FAST = ["--hidden", "24", "--epochs", "6", "--batch-size", "16", "--lr", "5e-3"]


def _error_line(capsys, argv):
    """Run main(argv), expect exit status 1, return the single stderr line."""
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err and "\n" not in err
    return err


def test_train_then_predict_round_trip(tmp_path, capsys):
    table = write_synthetic_table(tmp_path / "poses.csv", subjects=5, frames=3)
    run = tmp_path / "run"
    assert main(["train-keypoints", "--table", table, "--skeleton", "body25", "--out", str(run), *FAST]) == 0
    out = capsys.readouterr().out
    assert "summary: validation accuracy (by subject" in out and "MLPClassifier" in out
    comparison = pd.read_csv(run / "comparison.csv")
    assert list(comparison["model"]) == ["NumPy FullyConnectedNet", "MLPClassifier", "LogisticRegression"]

    X, labels, meta = read_keypoint_table(table)
    unlabelled = tmp_path / "new.csv"
    pd.read_csv(table).drop(columns=["label", "subject"]).to_csv(unlabelled, index=False)
    assert main(["predict-keypoints", "--model", str(run / "model.pkl"), "--table", str(unlabelled),
                 "--out", str(tmp_path / "labels.csv")]) == 0
    predicted = pd.read_csv(tmp_path / "labels.csv")
    assert list(predicted.columns) == ["row", "sequence", "frame", "label", "confidence"]
    assert list(predicted["row"]) == list(range(len(X)))  # one label per row, in order
    pd.testing.assert_frame_equal(predicted[["sequence", "frame"]], meta[["sequence", "frame"]])
    assert np.mean(predicted["label"].to_numpy() == labels) > 0.9


def test_predict_names_each_pose_s_source_even_when_rows_are_empty_or_frames_missing(tmp_path, capsys):
    table = write_synthetic_table(tmp_path / "poses.csv", subjects=4, frames=2)
    run = tmp_path / "run"
    assert main(["train-keypoints", "--table", table, "--skeleton", "body25", "--out", str(run),
                 "--no-baselines", *FAST]) == 0
    source = pd.read_csv(table, dtype={"subject": str})
    source.loc[3, list(KEYPOINT_COLUMNS)] = np.nan  # an empty row keeps its line
    source.to_csv(tmp_path / "all.csv", index=False)
    assert main(["predict-keypoints", "--model", str(run / "model.pkl"), "--table", str(tmp_path / "all.csv"),
                 "--out", str(tmp_path / "all_labels.csv")]) == 0
    predicted = pd.read_csv(tmp_path / "all_labels.csv", dtype={"subject": str})
    assert list(predicted.columns) == ["row", "subject", "sequence", "frame", "label", "confidence"]
    pd.testing.assert_frame_equal(predicted[["subject", "sequence", "frame"]],
                                  source[["subject", "sequence", "frame"]])
    # OpenPose JSON: each line names its file; a frame without a person has no line
    folder = tmp_path / "op"
    folder.mkdir()
    X, _, _ = read_keypoint_table(table)
    for k, people in enumerate([[X[0]], [], [X[5], X[6]]]):
        (folder / f"clip_{12 * k:012d}_keypoints.json").write_text(json.dumps(
            {"people": [{"pose_keypoints_2d": list(pose)} for pose in people]}))
    with pytest.warns(UserWarning, match="1 of 3 frames show no person"):
        assert main(["predict-keypoints", "--model", str(run / "model.pkl"), "--table", str(folder),
                     "--out", str(tmp_path / "op_labels.csv")]) == 0
    predicted = pd.read_csv(tmp_path / "op_labels.csv")
    assert list(predicted.columns) == ["file", "sequence", "frame", "label", "confidence"]
    assert list(predicted["file"]) == ["clip_000000000000_keypoints.json", "clip_000000000024_keypoints.json"]
    assert list(predicted["frame"]) == [0, 24]


def test_convert_writes_the_mds189_key_frames_as_a_keypoint_table(mds189_tiny, tmp_path, capsys):
    from data_utils import load_mds189

    for aligned in (False, True):
        out = tmp_path / f"mds_{aligned}.csv"
        assert main(["convert", "--mds189", str(mds189_tiny), *(["--aligned"] * aligned), str(out)]) == 0
        X, labels, meta = read_keypoint_table(out)
        X_train, _, X_val, y_val, _, g_val = load_mds189(mds189_tiny, debug=aligned, return_groups=True)
        np.testing.assert_array_equal(X, np.concatenate([X_train, X_val]))
        assert list(meta["subject"][-len(g_val):]) == list(g_val) and labels[-1] == "pushup"
    assert "gt_pose_align" in capsys.readouterr().out
    for argv, message in [
        (["--mds189", str(mds189_tiny), "--skeleton", "coco17", "o.csv"], "replaces INPUT, --skeleton"),
        (["--mds189", str(mds189_tiny), "in.csv", "o.csv"], "--mds189 replaces INPUT"),
        (["o.csv"], "convert needs INPUT and --skeleton"),
        (["--skeleton", "coco17", "--aligned", "in.csv", "o.csv"], "--aligned goes with --mds189"),
    ]:
        assert message in _error_line(capsys, ["convert", *argv])


def test_train_on_coco17_table(tmp_path, capsys):
    X, labels, subject, _, _ = synthetic_poses(subjects=4, frames=3)
    data = {"label": labels, "subject": subject}
    for k, joint in enumerate(COCO17):
        data[f"{joint}_x"], data[f"{joint}_y"], data[f"{joint}_v"] = X[:, 3 * k], X[:, 3 * k + 1], 2
    pd.DataFrame(data).to_csv(tmp_path / "coco.csv", index=False)
    assert main(["train-keypoints", "--table", str(tmp_path / "coco.csv"), "--skeleton", "coco17",
                 "--out", str(tmp_path / "run"), "--no-baselines", *FAST]) == 0
    assert "skeleton coco17" in (tmp_path / "run" / "log.txt").read_text()
    assert len(pd.read_csv(tmp_path / "run" / "comparison.csv")) == 1

    # BODY_25 poses for this COCO-17 model: the feet it never saw must not change a prediction
    body25 = pd.DataFrame(X, columns=KEYPOINT_COLUMNS)
    feet = [c for c in KEYPOINT_COLUMNS if c.split("_")[0] in ("LBigToe", "LSmallToe", "LHeel", "RBigToe",
                                                                "RSmallToe", "RHeel")]
    body25[feet] = 0.0
    body25.to_csv(tmp_path / "plain.csv", index=False)
    body25[feet] = np.random.default_rng(0).uniform(-5, 5, (len(X), len(feet))) + 1
    body25.to_csv(tmp_path / "feet.csv", index=False)
    for name in ("plain", "feet"):
        assert main(["predict-keypoints", "--model", str(tmp_path / "run" / "model.pkl"), "--table",
                     str(tmp_path / f"{name}.csv"), "--skeleton", "body25",
                     "--out", str(tmp_path / f"{name}_labels.csv")]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "plain_labels.csv"),
                                  pd.read_csv(tmp_path / "feet_labels.csv"))


def test_convert_writes_a_keypoint_table(tmp_path, capsys):
    data = {"label": ["squat"], "frame": [3]}
    for k, joint in enumerate(COCO17):
        data[f"{joint}_x"], data[f"{joint}_y"], data[f"{joint}_c"] = [float(k)], [2.0 * k], [0.5]
    pd.DataFrame(data).to_csv(tmp_path / "coco.csv", index=False)
    out = str(tmp_path / "b25.csv.gz")
    assert main(["convert", "--skeleton", "coco17", str(tmp_path / "coco.csv"), out]) == 0
    X, labels, meta = read_keypoint_table(tmp_path / "b25.csv.gz")
    np.testing.assert_array_equal(X[0, 21:24], [9, 18, 0.5])  # left_wrist -> LWrist
    assert list(labels) == ["squat"] and list(meta["frame"]) == [3]


def test_bad_input_exits_non_zero_with_one_line(tmp_path, capsys):
    missing = str(tmp_path / "missing.csv")
    line = _error_line(capsys, ["train-keypoints", "--table", missing, "--skeleton", "body25",
                                "--out", str(tmp_path / "r")])
    assert line.startswith("mds189_cli train-keypoints: error: no such keypoint table:")
    assert "missing.csv" in line
    line = _error_line(capsys, ["train-keypoints", "--table", missing, "--out", str(tmp_path / "r")])
    assert "--table needs --skeleton" in line
    line = _error_line(capsys, ["train-keypoints", "--table", missing, "--skeleton", "body25", "--aligned",
                                "--out", str(tmp_path / "r")])
    assert "--aligned goes with --mds189" in line
    line = _error_line(capsys, ["train-keypoints", "--mds189", missing, "--skeleton", "coco17",
                                "--out", str(tmp_path / "r")])
    assert "--skeleton and --label go with --table" in line
    line = _error_line(capsys, ["train-keypoints", "--table", missing, "--skeleton", "body25",
                                "--pseudo-clips", "-3", "--out", str(tmp_path / "r")])
    assert "--pseudo-clips must be 0 (off) or a number of rows, got -3" in line
    line = _error_line(capsys, ["train-keypoints", "--mds189", missing, "--val-fraction", "0.25",
                                "--out", str(tmp_path / "r")])
    assert "--val-fraction goes with --table (MDS189 has a fixed course split by subject)" in line
    table = write_synthetic_table(tmp_path / "poses.csv", subjects=2, frames=1)
    line = _error_line(capsys, ["train-keypoints", "--table", table, "--skeleton", "coco17",
                                "--out", str(tmp_path / "r")])
    assert "missing columns left_eye_x, left_eye_y" in line and "poses.csv" in line
    line = _error_line(capsys, ["train-keypoints", "--table", table, "--skeleton", "body25",
                                "--val-fraction", "0.6", "--out", str(tmp_path / "r")])
    assert "--val-fraction must be in (0, 0.5], got 0.6" in line
    pd.read_csv(table).drop(columns="label").to_csv(tmp_path / "nolabel.csv", index=False)
    line = _error_line(capsys, ["train-keypoints", "--table", str(tmp_path / "nolabel.csv"), "--skeleton",
                                "body25", "--out", str(tmp_path / "r")])
    assert "nolabel.csv: no 'label' column" in line
    (tmp_path / "model.pkl").write_text("junk")
    line = _error_line(capsys, ["predict-keypoints", "--model", str(tmp_path / "model.pkl"), "--table", table,
                                "--out", str(tmp_path / "labels.csv")])
    assert line == (f"mds189_cli predict-keypoints: error: {tmp_path / 'model.pkl'}: not a keypoint model "
                    "saved by train-keypoints (model.pkl in its run folder)")
    assert not (tmp_path / "labels.csv").exists()


def test_a_pytorch_checkpoint_given_as_model_gets_a_plain_line(tmp_path, capsys):
    """torch.save writes a zip archive; unpickling it fails with pickle's two-line persistent-id jargon."""
    import zipfile

    checkpoint = tmp_path / "checkpoint_best.pt"
    with zipfile.ZipFile(checkpoint, "w") as archive:
        archive.writestr("checkpoint_best/data.pkl", b"\x80\x02}q\x00.")
    line = _error_line(capsys, ["predict-keypoints", "--model", str(checkpoint), "--table", "t.csv",
                                "--out", str(tmp_path / "labels.csv")])
    assert line == (f"mds189_cli predict-keypoints: error: {checkpoint}: not a keypoint model saved by "
                    "train-keypoints (model.pkl in its run folder); this is a zip archive, as PyTorch "
                    "checkpoints are")


NUMBERS = ["--table", "no_such_table.csv", "--skeleton", "body25"]


@pytest.mark.parametrize("options, message", [
    (["--lr", "-1", "--no-baselines"], "--lr must be > 0, got -1"),
    (["--lr", "0"], "--lr must be > 0, got 0"),
    (["--lr=-1e-3"], "--lr must be > 0, got -0.001"),
    (["--lr", "inf"], "--lr must be a finite number > 0, got inf"),
    (["--lr", "nan"], "--lr must be a finite number > 0, got nan"),
    (["--lr-decay", "0"], "--lr-decay must be > 0 (1: no decay), got 0"),
    (["--lr-decay", "-0.5"], "--lr-decay must be > 0 (1: no decay), got -0.5"),
    (["--reg=-1e-4"], "--reg must be >= 0, got -0.0001"),
    (["--weight-scale", "0"], "--weight-scale must be > 0, got 0"),
    (["--epochs", "-1"], "--epochs must be at least 1, got -1"),
    (["--epochs", "0"], "--epochs must be at least 1, got 0"),
    (["--batch-size", "0"], "--batch-size must be at least 1, got 0"),
    (["--hidden", "0"], "--hidden sizes must be at least 1, got 0"),
    (["--hidden", "24", "-3"], "--hidden sizes must be at least 1, got 24 -3"),
    (["--pseudo-clips", "-3"], "--pseudo-clips must be 0 (off) or a number of rows, got -3"),
    (["--val-fraction", "0"], "--val-fraction must be in (0, 0.5], got 0"),
    (["--seed", "-1"], "--seed must be in [0, 2**32 - 1], got -1"),
    (["--seed", str(2**32)], "--seed must be in [0, 2**32 - 1], got 4294967296"),
])
def test_bad_numbers_give_one_line_naming_the_option_before_any_data_are_read(tmp_path, capsys, options,
                                                                               message):
    # the table does not exist: reading it first would report that instead
    line = _error_line(capsys, ["train-keypoints", *NUMBERS, "--out", str(tmp_path / "r"), *options])
    assert line == f"mds189_cli train-keypoints: error: {message}"
    assert not (tmp_path / "r").exists()


def test_values_at_the_limits_are_accepted(tmp_path, capsys):
    table = write_synthetic_table(tmp_path / "poses.csv", subjects=4, frames=1)
    assert main(["train-keypoints", "--table", table, "--skeleton", "body25", "--out", str(tmp_path / "r"),
                 "--no-baselines", "--hidden", "1", "--epochs", "1", "--batch-size", "1", "--reg", "0",
                 "--lr-decay", "1", "--val-fraction", "0.5", "--seed", str(2**32 - 1)]) == 0


@pytest.mark.parametrize("argv, message", [
    (["convert", "--skeleton", "coco18", "a.csv", "b.csv"], "invalid choice: 'coco18'"),
    (["train-keypoints", "--mds189", "x", "--out", "r", "--epochs", "abc"], "invalid int value: 'abc'"),
    (["train-keypoints", "--out", "r"], "one of the arguments --table --mds189 is required"),
])
def test_argparse_rejects_unparseable_arguments(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_help_gives_every_option_a_text_and_its_default(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "2000")  # no wrapping inside a help text
    with pytest.raises(SystemExit) as exit_info:
        main(["train-keypoints", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for expected in (
        "--hidden SIZE [SIZE ...] hidden layer sizes, each at least 1 (default: 160 40) --update-rule",
        "update rule of the NumPy net (optim.py); MLPClassifier always uses Adam (default: adam) --lr",
        "--lr LR learning rate, > 0 (default: 0.002) --lr-decay",
        "--epochs EPOCHS training epochs of each net, at least 1 (each keeps its best validation epoch) "
        "(default: 40) --batch-size",
        "minibatch size, at least 1 (default: 64) --reg",
        "standard deviation of the NumPy net's initial weights, > 0 (default: 0.05) --val-fraction",
        "--aligned MDS189: train on gt_pose_align, not gt_pose --out",  # a flag: no '(default: False)'
    ):
        assert expected in text, expected
    for option in ("--mds189", "--pseudo-clips", "--no-baselines"):
        assert option in text
    with pytest.raises(SystemExit):
        main(["convert", "--help"])
    assert "--mds189 ROOT" in capsys.readouterr().out


def test_every_option_of_every_command_has_help_naming_its_default():
    import argparse

    from mds189_cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert set(commands) == {"train-keypoints", "predict-keypoints", "convert"}
    for name, command in commands.items():
        formatter = command._get_formatter()
        for action in command._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, (name, action.dest)
            shown = formatter._get_help_string(action)
            if action.default not in (None, False):  # None: the help says what happens without it
                assert "%(default)" in shown or "(default:" in shown, (name, action.dest)


def test_a_broken_mds189_root_gives_one_line_naming_the_file(mds189_tiny, tmp_path, capsys):
    root = tmp_path / "copy"
    shutil.copytree(mds189_tiny / "trainval", root / "trainval", ignore=shutil.ignore_patterns("*.jpg"))
    path = root / "trainval/001/labels/squat.json"
    data = json.loads(path.read_text())
    data["gt_pose"]["left"].pop()         # two problems in one file: the error lists both
    data["gt_pose"]["right"][2] = 5
    path.write_text(json.dumps(data))
    line = _error_line(capsys, ["train-keypoints", "--mds189", str(root), "--out", str(tmp_path / "r")])
    assert line == (f"mds189_cli train-keypoints: error: {path}: gt_pose.left: expected a list of 75 "
                    "numbers, got 74 (and 1 more problem(s))")
    line = _error_line(capsys, ["convert", "--skeleton", "coco17", str(tmp_path / "none.csv"),
                                str(tmp_path / "out.csv")])
    assert line.startswith("mds189_cli convert: error: no such keypoint table:")
