"""A hand-made miniature MDS189 folder for the problem4 unit tests (the layout of mds189_format.md).

Each movement is drawn as a bright bar at its own height on a noisy background, so a CNN can learn it
in a few steps. Subjects 0-2 are training, 3 validation; 8 test frames.
"""

import numpy as np
import pytest
from PIL import Image

from mds189_constants import KEY_FRAME_LABELS, MOVEMENTS, movement_of

SIZE = (48, 24)  # (H, W), portrait


def draw(movement, rng):
    """A uint8 (H, W, 3) image whose bar position encodes the movement."""
    image = rng.integers(0, 80, size=(*SIZE, 3), dtype=np.uint8)
    row = 3 + 5 * MOVEMENTS.index(movement)
    image[row : row + 4, 2:-2] = (230, 200, 40)
    return image


def write_tiny_root(root, seed=0):
    """Write the miniature data set under ``root``; returns ``root``."""
    rng = np.random.default_rng(seed)
    lines = {
        name: []
        for name in (
            "keyframe_data_train",
            "keyframe_data_val",
            "videoframe_data_train",
            "videoframe_data_val",
            "videoframe_data_test",
        )
    }
    for subject in range(4):
        split = "val" if subject == 3 else "train"
        base = root / "trainval" / f"{subject:03d}"
        for label in KEY_FRAME_LABELS:
            path = base / "key_frames_resized" / f"{label}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(draw(movement_of(label), rng)).save(path, quality=95)
            lines[f"keyframe_data_{split}"].append(f"{path.relative_to(root)},{label}")
        for movement in MOVEMENTS:
            for frame in (0, 12):
                path = base / "frames" / movement / f"{frame:04d}.jpg"
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(draw(movement, rng)).save(path, quality=95)
                lines[f"videoframe_data_{split}"].append(f"{path.relative_to(root)},{movement}")
    (root / "test_kaggle_frames").mkdir(parents=True)
    ids = []
    for i in range(8):
        ids.append(f"{i:04d}.jpg")
        Image.fromarray(draw(MOVEMENTS[(3 * i) % 8], rng)).save(root / "test_kaggle_frames" / ids[-1])
        lines["videoframe_data_test"].append(f"test_kaggle_frames/{ids[-1]},label")
    (root / "dataloader_files").mkdir()
    for name, rows in lines.items():
        (root / "dataloader_files" / f"{name}.txt").write_text("\n".join(rows) + "\n")
    (root / "kaggle_submission_format.csv").write_text(
        "Id,Category\n" + "".join(f"{i},predicted_label\n" for i in ids)
    )
    return root


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory):
    return write_tiny_root(tmp_path_factory.mktemp("mds189_tiny_p4"))
