"""End-to-end runs of problem4/train.py on the hand-made tiny sample (a few seconds each)."""

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from cli_errors import report_errors
from mds189_constants import MOVEMENTS
from problem4 import compare, train
from problem4.checkpoints import load_checkpoint
from problem4.distributed import DistInfo
from problem4.mds189 import Mds189

REPO = Path(__file__).resolve().parents[2]
TEST_LIST = "videoframe_data_test.txt"


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


def bare_resume(root, out, checkpoint, *extra):
    """The arguments of `train.py --data-root ROOT --output-dir OUT --resume CHECKPOINT ...`: every
    setting of the run left out, to come from the checkpoint."""
    argv = ["--data-root", str(root), "--output-dir", str(out), "--resume", str(checkpoint), *extra]
    return train.get_args_parser().parse_args(argv)


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
    steps_per_epoch = 2  # 39 training key frames, full batches of 16 (7 left out each epoch)
    assert list(log[log.split == "train"]["step"]) == list(range(1, 2 * steps_per_epoch + 1))
    assert list(log[log.split == "val"]["step"]) == [2, 4]  # every 2 steps and at each epoch end, once each


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
    # only --resume: --epochs 2, --batch-size 16, --seed 7, the intervals and the image size come from the
    # checkpoint (the parser's defaults would train to epoch 10 with batches of 64)
    resumed = train.main(bare_resume(tiny_root, tmp_path, tmp_path / "checkpoint_last.pt", "--predict"))
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "log.csv"), pd.read_csv(out / "log.csv"))
    assert resumed["val_accuracy"] == metrics["val_accuracy"] and resumed["val_loss"] == metrics["val_loss"]
    assert (tmp_path / "submission.csv").read_text() == (out / "submission.csv").read_text()


def test_eval_only_gives_identical_numbers_twice(full_run, tiny_root, tmp_path):
    out, metrics = full_run
    results = []
    for k in range(2):
        best = str(out / "checkpoint_best.pt")
        args = parse(tiny_root, tmp_path / f"eval{k}", "--eval-only", "--resume", best)
        args.image_size = None  # left out: the model, frames and size come from the checkpoint
        results.append(train.main(args))
    assert results[0]["val_loss"] == results[1]["val_loss"] == metrics["val_loss"]
    assert results[0]["val_accuracy"] == results[1]["val_accuracy"] == metrics["val_accuracy"]
    assert (tmp_path / "eval0/accuracy.csv").read_text() == (out / "accuracy.csv").read_text()


def test_bad_arguments(tiny_root, tmp_path):
    with pytest.raises(ValueError, match="--image-size 24 is too small for --model deep .at least 30."):
        train.main(parse(tiny_root, tmp_path, "--image-size", "24"))
    with pytest.raises(ValueError, match="'foo' is not a device"):
        train.main(parse(tiny_root, tmp_path, "--device", "foo"))
    with pytest.raises(ValueError, match="--eval-only needs --resume"):
        train.main(parse(tiny_root, tmp_path, "--eval-only"))
    with pytest.raises(FileNotFoundError, match="submission format file not found"):
        train.main(parse(tiny_root, tmp_path, "--predict", "--submission-format", str(tmp_path / "nope.csv")))
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        train.main(parse(tiny_root, tmp_path, "--resume", str(tmp_path / "nope.pt")))


@pytest.fixture(scope="module")
def video_run(tiny_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("video")
    train.main(parse(tiny_root, out, "--frames", "video", "--epochs", "1", "--gallery-size", "0"))
    return out


def test_compare_gives_the_two_row_table_and_the_baselines_apart(full_run, video_run, tiny_root, tmp_path):
    out, _ = full_run
    compare.main([str(out), str(video_run), "--data-root", str(tiny_root), "--out", str(tmp_path)])
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert list(table.columns) == compare.COLUMNS
    assert list(table["model"]) == ["key-frame model (deep)", "video-frame model (deep)"]
    columns = [*MOVEMENTS, "overall"]
    video_own = pd.read_csv(video_run / "accuracy.csv")["accuracy"].tolist()
    assert table.loc[1, columns].tolist() == pytest.approx(video_own, nan_ok=True)  # the same frames
    own = pd.read_csv(tmp_path / "comparison_own_val.csv")  # evaluated, not read from accuracy.csv
    key_own = pd.read_csv(out / "accuracy.csv")["accuracy"].tolist()
    assert own.loc[0, columns].tolist() == pytest.approx(key_own, nan_ok=True)
    assert own.loc[1, columns].tolist() == pytest.approx(table.loc[1, columns].tolist(), nan_ok=True)
    baselines = pd.read_csv(tmp_path / "comparison_baselines.csv")
    assert list(baselines["model"]) == [
        "majority class (reach)",  # a tie of 6 training frames per movement: the first class wins
        "logistic regression on 16x8 grey thumbnails",
    ]
    assert baselines.loc[0, MOVEMENTS].tolist() == [1.0] + [0.0] * 7 and baselines.loc[0, "overall"] == 2 / 16
    assert baselines.loc[1, "overall"] > 0.8  # the movement is a bar's height: thumbnails see it
    plain = tmp_path / "plain"
    runs = [str(out), str(video_run), "--data-root", str(tiny_root)]
    compare.main([*runs, "--out", str(plain), "--no-baselines"])
    assert len(pd.read_csv(plain / "comparison.csv")) == 2
    assert not (plain / "comparison_baselines.csv").exists()
    with pytest.raises(ValueError, match="key-frame run first"):
        compare.main([str(video_run), str(out), "--data-root", str(tiny_root), "--out", str(plain)])


def test_compare_fits_the_baselines_on_a_capped_subset(full_run, video_run, tiny_root, tmp_path, monkeypatch):
    out, _ = full_run
    sizes = []
    real = compare.baseline_rows
    monkeypatch.setattr(compare, "baseline_rows", lambda t, v: sizes.append(len(t)) or real(t, v))
    compare.main([str(out), str(video_run), "--data-root", str(tiny_root), "--out", str(tmp_path),
                  "--baseline-samples", "20"])
    assert sizes == [20]  # of the 48 training video frames


def test_resume_with_more_epochs_into_a_new_folder(full_run, tiny_root, tmp_path):
    out, _ = full_run
    new = tmp_path / "longer"
    train.main(parse(tiny_root, new, "--epochs", "3", "--resume", str(out / "checkpoint_last.pt")))
    for name in ("checkpoint_best.pt", "checkpoint_last.pt", "log.csv", "metrics.json", "accuracy.csv"):
        assert (new / name).is_file(), name
    assert load_checkpoint(new / "checkpoint_last.pt")["epoch"] == 3
    log = pd.read_csv(new / "log.csv")
    first = pd.read_csv(out / "log.csv")
    pd.testing.assert_frame_equal(log[log.step <= 4].reset_index(drop=True), first)
    rows = log[log.split == "train"]
    assert list(rows.step) == list(range(1, 7))
    # the schedule is rebuilt for 3 epochs of 2 steps: after step k the rate is 1e-3 (1 + cos(pi k / 6)) / 2,
    # falling to 0 at the new end (the checkpoint's schedule had ended at step 4)
    resumed = rows[rows.step > 4]
    expected = [1e-3 * (1 + math.cos(math.pi * k / 6)) / 2 for k in resumed.step]
    assert resumed.lr.tolist() == pytest.approx(expected, abs=1e-12)
    assert resumed.lr.iloc[-1] == pytest.approx(0.0, abs=1e-12)


def test_resume_into_a_new_folder_keeps_the_best_weights(full_run, tiny_root, tmp_path, monkeypatch, capsys):
    out, metrics = full_run
    real = train.train_one_epoch
    monkeypatch.setattr(train, "train_one_epoch", lambda *a, **k: pytest.fail("a finished run trained on"))
    capsys.readouterr()
    nothing_left = train.main(
        bare_resume(tiny_root, tmp_path / "same", out / "checkpoint_last.pt")
    )  # a finished run, no --epochs: the checkpoint's 2, nothing to train, the best checkpoint is evaluated
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note:")]
    assert notes == [
        f"note: nothing to train: {out / 'checkpoint_last.pt'} is at epoch 2 of --epochs 2; its best weights "
        "are evaluated and reported (a larger --epochs extends the run)"
    ]
    monkeypatch.setattr(train, "train_one_epoch", real)
    assert nothing_left["val_loss"] == metrics["val_loss"] and nothing_left["train_seconds"] == 0
    assert load_checkpoint(tmp_path / "same/checkpoint_last.pt")["epoch"] == 2
    assert (tmp_path / "same/checkpoint_best.pt").is_file()
    assert (tmp_path / "same/checkpoint_last.pt").is_file()

    src = tmp_path / "src"
    src.mkdir()
    last = load_checkpoint(out / "checkpoint_last.pt")
    best = load_checkpoint(out / "checkpoint_best.pt")
    for ckpt in (last, best):  # a recorded best of epoch 1 that no resumed epoch can beat
        ckpt.update(best_accuracy=2.0, best_epoch=1)
    best["epoch"] = 1
    torch.save(last, src / "checkpoint_last.pt")
    torch.save(best, src / "checkpoint_best.pt")
    resumed = train.main(
        parse(tiny_root, tmp_path / "new", "--epochs", "3", "--resume", str(src / "checkpoint_last.pt"))
    )
    assert resumed["best_epoch"] == 1
    kept = load_checkpoint(tmp_path / "new/checkpoint_best.pt")["model"]
    assert all(torch.equal(kept[k], v) for k, v in best["model"].items())
    alone = train.main(
        parse(tiny_root, tmp_path / "eval", "--eval-only", "--resume", str(src / "checkpoint_best.pt"))
    )
    assert alone["val_loss"] == resumed["val_loss"]  # the final numbers are those of the kept weights

    (src / "checkpoint_best.pt").unlink()  # without it, the best resumed epoch is kept instead
    other = train.main(
        parse(tiny_root, tmp_path / "other", "--epochs", "3", "--resume", str(src / "checkpoint_last.pt"))
    )
    assert other["best_epoch"] == 3 and (tmp_path / "other/checkpoint_best.pt").is_file()


@pytest.mark.parametrize(
    "extra, named",
    [
        (["--optimizer", "sgd"], "--optimizer sgd"),
        (["--lr-scheduler", "none"], "--lr-scheduler none"),
        (["--frames", "video", "--model", "baseline"], "--frames video .*; --model baseline"),
        (["--image-size", "48"], "--image-size 48 .the checkpoint's is 32."),
        (["--lr", "0.01"], "--lr 0.01"),
        (["--weight-decay", "0"], r"--weight-decay 0.0 .the checkpoint's is 0.0001."),
        (
            ["--batch-size", "8", "--max-samples", "20"],
            r"--batch-size 8 .the checkpoint's is 16.; --max-samples 20 .the checkpoint's is 0.",
        ),
        (["--seed", "0"], r"--seed 0 .the checkpoint's is 7."),
    ],
)
def test_resume_rejects_changed_settings_before_any_work(full_run, tiny_root, tmp_path, extra, named):
    out, _ = full_run
    with pytest.raises(ValueError, match=named):
        train.main(parse(tiny_root, tmp_path / "run", "--resume", str(out / "checkpoint_last.pt"), *extra))
    assert not (tmp_path / "run").exists()


def test_checkpoints_are_written_best_first(tiny_root, tmp_path, monkeypatch):
    written = []
    real = train.save_checkpoint
    monkeypatch.setattr(
        train, "save_checkpoint", lambda path, *a: written.append(path.name) or real(path, *a)
    )
    train.main(parse(tiny_root, tmp_path, "--epochs", "1", "--gallery-size", "0"))
    assert written == ["checkpoint_best.pt", "checkpoint_last.pt"]  # epoch 1 is always the best so far


FILE_ORDER = r"Ids must be the test frame file names in file order \(8 rows\)"


@pytest.mark.parametrize(
    "rows, match",
    [
        ("id,label\n", r"fmt\.csv: header must be 'Id,Category', got id,label"),
        (
            "Id,Category\n" + "".join(f"{i:04d}.jpg,predicted_label\n" for i in reversed(range(8))),
            rf"fmt\.csv:2: {FILE_ORDER}; found '0007\.jpg' where 0000\.jpg belongs",
        ),
        (
            "Id,Category\n0000.jpg,predicted_label\n",
            rf"fmt\.csv: {FILE_ORDER}; it stops after 1 entries, before 0001\.jpg",
        ),
    ],
)
def test_submission_format_is_checked_before_training(tiny_root, tmp_path, monkeypatch, rows, match):
    bad = tmp_path / "fmt.csv"
    bad.write_text(rows)
    monkeypatch.setattr(
        train, "load_dataset", lambda *a, **k: pytest.fail("images read before the format check")
    )
    with pytest.raises(ValueError, match=match):
        train.main(parse(tiny_root, tmp_path / "run", "--predict", "--submission-format", str(bad)))


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--epochs", "0", "--epochs must be at least 1, got 0"),
        ("--batch-size", "0", "--batch-size must be at least 1, got 0"),
        ("--log-interval", "0", "--log-interval must be at least 1, got 0"),
        ("--val-interval", "-1", "--val-interval must be at least 0 (0: at each epoch end only), got -1"),
        ("--gallery-size", "-1", "--gallery-size must be at least 0 (0: no errors.png), got -1"),
        ("--max-samples", "-1", "--max-samples must be at least 0 (0: all images), got -1"),
        ("--num-workers", "-1", "--num-workers must be at least 0 (0: load in the main process), got -1"),
        ("--threads", "-1", "--threads must be at least 0 (0: all cores), got -1"),
        ("--seed", "-1", "--seed must be from 0 to 4294967295, got -1"),
        ("--seed", str(2**32), f"--seed must be from 0 to 4294967295, got {2**32}"),
    ],
)
def test_counts_out_of_range_stop_train_py_in_one_line_before_any_work(
    tiny_root, tmp_path, monkeypatch, capsys, option, value, message
):
    for name in ("load_checkpoint", "load_dataset", "Mds189"):
        monkeypatch.setattr(train, name, lambda *a, **k: pytest.fail("work started before the counts check"))
    monkeypatch.setattr(train.distributed, "init_distributed", lambda *a: pytest.fail("process group joined"))
    args = parse(tiny_root, tmp_path / "run", "--predict", "--resume", str(tmp_path / "c.pt"), option, value)
    assert report_errors("train.py", train.main, args) == 1
    assert capsys.readouterr().err.splitlines() == [f"train.py: error: {message}"]
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--batch-size", "0", "--batch-size must be at least 1, got 0"),
        ("--num-workers", "-1", "--num-workers must be at least 0 (0: load in the main process), got -1"),
        (
            "--baseline-samples",
            "-1",
            "--baseline-samples must be at least 0 (0: all training video frames), got -1",
        ),
        ("--seed", "-1", "--seed must be from 0 to 4294967295, got -1"),
    ],
)
def test_counts_out_of_range_stop_compare_in_one_line_before_any_work(
    tmp_path, monkeypatch, capsys, option, value, message
):
    monkeypatch.setattr(compare, "compare", lambda *a: pytest.fail("work started before the counts check"))
    argv = [str(tmp_path), str(tmp_path), "--data-root", str(tmp_path), "--out", str(tmp_path / "cmp")]
    assert report_errors("problem4.compare", compare.main, [*argv, option, value]) == 1
    assert capsys.readouterr().err.splitlines() == [f"problem4.compare: error: {message}"]
    assert not (tmp_path / "cmp").exists()


def test_counts_at_their_minimum_pass_the_check():
    args = train.get_args_parser().parse_args(["--data-root", "x"])
    for name, (low, _, _) in train.COUNTS.items():
        setattr(args, name, low)
    train.check_counts(args, train.COUNTS)
    args.seed = train.SEED_RANGE[1]
    train.check_counts(args, train.COUNTS)


def test_train_loss_rows_cover_every_step_with_per_image_means():
    torch.manual_seed(0)
    x, y = torch.randn(10, 4), torch.arange(10) % 3
    model = torch.nn.Linear(4, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # the weights stay put
    scheduler = train.build_scheduler(SimpleNamespace(lr_scheduler="none", lr=0.0), optimizer, 4)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    loader = DataLoader(TensorDataset(x, y), batch_size=3)  # batches of 3, 3, 3 and 1
    state = {"step": 0, "log": [], "amp": False}
    args = SimpleNamespace(log_interval=2, val_interval=0, epochs=1)
    seen = train.train_one_epoch(
        model, optimizer, scheduler, scaler, loader, torch.device("cpu"), 0, state, args, DistInfo(), None
    )
    assert seen == 10 and [row["step"] for row in state["log"]] == [2, 4]  # step 4: the epoch's last window
    with torch.no_grad():  # the definition: sum over the row's steps of mean batch loss * batch size / images
        batch = [F.cross_entropy(model(xb), yb).item() * len(yb) for xb, yb in loader]
    assert state["log"][0]["loss"] == (batch[0] + batch[1]) / 6
    assert state["log"][1]["loss"] == (batch[2] + batch[3]) / 4


@pytest.mark.parametrize("argv, message", [
    (["problem4/train.py", "--data-root", "{missing}", "--output-dir", "{tmp}/run"],
     "keyframe_data_val.txt"),
    (["-m", "problem4.compare", "{tmp}", "{tmp}", "--data-root", "{root}", "--out", "{tmp}/cmp"],
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


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_device_cuda_without_cuda_is_one_line_and_exit_status_1(tiny_root, tmp_path, capsys):
    """What ``python problem4/train.py --device cuda`` does on a CPU machine (the __main__ wiring of
    report_errors is covered by the subprocess test above)."""
    args = train.get_args_parser().parse_args(
        ["--data-root", str(tiny_root), "--device", "cuda", "--output-dir", str(tmp_path / "run")]
    )
    assert report_errors("train.py", train.main, args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("train.py: error: --device cuda, but PyTorch sees no CUDA device")


def corrupt_copy(tiny_root, tmp_path):
    """A copy of the tiny data set whose 4th test frame is truncated to half its bytes."""
    root = tmp_path / "data"
    shutil.copytree(tiny_root, root)
    image = root / "test_kaggle_frames" / "0003.jpg"
    image.write_bytes(image.read_bytes()[: image.stat().st_size // 2])
    return root


@pytest.mark.parametrize("cache", ["--cache", "--no-cache"])
def test_predict_finds_a_bad_test_image_before_training(tiny_root, tmp_path, monkeypatch, cache):
    root = corrupt_copy(tiny_root, tmp_path)
    monkeypatch.setattr(train, "train_one_epoch", lambda *a, **k: pytest.fail("trained before the check"))
    with pytest.raises(OSError) as err:
        train.main(parse(root, tmp_path / "run", "--predict", cache))
    message = str(err.value)
    assert "\n" not in message and "cannot read image" in message and "0003.jpg" in message
    assert "videoframe_data_test.txt:4" in message  # the list line


def test_predict_decodes_the_test_frames_once_before_training_and_leaves_training_alone(
    video_run, tiny_root, tmp_path, monkeypatch
):
    events, decoded = [], {}
    real_cache, real_epoch, real_predict = Mds189.cache_images, train.train_one_epoch, train.predict

    def cache_images(self, *a, **k):
        events.append(f"decode {self.label_file.name}")
        decoded[self.label_file.name] = self
        return real_cache(self, *a, **k)

    def train_one_epoch(*a, **k):
        events.append("train")
        return real_epoch(*a, **k)

    def predict(model, loader, *a, **k):
        events.append(f"predict {'the decoded' if loader.dataset is decoded.get(TEST_LIST) else 'another'}")
        return real_predict(model, loader, *a, **k)

    monkeypatch.setattr(Mds189, "cache_images", cache_images)
    monkeypatch.setattr(train, "train_one_epoch", train_one_epoch)
    monkeypatch.setattr(train, "predict", predict)
    out = tmp_path / "run"
    train.main(
        parse(tiny_root, out, "--frames", "video", "--epochs", "1", "--gallery-size", "0", "--predict")
    )
    assert events == [
        f"decode {TEST_LIST}",
        "decode videoframe_data_val.txt",
        "decode videoframe_data_train.txt",
        "train",
        "predict the decoded",
    ]
    # the same run as video_run without --predict: decoding the test frames drew no random number
    pd.testing.assert_frame_equal(pd.read_csv(out / "log.csv"), pd.read_csv(video_run / "log.csv"))
    assert len(pd.read_csv(out / "submission.csv")) == 8


def test_cache_hits_and_validation_frequency_leave_training_unchanged(tiny_root, tmp_path):
    """Decoding (a cache miss, a hit, or no cache) and validating draw no random number of the training's:
    the training-loss rows are the same whichever happens."""
    cache = tmp_path / "cache"

    def train_rows(name, *extra):
        out = tmp_path / name
        train.main(parse(tiny_root, out, "--epochs", "1", "--gallery-size", "0", *extra))
        log = pd.read_csv(out / "log.csv")
        return log[log["split"] == "train"].reset_index(drop=True)

    miss = train_rows("miss", "--cache-dir", str(cache), "--val-interval", "0")
    hit = train_rows("hit", "--cache-dir", str(cache), "--val-interval", "1")
    uncached = train_rows("uncached", "--no-cache", "--val-interval", "2")
    pd.testing.assert_frame_equal(hit, miss)
    pd.testing.assert_frame_equal(uncached, miss)
