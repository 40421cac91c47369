"""Shared fixtures: one tiny generated MDS189 sample per test session, and synthetic keypoint clusters."""

import numpy as np
import pytest

from mds189_constants import KEYPOINT_DIM, NUM_CLASSES
from mds189_sample.build import build

TINY = {"subjects": 6, "test_subjects": 1, "seed": 0}


@pytest.fixture(scope="session")
def mds189_tiny(tmp_path_factory):
    """Root (pathlib.Path) of a tiny generated sample: 6 trainval subjects (000-003 train, 004-005 val),
    1 held-out test subject; the full MDS189 layout. Built once per session; do not modify it
    (copy it first, e.g. with shutil.copytree)."""
    return build(tmp_path_factory.mktemp("mds189") / "mds189_tiny", workers=2, **TINY)


@pytest.fixture(scope="module")
def clusters():
    """Eight well separated Gaussian clusters in 75 dimensions: a data dict for the Solver."""
    rng = np.random.default_rng(0)
    centres = 3 * rng.standard_normal((NUM_CLASSES, KEYPOINT_DIM))
    y = rng.integers(NUM_CLASSES, size=240)
    X = centres[y] + rng.standard_normal((240, KEYPOINT_DIM))
    return {"X_train": X[:160], "y_train": y[:160], "X_val": X[160:], "y_val": y[160:]}
