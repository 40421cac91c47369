"""Checkpoint pieces that the end-to-end runs of test_cnn_train.py do not isolate: the scaler state,
every process's random states and the settings --resume takes from a checkpoint."""

import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from problem4.checkpoints import (
    CHANGEABLE_ARGS,
    SAVED_ARGS,
    load_scaler_state,
    resolve_args,
    restore_rng,
    rng_state,
)
from problem4.distributed import DistInfo
from problem4.runtime import set_seed
from problem4.train import get_args_parser


def test_scaler_state_round_trip_disabled_to_enabled():
    disabled = torch.amp.GradScaler("cpu", enabled=False).state_dict()  # what a CPU run saves: {}
    fresh = load_scaler_state(torch.amp.GradScaler("cpu", init_scale=512.0), disabled)
    assert fresh.is_enabled() and fresh.get_scale() == 512.0
    saved = torch.amp.GradScaler("cpu", init_scale=1024.0).state_dict()
    assert load_scaler_state(torch.amp.GradScaler("cpu"), saved).get_scale() == 1024.0
    assert not load_scaler_state(torch.amp.GradScaler("cpu", enabled=False), saved).is_enabled()


def test_random_states_per_rank(capsys):
    cpu = torch.device("cpu")
    gen = torch.Generator()
    saved = {"world_size": 2, "ranks": []}
    for rank in range(2):
        set_seed(100 + rank)
        gen.manual_seed(10 + rank)
        saved["ranks"].append(rng_state(gen, cpu))
    args = SimpleNamespace(seed=0, resume="ckpt.pt")

    def draws():
        loader = torch.rand(2, generator=gen).tolist()
        return torch.rand(2).tolist(), float(np.random.rand()), random.random(), loader

    for rank in range(2):  # same world size: each rank continues from its own state
        restore_rng(saved, gen, cpu, DistInfo(rank, 2), args, epoch=3)
        got = draws()
        set_seed(100 + rank)
        gen.manual_seed(10 + rank)
        assert got == draws()
    assert capsys.readouterr().err == ""
    derived = []
    for rank in range(3):  # another world size: derived from --seed, rank and epoch
        restore_rng(saved, gen, cpu, DistInfo(rank, 3), args, epoch=3)
        derived.append(draws())
    assert len({str(d) for d in derived}) == 3
    restore_rng(saved, gen, cpu, DistInfo(1, 3), args, epoch=3)
    assert draws() == derived[1]
    assert "holds the random states of 2 process(es), this run has 3" in capsys.readouterr().err


# What save_checkpoint records of a run's settings: the top-level entries and every argument as a string
RUN = {"epochs": 15, "batch_size": 32, "max_samples": 200, "seed": 5, "val_interval": 100, "log_interval": 20}
CKPT = {
    "frames": "video",
    "model_name": "baseline",
    "image_size": 48,
    "args": {k: str(v) for k, v in {**SAVED_ARGS, **RUN, "frames": "video", "model": "baseline"}.items()},
}


def parse(*argv):
    return get_args_parser().parse_args(["--data-root", "x", "--resume", "c.pt", *argv])


def test_every_saved_setting_has_no_parser_default_and_a_new_run_gets_the_defaults():
    parser = get_args_parser()
    assert all(parser.get_default(name) is None for name in SAVED_ARGS)  # left out can be told from given
    fresh = resolve_args(get_args_parser().parse_args(["--data-root", "x"]), None)
    assert {name: getattr(fresh, name) for name in SAVED_ARGS} == SAVED_ARGS
    given = resolve_args(get_args_parser().parse_args(["--data-root", "x", "--epochs", "3"]), None)
    assert given.epochs == 3


def test_resume_takes_every_setting_left_out_from_the_checkpoint():
    args = resolve_args(parse(), CKPT)
    assert {name: getattr(args, name) for name in RUN} == RUN  # not the defaults 10, 64, 0, 0, 0, 10
    assert (args.frames, args.model, args.image_size) == ("video", "baseline", 48)


def test_resume_refuses_other_trajectory_settings_in_one_message():
    same = resolve_args(parse("--batch-size", "32", "--max-samples", "200", "--seed", "5"), CKPT)
    assert (same.batch_size, same.max_samples, same.seed) == (32, 200, 5)
    with pytest.raises(ValueError) as err:
        resolve_args(parse("--batch-size", "64", "--max-samples", "0", "--val-interval", "0"), CKPT)
    message = str(err.value)
    assert "\n" not in message and "--val-interval" not in message  # free to change
    for part in (
        "--batch-size 64 (the checkpoint's is 32)",
        "--max-samples 0 (the checkpoint's is 200)",
    ):
        assert part in message
    with pytest.raises(ValueError, match=r"--seed 6 \(the checkpoint's is 5\)"):
        resolve_args(parse("--seed", "6"), CKPT)
    with pytest.raises(ValueError, match=r"--weight-decay 0.1 \(the checkpoint's is 0.0001\)"):
        resolve_args(parse("--weight-decay", "0.1"), CKPT)


def test_resume_lets_epochs_and_the_log_and_validation_intervals_change():
    assert set(CHANGEABLE_ARGS) == {"epochs", "log_interval", "val_interval"}
    args = resolve_args(parse("--epochs", "20", "--log-interval", "1", "--val-interval", "3"), CKPT)
    assert (args.epochs, args.log_interval, args.val_interval, args.batch_size) == (20, 1, 3, 32)


def test_eval_only_uses_the_settings_given_and_the_checkpoints_for_the_rest():
    args = resolve_args(parse("--eval-only", "--batch-size", "8", "--max-samples", "0"), CKPT)
    assert (args.batch_size, args.max_samples, args.seed) == (8, 0, 5)
    with pytest.raises(ValueError, match="--model deep"):
        resolve_args(parse("--eval-only", "--model", "deep"), CKPT)


def test_a_checkpoint_without_a_setting_gives_the_default_or_the_value_given():
    old = {**CKPT, "args": {k: v for k, v in CKPT["args"].items() if k != "val_interval"}}
    assert resolve_args(parse(), old).val_interval == SAVED_ARGS["val_interval"]
    assert resolve_args(parse("--val-interval", "7"), old).val_interval == 7
