"""Format checks for an MDS189 data root: folders, file names, label JSON, keypoint vectors, images.

``python -m mds189_check ROOT`` walks a data root and prints one line per problem, ``<path>: <what>``,
then exits 1 if there was any error. Warnings (``warning: <path>: <what>``) flag what the real set is
known to contain (keypoints outside the image, inconsistent metadata, unlabelled poses) and do not fail
the check. Dot-files (.DS_Store, ._*) are ignored everywhere. Single files are read and checked by
``mds189_files``, as the loaders (``data_utils.load_mds189``, the image datasets) read them, so a data
set broken there fails there too with a message that names the file. This module adds the checks
across files: video frames against their label file's span, folders against the known movements and
key frames, image lists against the folders and each other (duplicates, split leaks, subject coverage),
the test frames against the Kaggle format file (``mds189_files.check_format_file``, which
``problem4``'s submission writer runs too).
"""

import argparse
import os
import re
import sys
from pathlib import Path

from tqdm import tqdm

from mds189_constants import FRAME_STEP, KEY_FRAME_LABELS, MOVEMENTS, RESIZED_SIZE, key_frame_sides
from mds189_files import (
    DATALOADER_FILES,
    FORMAT_PLACEHOLDER,
    LABEL_KEYS,
    FormatError,
    LabelFacts,
    check_format_file,
    check_image,
    check_label_facts,
    first_difference,
    frame_list,
    load_json,
    parse_image_list,
    subject_ids,
    subject_key,
    what_differs,
)

KEY_FRAME_FOLDERS = ("key_frames", "key_frames_resized")  # a key-frame list may point into either


# ---- image lists against the folders ----------------------------------------------------------------------


def _subject_of(path):
    """Subject id of an image path: the folder after its last trainval/ part (None if it has none).

    Read from the path itself, so absolute paths that exist outside the given root spelling
    (e.g. an absolute path with a relative root) still name their subject.
    """
    parts = Path(path).parts
    if "trainval" not in parts[:-1]:
        return None
    return parts[len(parts) - 1 - parts[::-1].index("trainval") + 1]


def _path_contradiction(name, entry):
    """Why a listed image's path does not fit its label and list, or None."""
    p, label = entry.path, entry.label
    if name.startswith("keyframe"):
        fits = p.parent.name in KEY_FRAME_FOLDERS and p.name == f"{label}.jpg"
        expected = f"trainval/<id>/key_frames_resized/{label}.jpg (or key_frames/)"
    elif name.endswith("_test.txt"):
        fits, expected = p.parent.name == "test_kaggle_frames", "test_kaggle_frames/NNNN.jpg"
    else:
        fits = p.parent.name == label and p.parent.parent.name == "frames"
        expected = f"trainval/<id>/frames/{label}/NNNN.jpg"
    if fits and (name.endswith("_test.txt") or _subject_of(p) is not None):
        return None
    return f"{entry.listed} does not fit its label {label!r}: expected {expected}"


def _check_lists(root, subjects, test_names):
    """Problems of dataloader_files/: each line, duplicates, the split, and subject coverage."""
    errors, seen, splits = [], {}, {}
    covered = {"keyframe": set(), "videoframe": set()}
    folder = root / "dataloader_files"
    for name in DATALOADER_FILES:
        entries, e = parse_image_list(folder / name, root, None)
        errors += e
        kind, split = name.split("_data_")[0], name.rsplit("_", 1)[1][:-4]
        if split != "test" and any(m.endswith(": missing file") for m in e):
            covered.pop(kind, None)  # a missing list is one error, not one per subject
        for entry in entries:
            at = f"{folder / name}:{entry.line}"
            if not entry.path.is_file():
                errors.append(f"{at}: image {entry.listed} not found (looked for {entry.path})")
                continue
            why = _path_contradiction(name, entry)
            if why:
                errors.append(f"{at}: {why}")
            key = os.path.abspath(entry.path)
            if key in seen:
                errors.append(f"{at}: {entry.listed} is listed again (first at {seen[key]})")
            seen.setdefault(key, at)
            sid = _subject_of(entry.path)
            if split != "test" and sid is not None:
                splits.setdefault(sid, set()).add(split)
                if kind in covered:
                    covered[kind].add(sid)
        if split == "test" and not e:
            i = first_difference([x.path.name for x in entries], test_names)
            if i is not None:
                where = f"{folder / name}:{entries[i].line}" if i < len(entries) else f"{folder / name}"
                errors.append(
                    f"{where}: must list test_kaggle_frames in file order ({len(test_names)} frames); "
                    f"{what_differs(i, [x.path.name for x in entries], test_names)}"
                )
    for sid, in_splits in sorted(splits.items(), key=lambda kv: subject_key(kv[0])):
        if len(in_splits) > 1:
            errors.append(f"{folder}: subject {sid} appears in both train and val files")
    for kind, ids in covered.items():
        absent = [s for s in subjects if s not in ids]
        if absent:
            errors.append(
                f"{folder}: subject{'s' * (len(absent) > 1)} {', '.join(absent[:10])}"
                f"{f' and {len(absent) - 10} more' if len(absent) > 10 else ''} "
                f"in no {kind}_data_train.txt or {kind}_data_val.txt line"
            )
    return errors


# ---- the data root ------------------------------------------------------------------------------------


def _listing(folder):
    """Names in a folder, dot-files left out, sorted; None if the folder is missing."""
    if not folder.is_dir():
        return None
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def _frame_index(name):
    """The frame index of a frame file name NNNN.jpg (zero-padded to 4 digits), or None."""
    stem = name[:-4] if name.endswith(".jpg") else ""
    return int(stem) if re.fullmatch(r"[0-9]{4,}", stem) and name == f"{int(stem):04d}.jpg" else None


def _unknown_entries(folder, known, what):
    """Errors for the entries of a subject folder's sub-folder that are not among ``known``."""
    return [
        f"{folder / name}: not {what} (expected one of {', '.join(known)})"
        for name in _listing(folder) or []
        if name not in known
    ]


def _check_video_frames(frames_dir, facts, images):
    """(errors, warnings) of frames/<movement>/ against the frames its label file implies."""
    names = _listing(frames_dir)
    if not names:
        return [f"{frames_dir}: missing or empty folder"], []
    errors, mismatched = [], []
    indices = {}
    for name in names:
        if _frame_index(name) is None:
            errors.append(f"{frames_dir / name}: not a frame name NNNN.jpg (the zero-padded frame index)")
        else:
            indices[_frame_index(name)] = name
    if facts.frames is not None:
        expected = f"every {FRAME_STEP}th video frame inside the movement's span"
        missing = sorted(set(facts.frames) - set(indices))
        if missing:
            errors.append(f"{frames_dir}: missing frames {frame_list(missing, '.jpg')} ({expected})")
        errors += [f"{frames_dir / indices[f]}: not a frame of the movement ({expected})"
                   for f in sorted(set(indices) - set(facts.frames))]
    for name in (indices[f] for f in sorted(indices)) if images else ():
        e, m = check_image(frames_dir / name, facts.video_size)
        errors, mismatched = errors + e, mismatched + m
    warnings = [mismatched[0] + (f" (and {len(mismatched) - 1} more frames of this folder)"
                                 if len(mismatched) > 1 else "")] if mismatched else []
    return errors, warnings


def _check_subject(folder, images):
    errors = _unknown_entries(folder / "labels", [f"{m}.json" for m in MOVEMENTS], "a movement's label file")
    errors += _unknown_entries(folder / "frames", MOVEMENTS, "a movement")
    for sub in KEY_FRAME_FOLDERS:
        errors += _unknown_entries(folder / sub, [f"{k}.jpg" for k in KEY_FRAME_LABELS], "a key frame")
    warnings = []
    for m in MOVEMENTS:
        path = folder / "labels" / f"{m}.json"
        data, e = load_json(path)
        facts = LabelFacts(None, None, None)
        if not e:
            e, w, facts = check_label_facts(data, str(path), m, LABEL_KEYS)
            warnings += w
        errors += e
        e, w = _check_video_frames(folder / "frames" / m, facts, images)
        errors, warnings = errors + e, warnings + w
        for side in key_frame_sides(m):
            for sub, expected in (("key_frames", facts.size), ("key_frames_resized", RESIZED_SIZE)):
                path = folder / sub / f"{m}_{side}.jpg"
                if not images:
                    errors += [] if path.is_file() else [f"{path}: missing file"]
                    continue
                e_img, mismatch = check_image(path, expected)
                errors += e_img + (mismatch if sub == "key_frames_resized" else [])
                warnings += mismatch if sub == "key_frames" else []  # metadata and image disagree
    return errors, warnings


def _check_test(root, images):
    """(errors, the test frame names in file order)."""
    folder = root / "test_kaggle_frames"
    names = _listing(folder)
    if not names:
        return [f"{folder}: missing or empty folder"], []
    errors = [f"{folder / n}: not a test frame name NNNN.jpg" for n in names if _frame_index(n) is None]
    names = sorted((n for n in names if _frame_index(n) is not None), key=_frame_index)
    missing = sorted(set(range(_frame_index(names[-1]) + 1)) - set(map(_frame_index, names))) if names else []
    if missing:
        errors.append(f"{folder}: frames must be 0000.jpg ... {names[-1]} without gaps; "
                      f"missing {frame_list(missing, '.jpg')}")
    if images:
        for name in names:
            errors += check_image(folder / name)[0]
    fmt = root / "kaggle_submission_format.csv"
    return errors + check_format_file(fmt, names, placeholder=FORMAT_PLACEHOLDER), names


def check_root(root, images=True, progress=False):
    """Every problem of a data root.

    Inputs:
    - root: the data root (trainval/, test_kaggle_frames/, dataloader_files/, kaggle_submission_format.csv)
    - images: also decode every image (slower) and check its size against the metadata (and 224x448
      for the resized key frames)
    - progress: show a tqdm bar over subjects

    Returns a tuple of lists of messages: (errors, warnings).
    """
    root = Path(root)
    try:
        ids = subject_ids(root)
    except FormatError as e:
        return [str(e)], []
    errors, warnings = [], []
    for name in _listing(root / "trainval"):
        if name not in ids:
            warnings.append(f"{root / 'trainval' / name}: not a subject folder (named by number); ignored")
    for sid in tqdm(ids, desc="subjects", disable=not progress):
        if len(sid) < 3:
            warnings.append(f"{root / 'trainval' / sid}: subject folders are named by number (000 ... 299)")
        e, w = _check_subject(root / "trainval" / sid, images)
        errors, warnings = errors + e, warnings + w
    e, test_names = _check_test(root, images)
    return errors + e + _check_lists(root, ids, test_names), warnings


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mds189_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("root", help="the data root (holds trainval/ and dataloader_files/)")
    parser.add_argument("--no-images", action="store_true", help="only check that images exist (faster)")
    parser.add_argument("--quiet-warnings", action="store_true", help="do not print warnings")
    args = parser.parse_args(argv)
    errors, warnings = check_root(args.root, images=not args.no_images, progress=sys.stderr.isatty())
    for line in errors:
        print(line)
    if not args.quiet_warnings:
        for line in warnings:
            print(f"warning: {line}")
    print(f"{args.root}: {len(errors)} error(s), {len(warnings)} warning(s)", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
