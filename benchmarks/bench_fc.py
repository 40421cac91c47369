"""Training throughput of Solver + FullyConnectedNet beside PyTorch and a fused NumPy loop.

A keypoint-sized problem: 75 inputs (a BODY_25 pose), hidden layers [160, 40], 8 classes, SGD with
classical momentum 0.9, on synthetic data. For each dtype (float32, float64) and batch size (32, 256)
three trainers run the same network, update rule and number of examples, in one process:
- solver: Solver + FullyConnectedNet, timed over train() (per-epoch permutations; includes the
  Solver's accuracy checks before training and after each epoch, on EVAL_SIZE training and
  validation examples so that they cost about 1% or less: the other two evaluate nothing). The
  Solver validates the training set once, when it is constructed (outside the timing, like the
  other trainers' setup), and then trains through FullyConnectedNet.loss_unchecked, which skips the
  per-batch checks of FullyConnectedNet.loss; the layers, optim.sgd_momentum and the Solver's
  bookkeeping run as in any other use;
- fused:  a minimal NumPy loop with every layer and the update written inline, updating the
  parameters in place (the reference for the cost of the modular design);
- torch:  torch.nn.Sequential + torch.optim.SGD on the CPU.
Every trainer is warmed up, then the three run --repeats rounds, one after the other in each round.
The examples/s columns are each trainer's fastest run. A ratio (> 1: the first is faster) is the
median over the rounds of the ratio within a round: the runs of a round follow each other within a
fraction of a second, so they see much the same load from other processes, and the median shrugs
off the rounds that a burst of load hit unevenly.

    python benchmarks/bench_fc.py            # about 12 s on an idle machine (longer under load)
    python benchmarks/bench_fc.py --out runs/bench_fc   # also writes runs/bench_fc.csv and .md

NumPy's BLAS and torch get --threads threads each (default 1, set with threadpoolctl and
torch.set_num_threads; the header line states them). With their default pools, torch and OpenBLAS
spin-wait for worker threads, which on a small machine that other jobs also load swamps these small
matrices (torch at batch 32 falls 10-40x). With one thread, a run is timed by the CPU time of this
process (time.process_time), so time spent waiting for a core that other jobs hold does not count;
with more threads, by the wall clock.
"""
import argparse
import time

import numpy as np
import pandas as pd
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from fc_net import FullyConnectedNet
from reports import print_table
from solver import Solver

INPUT_DIM, HIDDEN_DIMS, NUM_CLASSES = 75, [160, 40], 8
LEARNING_RATE, MOMENTUM, WEIGHT_SCALE = 1e-2, 0.9, 0.1
EVAL_SIZE = 8


def make_data(num_train, seed=0):
    """Gaussian clusters around one random centre per class: X (num_train, 75) float64, y (num_train,)."""
    rng = np.random.RandomState(seed)
    centers = rng.randn(NUM_CLASSES, INPUT_DIM)
    y = rng.randint(NUM_CLASSES, size=num_train)
    return centers[y] + rng.randn(num_train, INPUT_DIM), y


def minibatches(permutation, num_train, batch_size, epochs):
    """Yield the index arrays of `epochs` passes over a fresh permutation, as the Solver draws them."""
    for _ in range(epochs):
        order = permutation(num_train)
        for first in range(0, num_train // batch_size * batch_size, batch_size):
            yield order[first:first + batch_size]


def run_solver(X, y, batch_size, dtype, epochs, clock):
    """Train Solver + FullyConnectedNet; return the seconds (by clock) spent in train()."""
    model = FullyConnectedNet(HIDDEN_DIMS, input_dim=INPUT_DIM, num_classes=NUM_CLASSES,
                              weight_scale=WEIGHT_SCALE, dtype=dtype, seed=0)
    data = {"X_train": X, "y_train": y, "X_val": X[:EVAL_SIZE], "y_val": y[:EVAL_SIZE]}
    solver = Solver(model, data, update_rule="sgd_momentum",
                    optim_config={"learning_rate": LEARNING_RATE, "momentum": MOMENTUM},
                    batch_size=batch_size, num_epochs=epochs, num_train_samples=EVAL_SIZE,
                    verbose=False, seed=0)
    start = clock()
    solver.train()
    return clock() - start


def run_fused(X, y, batch_size, dtype, epochs, clock):
    """Train the same network with every step written inline in NumPy; return the seconds spent."""
    rng = np.random.RandomState(0)
    X = X.astype(dtype)
    dims = [INPUT_DIM, *HIDDEN_DIMS, NUM_CLASSES]
    W1, W2, W3 = (
        (WEIGHT_SCALE * rng.randn(a, b)).astype(dtype) for a, b in zip(dims, dims[1:], strict=False))
    b1, b2, b3 = (np.zeros(b, dtype=dtype) for b in dims[1:])
    params = [W1, b1, W2, b2, W3, b3]
    velocities = [np.zeros_like(p) for p in params]
    rows = np.arange(batch_size)
    start = clock()
    for batch in minibatches(rng.permutation, X.shape[0], batch_size, epochs):
        xb, yb = X[batch], y[batch]
        h1 = xb @ W1
        h1 += b1
        np.maximum(h1, 0, out=h1)
        h2 = h1 @ W2
        h2 += b2
        np.maximum(h2, 0, out=h2)
        scores = h2 @ W3
        scores += b3
        scores -= scores.max(axis=1, keepdims=True)
        correct = scores[rows, yb]
        np.exp(scores, out=scores)
        sums = scores.sum(axis=1, keepdims=True)
        float(np.log(sums).sum() - correct.sum()) / batch_size  # the loss, as the Solver records it
        scores /= sums
        scores[rows, yb] -= 1
        scores /= batch_size
        dh2 = scores @ W3.T
        dh2 *= h2 > 0
        dh1 = dh2 @ W2.T
        dh1 *= h1 > 0
        grads = [xb.T @ dh1, dh1.sum(axis=0), h1.T @ dh2, dh2.sum(axis=0),
                 h2.T @ scores, scores.sum(axis=0)]
        for p, g, v in zip(params, grads, velocities, strict=True):
            v *= MOMENTUM
            v -= LEARNING_RATE * g
            p += v
    return clock() - start


def run_torch(X, y, batch_size, dtype, epochs, clock):
    """Train the same network with torch.nn and torch.optim.SGD on the CPU; return the seconds spent."""
    torch.manual_seed(0)
    torch_dtype = torch.float32 if dtype == np.float32 else torch.float64
    layers = [torch.nn.Linear(INPUT_DIM, HIDDEN_DIMS[0]), torch.nn.ReLU(),
              torch.nn.Linear(HIDDEN_DIMS[0], HIDDEN_DIMS[1]), torch.nn.ReLU(),
              torch.nn.Linear(HIDDEN_DIMS[1], NUM_CLASSES)]
    model = torch.nn.Sequential(*layers).to(torch_dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    X_t, y_t = torch.from_numpy(X.astype(dtype)), torch.from_numpy(y).long()
    start = clock()
    for batch in minibatches(torch.randperm, X.shape[0], batch_size, epochs):
        loss = torch.nn.functional.cross_entropy(model(X_t[batch]), y_t[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        loss.item()  # the Solver records every loss as a Python float
    return clock() - start


def get_args_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-size", type=int, default=8192, help="training examples (default 8192)")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per timed run (default 1)")
    parser.add_argument("--repeats", type=int, default=11, help="rounds of timed runs (default 11)")
    parser.add_argument("--threads", type=int, default=1, help="threads for NumPy's BLAS and for torch "
                                                               "(default 1)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 256], help="default 32 256")
    parser.add_argument("--out", metavar="STEM", help="also write the table to STEM.csv and STEM.md")
    return parser


def main(args):
    if args.repeats < 1 or args.threads < 1:
        raise SystemExit("bench_fc.py: --repeats and --threads must be >= 1")
    threadpool_limits(args.threads)
    torch.set_num_threads(args.threads)
    clock = time.process_time if args.threads == 1 else time.perf_counter
    X, y = make_data(args.train_size)
    trainers = {"solver": run_solver, "fused": run_fused, "torch": run_torch}
    blas = ", ".join(f"{pool['internal_api']} {pool['num_threads']}" for pool in threadpool_info())
    print(f"numpy {np.__version__}, torch {torch.__version__}; threads: NumPy BLAS ({blas}), torch "
          f"{torch.get_num_threads()}; clock: {clock.__name__}; {args.train_size} examples x {args.epochs} "
          f"epochs, {args.repeats} rounds")
    rows = []
    for dtype in (np.float32, np.float64):
        for batch_size in args.batch_sizes:
            examples = args.epochs * (args.train_size // batch_size) * batch_size
            for run in trainers.values():
                run(X[:batch_size * 2], y[:batch_size * 2], batch_size, dtype, 1, clock)  # warm-up
            rates = pd.DataFrame([{name: examples / run(X, y, batch_size, dtype, args.epochs, clock)
                                   for name, run in trainers.items()} for _ in range(args.repeats)])
            rows.append({"dtype": np.dtype(dtype).name, "batch": batch_size,
                         **{f"{name} ex/s": round(rate) for name, rate in rates.max().items()},
                         **{f"{a}/{b}": (rates[a] / rates[b]).median()
                            for a, b in [("solver", "fused"), ("solver", "torch"), ("fused", "torch")]}})
    table = pd.DataFrame(rows)
    print_table(table, args.out)


if __name__ == "__main__":
    main(get_args_parser().parse_args())
