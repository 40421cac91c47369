import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from problem4 import train
from problem4.distributed import DistInfo, ShardSampler, all_sum, gather_by_index

REPO = Path(__file__).resolve().parents[2]


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
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node=2",
            "problem4/train.py",
            *common,
            "--epochs",
            "2",
            "--val-interval",
            "2",
            "--output-dir",
            str(out),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
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
    # 39 training frames over 2 processes: 20 each (one padded), batches of 8 -> 3 steps per epoch
    log = (out / "log.csv").read_text().splitlines()
    assert sum(",train," in line for line in log) == 6

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
