"""Build a sample data set in the exact MDS189 layout.

    python -m mds189_sample --out data/mds189_sample --subjects 60 --seed 0

The build goes to ``<out>.partial`` and is renamed to ``<out>`` when complete; README.md is written
last. The same seed gives byte-identical files whatever the number of workers.
"""

import argparse
import sys
import time

from mds189_sample.build import TEST_SHARE, build


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mds189_sample", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="the data root to create, e.g. data/mds189_sample")
    parser.add_argument(
        "--subjects", type=int, default=60, help="trainval subjects (300 = full MDS189 scale)"
    )
    parser.add_argument(
        "--test-subjects",
        type=int,
        default=None,
        help=f"held-out subjects for test_kaggle_frames (default: {TEST_SHARE} * subjects, rounded; "
        "300 subjects give about the real 6,197 test frames)",
    )
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives byte-identical files")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: CPU count, at most 8)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    args = parser.parse_args(argv)
    started = time.time()
    try:
        root = build(args.out, args.subjects, args.test_subjects, args.seed, args.workers, args.overwrite)
    except (ValueError, FileExistsError) as e:
        parser.error(str(e))
    print(f"wrote {root} in {time.time() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
