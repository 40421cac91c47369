import pytest

from atomic import atomic_open


def test_writes_whole_file_and_creates_parents(tmp_path):
    path = tmp_path / "a" / "b" / "out.txt"
    with atomic_open(path) as f:
        f.write("hello")
    assert path.read_text() == "hello"
    assert [p.name for p in path.parent.iterdir()] == ["out.txt"]


def test_failure_leaves_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "ckpt.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_open(path, "wb") as f:
        f.write(b"half of the new one")
        raise RuntimeError("killed mid-write")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.bin"]


def test_rejects_append_and_read_modes(tmp_path):
    with pytest.raises(ValueError, match="whole files"), atomic_open(tmp_path / "x", "a"):
        pass


def test_unwritable_folder_error_names_the_target_not_the_temporary(tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(OSError, match=r"cannot write .*not_a_folder/out\.csv"), \
            atomic_open(blocker / "out.csv"):
        pass
