"""End-to-end runs of problem4/train.py on the hand-made tiny sample (a few seconds each)."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mds189_constants import MOVEMENTS
from problem4 import compare, train

REPO = Path(__file__).resolve().parents[2]


def parse(root, out, *extra):
    return train.get_args_parser().parse_args(
        [
            "--data-root",
            str(root),
            "--output-dir",
            str(out),
            "--image-size",
            "32",
            "--batch-size",
            "16",
            "--epochs",
            "2",
            "--log-interval",
            "1",
            "--val-interval",
            "2",
            "--seed",
            "7",
            *extra,
        ]
    )


@pytest.fixture(scope="module")
def full_run(tiny_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("full")
    metrics = train.main(parse(tiny_root, out, "--predict"))
    return out, metrics


def test_run_folder_holds_every_output(full_run, tiny_root):
    out, metrics = full_run
    for name in (
        "log.csv",
        "loss_curves.png",
        "accuracy.csv",
        "accuracy.md",
        "confusion_matrix.png",
        "errors.png",
        "checkpoint_best.pt",
        "checkpoint_last.pt",
        "norm_stats.json",
        "metrics.json",
        "submission.csv",
    ):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "accuracy.csv")
    assert list(table["class"])[-1] == "overall" and len(table) == 9
    assert table["n"].iloc[-1] == metrics["val_images"] == 13
    assert table["accuracy"].iloc[-1] == pytest.approx(metrics["val_accuracy"])
    submission = pd.read_csv(out / "submission.csv")
    fmt = pd.read_csv(tiny_root / "kaggle_submission_format.csv")
    assert list(submission.columns) == ["Id", "Category"] and list(submission["Id"]) == list(fmt["Id"])
    log = pd.read_csv(out / "log.csv")
    assert list(log.columns) == train.LOG_COLUMNS
    steps_per_epoch = 3  # 39 training key frames, batches of 16
    assert list(log[log.split == "train"]["step"]) == list(range(1, 2 * steps_per_epoch + 1))
    assert list(log[log.split == "val"]["step"]) == [2, 3, 4, 6]  # every 2 steps and at each epoch end


def test_resume_after_a_kill_continues_with_identical_losses(full_run, tiny_root, tmp_path, monkeypatch):
    out, metrics = full_run
    real = train.train_one_epoch

    def killed_in_epoch_2(*args, **kwargs):
        if args[6] == 1:  # epoch index
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(train, "train_one_epoch", killed_in_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        train.main(parse(tiny_root, tmp_path, "--predict"))
    monkeypatch.setattr(train, "train_one_epoch", real)
    resumed = train.main(
        parse(tiny_root, tmp_path, "--predict", "--resume", str(tmp_path / "checkpoint_last.pt"))
    )
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "log.csv"), pd.read_csv(out / "log.csv"))
    assert resumed["val_accuracy"] == metrics["val_accuracy"] and resumed["val_loss"] == metrics["val_loss"]
    assert (tmp_path / "submission.csv").read_text() == (out / "submission.csv").read_text()


def test_eval_only_gives_identical_numbers_twice(full_run, tiny_root, tmp_path):
    out, metrics = full_run
    results = []
    for k in range(2):
        args = parse(
            tiny_root,
            tmp_path / f"eval{k}",
            "--eval-only",
            "--resume",
            str(out / "checkpoint_best.pt"),
            "--model",
            "baseline",
            "--image-size",
            "64",
        )  # model and size come from the checkpoint
        results.append(train.main(args))
    assert results[0]["val_loss"] == results[1]["val_loss"] == metrics["val_loss"]
    assert results[0]["val_accuracy"] == results[1]["val_accuracy"] == metrics["val_accuracy"]
    assert (tmp_path / "eval0/accuracy.csv").read_text() == (out / "accuracy.csv").read_text()


def test_bad_arguments(tiny_root, tmp_path):
    with pytest.raises(ValueError, match="--eval-only needs --resume"):
        train.main(parse(tiny_root, tmp_path, "--eval-only"))
    with pytest.raises(FileNotFoundError, match="submission format file not found"):
        train.main(parse(tiny_root, tmp_path, "--predict", "--submission-format", str(tmp_path / "nope.csv")))
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        train.main(parse(tiny_root, tmp_path, "--resume", str(tmp_path / "nope.pt")))


def test_compare_puts_runs_beside_baselines(full_run, tiny_root, tmp_path):
    out, _ = full_run
    compare.main([str(out), "--data-root", str(tiny_root), "--out", str(tmp_path)])
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert list(table.columns) == compare.COLUMNS
    assert list(table["model"]) == [
        "key-frame model (deep)",
        "majority class (reach)",  # a tie of 6 training frames per movement: the first class wins
        "logistic regression on 16x8 grey thumbnails",
    ]
    assert table.loc[1, MOVEMENTS].tolist() == [1.0] + [0.0] * 7 and table.loc[1, "overall"] == 2 / 16
    assert table.loc[2, "overall"] > 0.8  # the tiny sample's movement is a bar's height: thumbnails see it
    own = pd.read_csv(tmp_path / "comparison_own_val.csv")
    accuracy = pd.read_csv(out / "accuracy.csv").set_index("class")["accuracy"]
    assert own.loc[0, [*MOVEMENTS, "overall"]].tolist() == pytest.approx(accuracy.tolist(), nan_ok=True)
    plain = tmp_path / "plain"
    compare.main([str(out), "--data-root", str(tiny_root), "--out", str(plain), "--no-baselines"])
    assert len(pd.read_csv(plain / "comparison.csv")) == 1


@pytest.mark.parametrize("argv, message", [
    (["problem4/train.py", "--data-root", "{missing}", "--output-dir", "{tmp}/run"],
     "No such file or directory"),
    (["-m", "problem4.compare", "{tmp}", "--data-root", "{root}", "--out", "{tmp}/cmp"],
     "checkpoint not found"),
])
def test_command_lines_report_bad_input_in_one_line(tiny_root, tmp_path, argv, message):
    fill = {"missing": tmp_path / "no_such_root", "tmp": tmp_path, "root": tiny_root}
    done = subprocess.run(
        [sys.executable, *(a.format(**fill) for a in argv)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0] and message in lines[0], done.stderr
