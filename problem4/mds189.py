"""The MDS189 image Dataset over a ``dataloader_files/*.txt`` label file, with an optional image cache.

A label file is a header-less CSV with one ``image_path,label`` line per image. Key-frame labels carry
the side (``inline_left``, ``squat_both``), video-frame labels are bare movement names; both map to the
same class index (``mds189_constants.class_index``). The test list's placeholder label ``label`` maps to
``UNKNOWN`` (-1); any other list holding it is refused. The file is read by ``mds189_files.read_image_list``,
the parser the format checker uses.

Paths: a relative path is resolved against the data root. An absolute path is used as it is when it
exists; otherwise (the course's files held absolute paths from another machine) it is re-rooted at the
data root from its last ``trainval/`` or ``test_kaggle_frames/`` component.

Run ``python -m problem4.mds189 DATA_ROOT`` to open every image of every label file and list the bad ones.
"""

import argparse
import copy
import hashlib
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from atomic import atomic_open
from mds189_constants import PLACEHOLDER, class_index
from mds189_files import check_image, read_image_list

UNKNOWN = -1  # target of the test frames' placeholder label (PLACEHOLDER)
LABEL_FILES = {
    ("key", "train"): "keyframe_data_train.txt",
    ("key", "val"): "keyframe_data_val.txt",
    ("video", "train"): "videoframe_data_train.txt",
    ("video", "val"): "videoframe_data_val.txt",
    ("video", "test"): "videoframe_data_test.txt",
}


def label_file_path(data_root, frames, split):
    """The course's label file for ``frames`` ('key', 'video') and ``split`` ('train', 'val', 'test')."""
    if (frames, split) not in LABEL_FILES:
        raise ValueError(
            f"no label file for frames={frames!r}, split={split!r}; known: {sorted(LABEL_FILES)}"
        )
    return Path(data_root) / "dataloader_files" / LABEL_FILES[frames, split]


def load_rgb(path, size=None):
    """Decode an image as RGB with its EXIF orientation applied, optionally resized.

    Inputs:
    - path: image file
    - size: (H, W) to resize to (bilinear, antialiased), or None to keep the original size

    Returns a uint8 tensor of shape (3, H, W). Transparent images are composited onto white.
    Raises FileNotFoundError or OSError naming the file when it is missing, corrupt or truncated.
    """
    try:
        with Image.open(path) as img:
            if size is not None:  # JPEG: decode at a reduced scale that is still >= the target size
                img.draft("RGB", (max(size), max(size)))
            img = ImageOps.exif_transpose(img)
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                rgba = img.convert("RGBA")
                img = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
            img = img.convert("RGB")
            if size is not None:
                img = img.resize((size[1], size[0]), Image.BILINEAR)
    except FileNotFoundError:
        raise FileNotFoundError(f"image not found: {path}") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise OSError(f"cannot read image {path}: {err}") from err
    return torch.from_numpy(np.array(img)).permute(2, 0, 1).contiguous()


class Mds189(Dataset):
    """MDS189 frames listed in a label file, as (image, target) pairs.

    Inputs:
    - label_file: a ``dataloader_files/*.txt`` file
    - data_root: the folder relative image paths start from (the course's hw6_mds189)
    - size: (H, W) every image is resized to when decoded, or None for the original size
    - labels: the labels the file may hold; None for those its name allows (``mds189_files.DATALOADER_FILES``:
      the placeholder ``label`` only in videoframe_data_test.txt; other names: any image label).
      A bad line raises ``mds189_files.FormatError`` (a ValueError) naming the file and line.

    Item ``i`` is ``(image, target)``: the uint8 image tensor of shape (3, H, W) and the class index
    (``UNKNOWN`` for test frames). There is no per-item transform: augmentation and normalisation run on
    whole batches as the network's first layer (``presets.Preprocess``). After ``cache_images()`` the
    decoded, resized images are held in memory. Errors for a bad image name the file and the label-file line.
    """

    def __init__(self, label_file, data_root, size=None, labels=None):
        self.label_file, self.data_root = Path(label_file), Path(data_root)
        entries = read_image_list(label_file, data_root, labels)
        self.listed, self.paths = [e.listed for e in entries], [e.path for e in entries]
        self.labels, self.lines = [e.label for e in entries], [e.line for e in entries]
        self.targets = [UNKNOWN if e.label == PLACEHOLDER else class_index(e.label) for e in entries]
        self.size = tuple(size) if size is not None else None
        self.images = None  # uint8 tensor (N, 3, H, W) once cached

    def __len__(self):
        return len(self.paths)

    @property
    def ids(self):
        """File names of the images (the Kaggle Ids of the test frames), in file order."""
        return [p.name for p in self.paths]

    def load(self, index):
        """The decoded (and resized) image ``index`` as a uint8 tensor (3, H, W)."""
        if self.images is not None:
            return self.images[index]
        try:
            return load_rgb(self.paths[index], self.size)
        except OSError as err:  # FileNotFoundError included
            where = f"listed as {self.listed[index]!r} at {self.label_file}:{self.lines[index]}"
            raise type(err)(f"{err} ({where})") from None

    def __getitem__(self, index):
        return self.load(index), self.targets[index]

    def select(self, indices):
        """A copy of this dataset holding only the items ``indices``, in that order."""
        indices = list(indices)
        subset = copy.copy(self)
        for name in ("listed", "labels", "targets", "lines", "paths"):
            setattr(subset, name, [getattr(self, name)[i] for i in indices])
        subset.images = self.images[indices] if self.images is not None else None
        return subset

    def cache_file_name(self):
        """A file name that changes with the images (path, byte size, modification time) and the size.

        A regenerated or edited image changes its size or time, so a stale cache is never reused.
        A missing image keeps the cache key computable; decoding it later raises the usual error.
        """
        stamps = []
        for path in self.paths:
            try:
                stat = path.stat()
                stamps.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
            except OSError:
                stamps.append(f"{path}:missing")
        key = hashlib.sha1(("\n".join(stamps) + f"\n{self.size}").encode()).hexdigest()[:12]
        return f"{self.label_file.stem}_{self.size[0]}x{self.size[1]}_{key}.pt"

    def cache_images(self, cache_dir=None, num_workers=0):
        """Decode and resize every image once and keep them in memory (``size`` must be set).

        Inputs:
        - cache_dir: folder to keep the decoded images in (reused while the same images, unchanged on
          disk, come again at the same size), or None for memory only
        - num_workers: DataLoader workers that decode in parallel

        Returns self.
        """
        if self.size is None:
            raise ValueError("cache_images needs a fixed image size: pass size=(H, W) to Mds189")
        path = Path(cache_dir) / self.cache_file_name() if cache_dir is not None else None
        if path is not None and path.exists():
            images = torch.load(path, map_location="cpu", weights_only=True)
            if images.shape == (len(self), 3, *self.size):
                self.images = images
                return self
        # its own generator: iterating a DataLoader draws a seed, which must not come from torch's global
        # generator (the augmentation's), or a cache hit, a miss and --no-cache would train differently
        loader = DataLoader(self, batch_size=64, shuffle=False, num_workers=num_workers,
                            generator=torch.Generator())
        batches = [x for x, _ in tqdm(loader, desc=f"decoding {self.label_file.name}", leave=False)]
        self.images = torch.cat(batches)
        if path is not None:
            with atomic_open(path, "wb") as f:
                torch.save(self.images, f)
        return self


def find_bad_images(dataset):
    """Try to decode every image of a dataset (``mds189_files.check_image``).

    Returns a list of (index, error message naming the file and its label-file line) for the images
    that are missing or cannot be read.
    """
    bad = []
    for i in tqdm(range(len(dataset)), desc=f"checking {dataset.label_file.name}", leave=False):
        errors, _ = check_image(dataset.paths[i])
        if errors:
            bad.append((i, f"{errors[0]} (listed at {dataset.label_file}:{dataset.lines[i]})"))
    return bad


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Open every image of every MDS189 label file; list bad ones."
    )
    parser.add_argument("data_root", type=Path, help="the folder holding dataloader_files/")
    args = parser.parse_args(argv)
    n_bad = 0
    for frames, split in LABEL_FILES:
        label_file = label_file_path(args.data_root, frames, split)
        if not label_file.exists():
            print(f"missing label file: {label_file}")
            n_bad += 1
            continue
        bad = find_bad_images(Mds189(label_file, args.data_root))
        n_bad += len(bad)
        print(f"{label_file}: {len(bad)} bad image(s)")
        for _, message in bad:
            print(f"  {message}")
    return 1 if n_bad else 0


if __name__ == "__main__":
    sys.exit(main())
