"""Speed of the NumPy convolution and max-pool layers beside torch.nn.functional on the CPU.

For each shape, one forward and one backward pass (float32) of:
- fast:  layers.conv_forward_fast + conv_backward_fast (im2col and matrix products);
- torch: torch.nn.functional.conv2d + autograd backward, with torch's default thread count;
- naive: layers.conv_forward_naive + conv_backward_naive (explicit loops), on the small shapes only.
The same for max pooling (max_pool_*_fast / _naive against F.max_pool2d). The implementations take
turns: each of --rounds rounds times every one of them (the fastest of --repeats runs), so a ratio
compares measurements taken moments apart; the table gives the median time and the median of the
per-round ratios, which a busy machine disturbs far less than single timings. Ratios are times:
fast/torch > 1 means the NumPy layer is slower (the target for conv is <= 2); naive/fast is how much the
vectorisation gains.

    python benchmarks/bench_conv.py            # about a minute
    python benchmarks/bench_conv.py --threads 1 --out runs/bench_conv   # also writes .csv and .md
"""
import argparse
import time

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

from layers import (
    conv_backward_fast,
    conv_backward_naive,
    conv_forward_fast,
    conv_forward_naive,
    max_pool_backward_fast,
    max_pool_backward_naive,
    max_pool_forward_fast,
    max_pool_forward_naive,
)
from reports import print_table

# (N, C, H, W, F, HH, WW, stride, pad); the first one is small enough for the naive layer.
CONV_SHAPES = [
    (4, 3, 16, 16, 8, 3, 3, 1, 1),
    (32, 3, 64, 64, 16, 3, 3, 1, 1),
    (32, 16, 64, 64, 32, 3, 3, 1, 1),
    (32, 32, 64, 64, 32, 3, 3, 1, 1),
    (32, 32, 32, 32, 64, 3, 3, 1, 1),
    (32, 16, 64, 64, 32, 4, 4, 2, 1),
]
# (N, C, H, W, pool_height, pool_width, stride)
POOL_SHAPES = [
    (4, 8, 16, 16, 2, 2, 2),
    (32, 32, 64, 64, 2, 2, 2),
    (32, 32, 64, 64, 3, 3, 1),
]
NAIVE_MAX_ELEMENTS = 20_000  # inputs larger than this skip the naive layer (it takes minutes)


def best_time(fn, repeats):
    """Fastest wall time of fn() over `repeats` runs, after one warm-up run."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def conv_timers(shape, rng):
    """Closures running one forward + backward conv pass for each implementation."""
    N, C, H, W, F_, HH, WW, stride, pad = shape
    x = rng.standard_normal((N, C, H, W), dtype=np.float32)
    w = rng.standard_normal((F_, C, HH, WW), dtype=np.float32)
    b = rng.standard_normal(F_, dtype=np.float32)
    conv_param = {"stride": stride, "pad": pad}
    dout = np.ones(conv_forward_fast(x, w, b, conv_param)[0].shape, dtype=np.float32)
    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    dout_t = torch.from_numpy(dout)

    def numpy_pass(forward, backward):
        return lambda: backward(dout, forward(x, w, b, conv_param)[1])

    def torch_pass():
        xt.grad = wt.grad = bt.grad = None
        F.conv2d(xt, wt, bt, stride=stride, padding=pad).backward(dout_t)

    small = x.size <= NAIVE_MAX_ELEMENTS
    return {"fast": numpy_pass(conv_forward_fast, conv_backward_fast), "torch": torch_pass,
            "naive": numpy_pass(conv_forward_naive, conv_backward_naive) if small else None}


def pool_timers(shape, rng):
    """Closures running one forward + backward max-pool pass for each implementation."""
    N, C, H, W, ph, pw, stride = shape
    x = rng.standard_normal((N, C, H, W), dtype=np.float32)
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    dout = np.ones(max_pool_forward_fast(x, pool_param)[0].shape, dtype=np.float32)
    xt, dout_t = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dout)

    def numpy_pass(forward, backward):
        return lambda: backward(dout, forward(x, pool_param)[1])

    def torch_pass():
        xt.grad = None
        F.max_pool2d(xt, (ph, pw), stride=stride).backward(dout_t)

    small = x.size <= NAIVE_MAX_ELEMENTS
    return {"fast": numpy_pass(max_pool_forward_fast, max_pool_backward_fast), "torch": torch_pass,
            "naive": numpy_pass(max_pool_forward_naive, max_pool_backward_naive) if small else None}


def get_args_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per measurement; the fastest "
                                                               "counts (default 3)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds of paired measurements; medians are reported (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for both NumPy's BLAS and torch (default: each library's own default); "
                             "1 gives steadier ratios on a busy machine")
    parser.add_argument("--out", metavar="STEM", help="also write the table to STEM.csv and STEM.md")
    return parser


def main(args):
    if min(args.repeats, args.rounds) < 1 or (args.threads is not None and args.threads < 1):
        raise SystemExit("bench_conv.py: --repeats, --rounds and --threads must be >= 1")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
        threadpool_limits(args.threads)
    rng = np.random.default_rng(args.seed)
    print(f"numpy {np.__version__}, torch {torch.__version__}; threads: torch {torch.get_num_threads()}, "
          f"BLAS {args.threads or 'default'}; float32, forward + backward, best of {args.repeats}, "
          f"median of {args.rounds} paired rounds")
    jobs = [("conv", s, conv_timers, "N={} C={} {}x{} F={} {}x{} stride={} pad={}") for s in CONV_SHAPES]
    jobs += [("max_pool", s, pool_timers, "N={} C={} {}x{} pool {}x{} stride={}") for s in POOL_SHAPES]
    rows = []
    for layer, shape, make_timers, label in jobs:
        timers = make_timers(shape, rng)
        rounds = pd.DataFrame([{name: 1e3 * best_time(fn, args.repeats) if fn else np.nan
                                for name, fn in timers.items()} for _ in range(args.rounds)])
        ms = rounds.median()
        rows.append({"layer": layer, "shape": label.format(*shape), "fast ms": ms["fast"],
                     "torch ms": ms["torch"], "naive ms": ms["naive"],
                     "fast/torch": (rounds["fast"] / rounds["torch"]).median(),
                     "naive/fast": (rounds["naive"] / rounds["fast"]).median()})
    table = pd.DataFrame(rows)
    print_table(table, args.out)


if __name__ == "__main__":
    main(get_args_parser().parse_args())
