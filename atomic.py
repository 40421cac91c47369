"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Checkpoints, tables, plots and submissions all go through ``atomic_open`` so that a run killed
mid-write (Ctrl-C, out of memory, a preempted job) leaves nothing truncated behind.
"""
import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_open(path, mode="w", **open_kwargs):
    """Open a temporary file beside ``path`` for writing; on success rename it onto ``path``.

    Use exactly like ``open(path, mode)`` in a ``with`` block (``mode`` is 'w' or 'wb'). Parent
    folders are created. If the block raises, the temporary file is removed and ``path`` is untouched.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open writes whole files: mode must be 'w' or 'wb', not {mode!r}")
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:  # name the file the caller asked for, not the temporary one
        raise OSError(e.errno, f"cannot write {path}: {e.strerror}") from e
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
