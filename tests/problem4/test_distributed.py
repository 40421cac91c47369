import json
import os
import subprocess
import sys
from pathlib import Path

import ddp_train_loss
import pytest
import torch

from problem4 import train
from problem4.checkpoints import load_checkpoint
from problem4.distributed import DistInfo, ShardSampler, all_sum, gather_by_index

REPO = Path(__file__).resolve().parents[2]


def _torchrun(script, *args):
    """Run ``script`` (relative to the repository) with ``args`` under torchrun with 2 CPU processes of one
    thread each; returns the CompletedProcess after checking its exit status."""
    done = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", script, *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.parametrize("n", [0, 1, 5, 6])
def test_shard_sampler_gives_each_index_once_without_padding(n):
    shards = [list(ShardSampler(n, DistInfo(rank, 2))) for rank in range(2)]
    assert sorted(shards[0] + shards[1]) == list(range(n))
    assert [len(ShardSampler(n, DistInfo(rank, 2))) for rank in range(2)] == [len(s) for s in shards]


def test_single_process_gather_restores_dataset_order_and_checks_coverage():
    indices = torch.tensor([2, 0, 1])
    values, labels = gather_by_index(
        indices, [torch.tensor([20.0, 0.0, 10.0]), torch.tensor([2, 0, 1])], 3, DistInfo()
    )
    assert values.tolist() == [0.0, 10.0, 20.0] and labels.tolist() == [0, 1, 2]
    with pytest.raises(RuntimeError, match="expected each of 4 exactly once"):
        gather_by_index(indices, [labels], 4, DistInfo())
    assert all_sum([1.5, 2.0], DistInfo()) == [1.5, 2.0]


@pytest.mark.slow
def test_torchrun_two_cpu_processes_match_a_single_process(tiny_root, tmp_path):
    out = tmp_path / "ddp"
    common = [
        "--data-root",
        str(tiny_root),
        "--image-size",
        "32",
        "--batch-size",
        "8",
        "--log-interval",
        "1",
        "--seed",
        "3",
        "--predict",
    ]
    _torchrun("problem4/train.py", *common, "--epochs", "2", "--val-interval", "2", "--output-dir", str(out))
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "accuracy.csv",
            "accuracy.md",
            "checkpoint_best.pt",
            "checkpoint_last.pt",
            "confusion_matrix.png",
            "errors.png",
            "log.csv",
            "loss_curves.png",
            "metrics.json",
            "norm_stats.json",
            "submission.csv",
        ]
    )
    ddp = json.loads((out / "metrics.json").read_text())
    assert ddp["processes"] == 2 and ddp["val_images"] == 13
    # 39 training frames over 2 processes: 19 each (one left out, none padded), full batches of 8 -> 2 steps
    log = (out / "log.csv").read_text().splitlines()
    assert sum(",train," in line for line in log) == 4
    assert ddp["train_seconds"] > 0 and ddp["train_images_per_s"] > 0
    ckpt = load_checkpoint(out / "checkpoint_last.pt")
    assert ckpt["rng"]["world_size"] == 2 and len(ckpt["rng"]["ranks"]) == 2  # one random state per rank
    assert not torch.equal(ckpt["rng"]["ranks"][0]["torch"], ckpt["rng"]["ranks"][1]["torch"])

    single = train.main(
        train.get_args_parser().parse_args(
            [
                *common,
                "--eval-only",
                "--resume",
                str(out / "checkpoint_best.pt"),
                "--output-dir",
                str(tmp_path / "one"),
            ]
        )
    )
    assert single["processes"] == 1
    assert single["val_accuracy"] == ddp["val_accuracy"]
    assert single["val_loss"] == pytest.approx(ddp["val_loss"], rel=1e-5)
    assert (tmp_path / "one/submission.csv").read_text() == (out / "submission.csv").read_text()
    assert (tmp_path / "one/accuracy.csv").read_text() == (out / "accuracy.csv").read_text()


@pytest.mark.slow
def test_torchrun_train_loss_is_the_mean_over_all_processes_images(tmp_path):
    """The logged training loss of 2 processes is the single-process definition: the sum of the per-image
    losses of the row's steps over both ranks divided by their number (not rank 0's mean); the last
    partial window of the epoch is logged too."""
    _torchrun("tests/problem4/ddp_train_loss.py", str(tmp_path / "out.json"))
    got = json.loads((tmp_path / "out.json").read_text())
    # 26 items: 13 per rank; full batches of 4 -> 3 steps, 12 images per rank, 24 in all
    assert got["steps"] == 3 and got["seen"] == 24
    assert [row["step"] for row in got["log"]] == [2, 3]
    data, model = ddp_train_loss.data_and_model()
    x, y = data.tensors
    with torch.no_grad():
        per_image = torch.nn.functional.cross_entropy(model(x), y, reduction="none").double()
    for row, (lo, hi) in zip(got["log"], [(0, 8), (8, 12)], strict=True):
        items = [i for rank in got["indices"] for i in rank[lo:hi]]
        assert len(items) == 2 * (hi - lo)
        assert row["loss"] == pytest.approx(per_image[items].mean().item(), rel=1e-6)
        rank0 = per_image[got["indices"][0][lo:hi]].mean().item()
        assert row["loss"] != pytest.approx(rank0, rel=1e-6)  # the test can tell the two apart
