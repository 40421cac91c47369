"""Checkpoint pieces that the end-to-end runs of test_cnn_train.py do not isolate: the scaler state and
every process's random states."""

import random
from types import SimpleNamespace

import numpy as np
import torch

from problem4.checkpoints import load_scaler_state, restore_rng, rng_state
from problem4.distributed import DistInfo
from problem4.runtime import set_seed


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
