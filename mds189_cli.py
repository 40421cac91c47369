"""Command line for the keypoint side: train on any keypoint table, label new poses, convert skeletons.

    python -m mds189_cli train-keypoints --table poses.csv --skeleton coco17 --out runs/mine
    python -m mds189_cli train-keypoints --mds189 data/mds189_sample [--aligned] --out runs/mds189_fc
    python -m mds189_cli predict-keypoints --model runs/mine/model.pkl --table new.csv --out labels.csv
    python -m mds189_cli convert --skeleton mediapipe33 mediapipe.csv body25.csv
    python -m mds189_cli convert --mds189 data/mds189_sample [--aligned] mds189_key_frames.csv

Bad input ends with exit status 1 and one line on stderr that names the file or option and the problem
(train-keypoints checks every number before reading any data: "--lr must be > 0, got -1"); only values
argparse cannot parse at all ("--epochs abc") get its usage message and status 2.
"""
import argparse
import sys

import numpy as np
import pandas as pd

from cli_errors import report_errors
from keypoint_table import META_COLUMNS, make_table, mds189_to_table, split_table, write_table_csv
from skeletons import SKELETONS, load_keypoints, read_source_table


class _DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Adds '(default: ...)' to an option's help, except where the default is None (no value: the help
    says what happens without the option, as --val-fraction's does), where the help already names its
    default, and for on/off flags (--aligned is off unless given)."""

    def _get_help_string(self, action):
        plain_flag = action.nargs == 0 and not isinstance(action, argparse.BooleanOptionalAction)
        if action.default is None or plain_flag or "(default" in action.help:
            return action.help
        return super()._get_help_string(action)


def _train_parser(sub, defaults):
    from keypoint_trainer import UPDATE_RULES

    p = sub.add_parser("train-keypoints", help="train the NumPy FC net (and baselines) on keypoints",
                       formatter_class=_DefaultsHelpFormatter)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--table", help="keypoint CSV (plain or .gz) or OpenPose JSON folder")
    source.add_argument("--mds189", metavar="ROOT", help="MDS189 data root: key-frame poses, course split")
    p.add_argument("--skeleton", choices=sorted(SKELETONS), help="skeleton of --table (required with it)")
    p.add_argument("--label", help="label of every pose of an OpenPose JSON folder")
    p.add_argument("--aligned", action="store_true", help="MDS189: train on gt_pose_align, not gt_pose")
    p.add_argument("--out", required=True, help="run folder for the log, reports and model.pkl")
    # Plain int/float here: train_keypoints checks the ranges (one line and exit status 1, as for any bad
    # input, where a type= check would print argparse's usage and exit with 2).
    hidden = " ".join(map(str, defaults.hidden))
    p.add_argument("--hidden", type=int, nargs="+", default=list(defaults.hidden), metavar="SIZE",
                   help=f"hidden layer sizes, each at least 1 (default: {hidden})")
    p.add_argument("--update-rule", choices=UPDATE_RULES, default=defaults.update_rule,
                   help="update rule of the NumPy net (optim.py); MLPClassifier always uses Adam")
    p.add_argument("--lr", type=float, default=defaults.lr, help="learning rate, > 0")
    p.add_argument("--lr-decay", type=float, default=defaults.lr_decay,
                   help="learning-rate factor per epoch, > 0 (1: constant)")
    p.add_argument("--epochs", type=int, default=defaults.epochs,
                   help="training epochs of each net, at least 1 (each keeps its best validation epoch)")
    p.add_argument("--batch-size", type=int, default=defaults.batch_size, help="minibatch size, at least 1")
    p.add_argument("--reg", type=float, default=defaults.reg, help="L2 regularisation strength, >= 0")
    p.add_argument("--weight-scale", type=float, default=defaults.weight_scale,
                   help="standard deviation of the NumPy net's initial weights, > 0")
    p.add_argument("--val-fraction", type=float,
                   help=f"--table: share of subjects / sequences / rows held out for validation, in (0, 0.5] "
                        f"(default {defaults.val_fraction}; groups: 1/round(1/fraction) of them); MDS189 "
                        "has its fixed course split")
    p.add_argument("--pseudo-clips", type=int, default=defaults.pseudo_clips, metavar="N",
                   help="tables without subject and sequence: split (and vote) by runs of N consecutive "
                        "rows of one label instead of single rows (0: random rows, with a warning)")
    p.add_argument("--seed", type=int, default=defaults.seed,
                   help="seeds the weights, the minibatches and (--table) the split; in [0, 2**32 - 1]")
    p.add_argument("--baselines", action=argparse.BooleanOptionalAction, default=defaults.baselines,
                   help="also fit scikit-learn's MLPClassifier and LogisticRegression")


def build_parser():
    """The argparse parser with the subcommands train-keypoints, predict-keypoints and convert."""
    from keypoint_trainer import TrainConfig

    parser = argparse.ArgumentParser(prog="python -m mds189_cli", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    _train_parser(sub, TrainConfig())
    p = sub.add_parser("predict-keypoints", help="label the poses of a table with a trained model",
                       formatter_class=_DefaultsHelpFormatter)
    p.add_argument("--model", required=True, help="model.pkl written by train-keypoints")
    p.add_argument("--table", required=True, help="keypoint CSV or OpenPose JSON folder (labels not needed)")
    p.add_argument("--skeleton", choices=sorted(SKELETONS), help="skeleton of --table (default: the model's)")
    p.add_argument("--out", required=True,
                   help="output CSV, one line per pose: row (CSV input: its data row, from 0) or file "
                        "(OpenPose JSON: the file's name), the input's subject, sequence and frame "
                        "columns, label, confidence")
    p = sub.add_parser("convert", help="convert a COCO-17 / MediaPipe-33 / BODY_25 CSV, OpenPose JSON or "
                                       "the MDS189 key-frame poses into a BODY_25 keypoint table",
                       formatter_class=_DefaultsHelpFormatter)
    p.add_argument("--skeleton", choices=sorted(SKELETONS), help="skeleton of INPUT (required with it)")
    p.add_argument("--label", help="label of every pose of OpenPose JSON input (which carries none)")
    p.add_argument("--mds189", metavar="ROOT", help="instead of INPUT: the MDS189 key-frame poses under ROOT "
                                                    "(labels are movements, subject the subject id)")
    p.add_argument("--aligned", action="store_true", help="--mds189: write gt_pose_align, not gt_pose")
    p.add_argument("input", nargs="?", help="source CSV or OpenPose JSON file/folder")
    p.add_argument("output", help="keypoint table CSV to write (.gz compresses)")
    return parser


def train_keypoints(args):
    """The train-keypoints command: returns the comparison rows."""
    from keypoint_trainer import (
        TrainConfig,
        check_train_values,
        load_mds189_poses,
        poses_from_arrays,
        run_training,
    )

    values = {"hidden": tuple(args.hidden), "update_rule": args.update_rule, "lr": args.lr,
              "lr_decay": args.lr_decay, "epochs": args.epochs, "batch_size": args.batch_size,
              "reg": args.reg, "weight_scale": args.weight_scale,
              "val_fraction": TrainConfig.val_fraction if args.val_fraction is None else args.val_fraction,
              "pseudo_clips": args.pseudo_clips, "seed": args.seed, "baselines": args.baselines}
    # every number first, before any data are read: '--lr must be > 0, got -1'
    check_train_values(values, name_of=lambda field: "--" + field.replace("_", "-"))
    config = TrainConfig(**values)
    if args.table is not None:
        if args.skeleton is None:
            raise ValueError("--table needs --skeleton (body25, coco17 or mediapipe33)")
        if args.aligned:
            raise ValueError("--aligned goes with --mds189 (a keypoint table has no aligned poses)")
        poses = poses_from_arrays(*load_keypoints(args.table, args.skeleton, label=args.label), args.skeleton)
        source = args.table
    else:
        if args.skeleton is not None or args.label is not None:
            raise ValueError("--skeleton and --label go with --table (MDS189 poses are BODY_25 and labelled)")
        if args.val_fraction is not None:
            raise ValueError("--val-fraction goes with --table (MDS189 has a fixed course split by subject)")
        poses = load_mds189_poses(args.mds189, aligned=args.aligned)
        source = f"MDS189 key frames at {args.mds189} ({'gt_pose_align' if args.aligned else 'gt_pose'})"
    result = run_training(poses, args.out, config, source=source)
    summary = ", ".join(f"{row['model']} {row['val_acc']:.4f}" for row in result["comparison"])
    print(f"summary: validation accuracy ({result['split']}; nets at their best validation epoch): "
          f"{summary}; reports in {args.out}")
    return result["comparison"]


def predict_keypoints(args):
    """The predict-keypoints command: writes one label per pose, with what identifies the pose's source.

    Columns: row (a CSV's data row, from 0) or file (OpenPose JSON: the file of the frame; frames
    without a person have no line), the input's subject, sequence and frame columns when it has them,
    then label and confidence.
    """
    from keypoint_trainer import load_model, predict

    saved = load_model(args.model)
    table = read_source_table(args.table, args.skeleton or saved["skeleton"], require_label=False)
    X, _, meta = split_table(table, source=args.table, require_label=False)
    labels, confidence = predict(saved, X)
    source = ({"file": table["file"].to_numpy()} if "file" in table.columns
              else {"row": np.arange(len(X))})
    out = pd.DataFrame({**source, **{name: meta[name].to_numpy() for name in META_COLUMNS if name in meta},
                        "label": labels, "confidence": np.round(confidence, 4)})
    write_table_csv(out, args.out)
    print(f"wrote {len(labels)} labels to {args.out}")


def convert_table(args):
    """The convert command: any supported skeleton, or the MDS189 key frames -> BODY_25 keypoint table."""
    if args.mds189 is not None:
        if args.input is not None or args.skeleton is not None or args.label is not None:
            raise ValueError("--mds189 replaces INPUT, --skeleton and --label (MDS189 poses are BODY_25)")
        mds189_to_table(args.mds189, args.output, aligned=args.aligned)
        print(f"wrote the MDS189 key-frame poses ({'gt_pose_align' if args.aligned else 'gt_pose'}) "
              f"to {args.output}")
        return
    if args.input is None or args.skeleton is None:
        raise ValueError("convert needs INPUT and --skeleton (body25, coco17, mediapipe33), or --mds189 ROOT")
    if args.aligned:
        raise ValueError("--aligned goes with --mds189 (other sources have no aligned poses)")
    X, labels, meta = load_keypoints(args.input, args.skeleton, require_label=False, label=args.label)
    columns = {name: meta[name].to_numpy() for name in meta.columns}
    write_table_csv(make_table(X, labels, **columns), args.output)
    print(f"wrote {len(X)} BODY_25 poses to {args.output}")


COMMANDS = {"train-keypoints": train_keypoints, "predict-keypoints": predict_keypoints,
            "convert": convert_table}


def main(argv=None):
    """Run one command; bad input exits with status 1 and one line naming the problem."""
    args = build_parser().parse_args(argv)
    return report_errors(f"mds189_cli {args.command}", COMMANDS[args.command], args)


if __name__ == "__main__":
    sys.exit(main())
