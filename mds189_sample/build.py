"""Writing a whole sample data root: subjects in parallel, then the index files, then the README.

The build goes to ``<out>.partial`` and is renamed to ``<out>`` when complete (so files inside need
no atomic writes of their own); its README.md is written last, so a root with a README is a finished
build. The same seed gives byte-identical files whatever the number of workers.
"""

import multiprocessing
import os
import shutil
from functools import partial
from pathlib import Path

import numpy as np
from tqdm import tqdm

from data_utils import split_subjects
from mds189_sample import subject
from mds189_sample.readme import MARKER, readme_text

# Held-out subjects per trainval subject: a held-out subject has about 133 video frames, so 300
# subjects give 46 held-out ones and about the real set's 6,197 test frames (60 give 9, about 1,200).
TEST_SHARE = 0.155
# What a generated sample holds: --overwrite only replaces a folder holding nothing else.
SAMPLE_ENTRIES = {
    "trainval",
    "test_kaggle_frames",
    "dataloader_files",
    "kaggle_submission_format.csv",
    "test_kaggle_labels.csv",
    "sample_faults.csv",
    "README.md",
}


def _write_lines(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))


def _run(pool, fn, items, desc):
    jobs = pool.imap(fn, items) if pool else map(fn, items)
    return list(tqdm(jobs, total=len(items), desc=desc, unit="subject", disable=None))


def build(out, subjects=60, test_subjects=None, seed=0, workers=None, overwrite=False):
    """Generate the sample: trainval/, test_kaggle_frames/, dataloader_files/, the Kaggle format file.

    Inputs:
    - out: the data root to create
    - subjects: number of trainval subjects (000 ...); the real set has 300
    - test_subjects: number of held-out subjects behind test_kaggle_frames/ (default:
      round(TEST_SHARE * subjects), at least 1: 46 for 300 subjects, about the real set's 6,197 frames)
    - seed: the build's seed
    - workers: processes (default: the CPU count, at most 8)
    - overwrite: replace an existing <out>, if it is empty or a previous sample (else FileExistsError)

    Returns the Path of the finished root.
    """
    out = Path(out)
    if subjects < 2:
        raise ValueError(f"--subjects must be at least 2 (one train and one val subject), got {subjects}")
    test_subjects = max(1, round(TEST_SHARE * subjects)) if test_subjects is None else test_subjects
    if test_subjects < 1:
        raise ValueError(f"--test-subjects must be at least 1, got {test_subjects}")
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; pass --overwrite to replace it")
    if out.exists() and not _is_replaceable(out):
        raise FileExistsError(
            f"{out} is not empty and is not a generated sample (no README.md of mds189_sample, or other "
            "files beside it); --overwrite refuses to delete it: choose another --out or delete it yourself"
        )
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    workers = workers or min(8, os.cpu_count() or 1)
    with _pool_context().Pool(workers) if workers > 1 else _NoPool() as pool:
        records = _run(pool, partial(subject.write_trainval, tmp, seed), range(subjects), "trainval")
        tests = _run(pool, partial(subject.render_test, seed), range(test_subjects), "test")
    _write_index(tmp, records, [frame for t in tests for frame in t], seed)
    (tmp / "README.md").write_text(readme_text(subjects, test_subjects, sum(map(len, tests)), seed))
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return out


def _is_replaceable(out):
    """Whether --overwrite may delete ``out``: an empty folder, or a previous sample (its README.md
    marker or its sample_faults.csv, and nothing but a sample's entries; dot-files aside)."""
    if not out.is_dir():
        return False
    entries = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    readme = out / "README.md"
    marked = readme.is_file() and readme.read_text(errors="replace").startswith(MARKER)
    return not entries or (entries <= SAMPLE_ENTRIES and (marked or (out / "sample_faults.csv").is_file()))


def _pool_context():
    """The fork start method where the platform has it (fast: workers inherit the imports), else the
    platform's default (spawn on Windows)."""
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)


class _NoPool:
    """Stands in for a pool when running in this process (workers=1)."""

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _write_index(root, records, tests, seed):
    """Label files, the shuffled test frames, the Kaggle format file and the sample-only extras."""
    ids = [f"{i:03d}" for i in range(len(records))]
    _, val = split_subjects(ids)
    for split in ("train", "val"):
        chosen = [r for sid, r in zip(ids, records, strict=True) if (sid in val) == (split == "val")]
        for kind in ("key", "video"):
            name = {"key": "keyframe", "video": "videoframe"}[kind]
            _write_lines(
                root / "dataloader_files" / f"{name}_data_{split}.txt",
                [f"{path},{label}" for r in chosen for path, label in r[kind]],
            )
    order = np.random.default_rng(np.random.SeedSequence([seed, subject.TEST, 2**31])).permutation(len(tests))
    names = [f"{i:04d}.jpg" for i in range(len(tests))]
    (root / "test_kaggle_frames").mkdir()
    for name, k in zip(names, order, strict=True):
        (root / "test_kaggle_frames" / name).write_bytes(tests[k][0])
    _write_lines(
        root / "dataloader_files" / "videoframe_data_test.txt",
        [f"test_kaggle_frames/{n},label" for n in names],
    )
    _write_lines(
        root / "kaggle_submission_format.csv", ["Id,Category"] + [f"{n},predicted_label" for n in names]
    )
    _write_lines(
        root / "test_kaggle_labels.csv",
        ["Id,Category"] + [f"{n},{tests[k][1]}" for n, k in zip(names, order, strict=True)],
    )
    _write_lines(
        root / "sample_faults.csv",
        ["subject,movement,side,fault"] + [",".join(f) for r in records for f in r["faults"]],
    )
