"""Run under torchrun by test_distributed.py: the training loss that train_one_epoch logs with 2 processes.

    torchrun --standalone --nproc_per_node=2 tests/problem4/ddp_train_loss.py OUT.json

A linear model on seeded random data, learning rate 0 (the weights stay put): rank 0 writes the logged rows
and every rank's sampled indices, from which the test recomputes the single-process definition.
"""

import json
import sys
from types import SimpleNamespace

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import TensorDataset

from problem4 import distributed, train
from problem4.loaders import train_loader

ARGS = SimpleNamespace(seed=0, batch_size=4, num_workers=0, log_interval=2, val_interval=0, epochs=1)


def data_and_model():
    torch.manual_seed(0)
    x, y = torch.randn(26, 6), torch.arange(26) % 3
    return TensorDataset(x, y), torch.nn.Linear(6, 3)


def main(out):
    info = distributed.init_distributed("cpu")
    try:
        data, model = data_and_model()
        loader, sampler = train_loader(data, ARGS, info, torch.Generator().manual_seed(0), False)
        ddp = DistributedDataParallel(model)
        optimizer = torch.optim.SGD(ddp.parameters(), lr=0.0)
        scheduler = train.build_scheduler(SimpleNamespace(lr_scheduler="none", lr=0.0), optimizer, 3)
        scaler = torch.amp.GradScaler("cpu", enabled=False)
        state = {"step": 0, "log": [], "amp": False}
        sampler.set_epoch(0)
        seen = train.train_one_epoch(
            ddp, optimizer, scheduler, scaler, loader, torch.device("cpu"), 0, state, ARGS, info, None
        )
        indices = distributed.all_gather_object(list(sampler), info)
        seen = distributed.all_sum([seen], info)[0]
        if info.is_main:
            with open(out, "w") as f:
                json.dump({"log": state["log"], "indices": indices, "seen": seen, "steps": len(loader)}, f)
    finally:
        distributed.cleanup()


if __name__ == "__main__":
    main(sys.argv[1])
