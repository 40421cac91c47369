"""End-to-end runs of problem4/train.py on the hand-made tiny sample (a few seconds each)."""

import pandas as pd
import pytest

from problem4 import train


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
