"""Shared fixtures: one tiny generated MDS189 sample per test session."""

import pytest

from mds189_sample.build import build

TINY = {"subjects": 6, "test_subjects": 1, "seed": 0}


@pytest.fixture(scope="session")
def mds189_tiny(tmp_path_factory):
    """Root (pathlib.Path) of a tiny generated sample: 6 trainval subjects (000-003 train, 004-005 val),
    1 held-out test subject; the full MDS189 layout. Built once per session; do not modify it
    (copy it first, e.g. with shutil.copytree)."""
    return build(tmp_path_factory.mktemp("mds189") / "mds189_tiny", workers=2, **TINY)
