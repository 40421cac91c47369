"""Format checks for an MDS189 data root: folders, file names, label JSON, keypoint vectors, images.

``python -m mds189_check ROOT`` walks a data root and prints one line per problem, ``<path>: <what>``,
then exits 1 if there was any error. Warnings (``warning: <path>: <what>``) flag what the real set is
known to contain (keypoints outside the image, inconsistent metadata) and do not fail the check.
The loaders (``data_utils.load_mds189``, the image datasets) call the same functions on what they
read, so a data set broken there fails there too with a message that names the file.
"""

import argparse
import csv
import json
import math
import re
import sys
from pathlib import Path

from PIL import Image
from tqdm import tqdm

from mds189_constants import JOINTS, KEY_FRAME_LABELS, KEYPOINT_DIM, MOVEMENTS, UNILATERAL, key_frame_sides

RESIZED_SIZE = (224, 448)
LABEL_KEYS = ("movement", "frames", "gt_pose", "gt_pose_align", "gt_pose_dict", "pseudo_gt_raw", "metadata")
METADATA_KEYS = (
    "width",
    "height",
    "video_width",
    "video_height",
    "video_width_scale",
    "video_height_scale",
    "number_frames",
    "fps",
    "video_scale",
)
DATALOADER_FILES = {  # file -> the labels it may hold
    "keyframe_data_train.txt": KEY_FRAME_LABELS,
    "keyframe_data_val.txt": KEY_FRAME_LABELS,
    "videoframe_data_train.txt": MOVEMENTS,
    "videoframe_data_val.txt": MOVEMENTS,
    "videoframe_data_test.txt": ("label",),
}
FRAME_NAME = re.compile(r"^\d{4,}\.jpg$")


class FormatError(ValueError):
    """A data set that does not follow the MDS189 layout; the message lists every problem with its path."""


def _is_number(v):
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check_keypoints(values, where, hand_labelled=True, size=None):
    """Problems of one 75-number keypoint list.

    Inputs:
    - values: the decoded JSON value
    - where: text naming it in messages (file and key)
    - hand_labelled: c must be 0 or 1 (else: a confidence >= 0)
    - size: (width, height) to test visible joints against, or None

    Returns a tuple of lists of messages: (errors, warnings).
    """
    if not isinstance(values, list) or len(values) != KEYPOINT_DIM:
        n = len(values) if isinstance(values, list) else type(values).__name__
        return [f"{where}: expected a list of {KEYPOINT_DIM} numbers, got {n}"], []
    bad = [i for i, v in enumerate(values) if not _is_number(v)]
    if bad:
        return [f"{where}: entry {bad[0]} is {values[bad[0]]!r}, not a finite number ({len(bad)} such)"], []
    errors, warnings = [], []
    for j, name in enumerate(JOINTS):
        x, y, c = values[3 * j : 3 * j + 3]
        if (hand_labelled and c not in (0, 1)) or c < 0:
            errors.append(
                f"{where}: joint {j} ({name}) has c = {c}, expected "
                f"{'0 or 1' if hand_labelled else 'a confidence >= 0'}"
            )
        elif c > 0 and size is not None and not (0 <= x <= size[0] and 0 <= y <= size[1]):
            warnings.append(
                f"{where}: joint {j} ({name}) at ({x}, {y}) lies outside the {size[0]}x{size[1]} image"
            )
    return errors, warnings


def _check_span(span, key, where, n, with_key):
    """Problems of one frame span: integer f_start (<= f_key) <= f_end < number_frames n."""
    fields = ("f_start", "f_end") + (("f_key",) if with_key else ())
    if not isinstance(span, dict) or not all(_is_int(span.get(f)) for f in fields):
        return [f"{where}: {key} needs integer {', '.join(fields)}"]
    errors = []
    if not 0 <= span["f_start"] <= span.get("f_key", span["f_start"]) <= span["f_end"]:
        errors.append(f"{where}: {key} frames out of order: {span}")
    if _is_int(n) and span["f_end"] >= n:
        errors.append(f"{where}: {key}.f_end {span['f_end']} >= metadata.number_frames {n}")
    return errors


def _check_movement(mv, where, movement, n):
    if not isinstance(mv, dict) or mv.get("label") != movement:
        return [
            f"{where}: movement.label is {mv.get('label') if isinstance(mv, dict) else mv!r}, expected "
            f"{movement!r}"
        ]
    errors = []
    if mv.get("bilateral") is not (movement not in UNILATERAL):
        errors.append(
            f"{where}: movement.bilateral is {mv.get('bilateral')!r}, expected {movement not in UNILATERAL}"
        )
    return errors + _check_span(mv, "movement", where, n, with_key=False)


def _check_frames(frames, where, movement, n):
    if not isinstance(frames, dict):
        return [f"{where}: frames is not an object"]
    errors = []
    for side in ("left", "right"):
        errors += _check_span(frames.get(side), f"frames.{side}", where, n, with_key=True)
    for side in ("left", "right"):
        key_side = side if movement in UNILATERAL else key_frame_sides(movement)[0]
        expected = f"key_frames/{movement}_{key_side}.jpg"
        if isinstance(frames.get(side), dict) and frames[side].get("filename") != expected:
            errors.append(
                f"{where}: frames.{side}.filename is {frames[side].get('filename')!r}, expected {expected!r}"
            )
    return errors


def _check_metadata(meta, where):
    if not isinstance(meta, dict):
        return [f"{where}: metadata is not an object"], []
    missing = [k for k in METADATA_KEYS if k not in meta]
    if missing:
        return [f"{where}: metadata lacks {', '.join(missing)}"], []
    bad = [k for k in METADATA_KEYS[:-1] if not (_is_number(meta[k]) and meta[k] > 0)]
    if bad:
        return [f"{where}: metadata.{bad[0]} is {meta[bad[0]]!r}, expected a positive number"], []
    warnings = [
        f"{where}: metadata.video_{d}_scale * {d} = {meta[f'video_{d}_scale'] * meta[d]:.2f}, "
        f"expected {target} (the resized key frames)"
        for d, target in zip(("width", "height"), RESIZED_SIZE, strict=True)
        if abs(meta[f"video_{d}_scale"] * meta[d] - target) > 0.01 * target
    ]
    return [], warnings


def _check_pseudo(raw, where):
    if not isinstance(raw, dict) or any(
        k not in raw for k in ("frames", "num_people", "2d_keypoints", "bbox")
    ):
        return [f"{where}: pseudo_gt_raw needs frames, num_people, 2d_keypoints and bbox"]
    lists = [raw[k] for k in ("frames", "num_people", "2d_keypoints", "bbox")]
    if not all(isinstance(v, list) for v in lists) or len({len(v) for v in lists}) != 1:
        return [
            f"{where}: pseudo_gt_raw frames, num_people, 2d_keypoints and bbox must be lists of one length"
        ]
    errors = []
    for i, (f, n, people, boxes) in enumerate(zip(*lists, strict=True)):
        at = f"{where}: pseudo_gt_raw frame #{i}"
        if not (
            _is_int(f)
            and _is_int(n)
            and isinstance(people, list)
            and isinstance(boxes, list)
            and len(people) == len(boxes) == n
        ):
            errors.append(f"{at}: frame index, num_people and the lengths of 2d_keypoints and bbox disagree")
            continue
        for p, (person, box) in enumerate(zip(people, boxes, strict=True)):
            errors += check_keypoints(person, f"{at} person {p}", hand_labelled=False)[0]
            if not (
                isinstance(box, list)
                and len(box) == 4
                and all(map(_is_number, box))
                and box[0] <= box[2]
                and box[1] <= box[3]
            ):
                errors.append(f"{at} person {p}: bbox {box!r} is not [xmin, ymin, xmax, ymax]")
    return errors


def check_label_data(data, where, movement, keys=LABEL_KEYS):
    """Problems of one decoded labels/<movement>.json, in the given top-level keys.

    ``gt_pose_dict`` (the labelling tool's raw export, unused by the loaders) only has to hold
    'left' and 'right'; clicks that are not lists of [x, y] pairs per BODY_25 joint are warnings.

    Inputs:
    - data: the decoded JSON; where: text naming it in messages (the file); movement: its movement
    - keys: the keys to check, among LABEL_KEYS (a loader passes the ones it reads); metadata is always
      checked, since spans and keypoints are checked against it

    Returns a tuple of lists of messages: (errors, warnings).
    """
    unknown = sorted(set(keys) - set(LABEL_KEYS))
    if unknown:
        raise ValueError(f"unknown label keys {unknown}; expected some of {', '.join(LABEL_KEYS)}")
    if not isinstance(data, dict):
        return [f"{where}: expected a JSON object"], []
    keys = [k for k in LABEL_KEYS if k in keys or k == "metadata"]
    missing = [k for k in keys if k not in data]
    if missing:
        return [f"{where}: missing key{'s' * (len(missing) > 1)} {', '.join(missing)}"], []
    errors, warnings = _check_metadata(data["metadata"], where)
    if errors:
        return errors, warnings
    size, n = (data["metadata"]["width"], data["metadata"]["height"]), data["metadata"]["number_frames"]
    if "movement" in keys:
        errors += _check_movement(data["movement"], where, movement, n)
    if "frames" in keys:
        errors += _check_frames(data["frames"], where, movement, n)
    for key in ("gt_pose", "gt_pose_align", "gt_pose_dict"):
        if key not in keys:
            continue
        if not isinstance(data[key], dict) or any(s not in data[key] for s in ("left", "right")):
            errors.append(f"{where}: {key} needs 'left' and 'right'")
            continue
        for side in ("left", "right"):
            if key == "gt_pose_dict":  # the raw export's inner format is undocumented: never blocks loading
                warnings += _check_clicks(data[key][side], f"{where}: {key}.{side}")
            else:
                e, w = check_keypoints(
                    data[key][side], f"{where}: {key}.{side}", size=size if key == "gt_pose" else None
                )
                errors, warnings = errors + e, warnings + w
    if "pseudo_gt_raw" in keys:
        errors += _check_pseudo(data["pseudo_gt_raw"], where)
    return errors, warnings


def _check_clicks(clicks, where):
    if not isinstance(clicks, dict):
        return [f"{where}: expected an object joint name -> clicks"]
    unknown = [k for k in clicks if k not in JOINTS]
    if unknown:
        return [f"{where}: unknown joint {unknown[0]!r}"]
    return [
        f"{where}.{k}: clicks must be a list of [x, y] pairs"
        for k, v in clicks.items()
        if not (
            isinstance(v, list)
            and all(isinstance(p, list) and len(p) == 2 and all(map(_is_number, p)) for p in v)
        )
    ]


def _reject_constant(name):
    raise ValueError(f"{name} is not allowed")


def load_json(path):
    """Decode a JSON file, refusing NaN and Infinity. Returns (data, errors)."""
    try:
        return json.loads(Path(path).read_text(), parse_constant=_reject_constant), []
    except FileNotFoundError:
        return None, [f"{path}: missing file"]
    except (ValueError, UnicodeDecodeError) as e:
        return None, [f"{path}: not valid JSON: {e}"]


def read_label_file(path, keys=LABEL_KEYS):
    """Decode and validate labels/<movement>.json; raises FormatError naming the file and every error.

    Inputs:
    - path: the label file
    - keys: the top-level keys whose errors fail the read (all by default; a loader passes the keys
      it reads, so that faults elsewhere, e.g. in pseudo_gt_raw, do not block it)

    Returns the decoded dict.
    """
    data, errors = load_json(path)
    if not errors:
        errors = check_label_data(data, str(path), Path(path).stem, keys)[0]
    if errors:
        raise FormatError("\n".join(errors))
    return data


def subject_ids(root):
    """Sorted subject ids (folder names) under <root>/trainval; raises FormatError if there are none."""
    trainval = Path(root) / "trainval"
    if not trainval.is_dir():
        raise FormatError(f"{trainval}: missing folder (is {root} an MDS189 data root?)")
    ids = sorted(p.name for p in trainval.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not ids:
        raise FormatError(f"{trainval}: no subject folders")
    return ids


def resolve(root, path):
    """The file an image path of a label file points to.

    Relative paths are taken from the data root; an absolute path that does not exist (the course's
    files hold paths from another machine) is re-rooted at its last trainval/ or test_kaggle_frames/ part.
    """
    p = Path(path)
    if not p.is_absolute():
        return Path(root) / p
    if p.exists():
        return p
    anchors = [i for i, part in enumerate(p.parts) if part in ("trainval", "test_kaggle_frames")]
    return Path(root).joinpath(*p.parts[anchors[-1] :]) if anchors else p  # the last one: the data root's


def read_dataloader_file(root, name):
    """Read dataloader_files/<name>: a list of (image Path, label); raises FormatError listing bad lines."""
    entries, errors = _read_dataloader(Path(root), name)
    if errors:
        raise FormatError("\n".join(errors))
    return entries


def _read_dataloader(root, name):
    path = root / "dataloader_files" / name
    if not path.is_file():
        return [], [f"{path}: missing file"]
    allowed, entries, errors = DATALOADER_FILES[name], [], []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        image, sep, label = line.rpartition(",")
        if not sep or not image:
            errors.append(f"{path}:{i}: expected 'image_path,label', got {line!r}")
        elif label not in allowed:
            errors.append(f"{path}:{i}: unknown label {label!r}; expected one of {', '.join(allowed)}")
        elif not resolve(root, image).is_file():
            errors.append(f"{path}:{i}: image {image} not found (looked for {resolve(root, image)})")
        else:
            entries.append((resolve(root, image), label))
    if not entries and not errors:
        errors.append(f"{path}: no entries")
    return entries, errors


def check_image(path, size=None):
    """Problems of one image file: missing, unreadable or truncated, or not of the given (width, height).

    Returns a tuple of lists of messages: (errors, size_mismatches).
    """
    try:
        with Image.open(path) as img:
            img.load()
            actual = img.size
    except FileNotFoundError:
        return [f"{path}: missing file"], []
    except (OSError, SyntaxError) as e:
        return [f"{path}: unreadable image: {e}"], []
    if size and actual != tuple(size):
        return [], [f"{path}: image is {actual[0]}x{actual[1]}, expected {size[0]}x{size[1]}"]
    return [], []


def _check_subject(folder, images):
    errors, warnings = [], []
    for m in MOVEMENTS:
        path = folder / "labels" / f"{m}.json"
        data, e = load_json(path)
        if not e:
            e, w = check_label_data(data, str(path), m)
            warnings += w
        errors += e
        frames_dir = folder / "frames" / m
        names = sorted(p.name for p in frames_dir.glob("*")) if frames_dir.is_dir() else []
        if not names:
            errors.append(f"{frames_dir}: missing or empty folder")
        for name in names:
            if not FRAME_NAME.match(name):
                errors.append(f"{frames_dir / name}: not a frame name NNNN.jpg")
            elif int(name[:-4]) % 12:
                warnings.append(f"{frames_dir / name}: frame index not a multiple of 12")
            elif not e and not data["movement"]["f_start"] <= int(name[:-4]) <= data["movement"]["f_end"]:
                warnings.append(
                    f"{frames_dir / name}: outside the movement's frames "
                    f"{data['movement']['f_start']}-{data['movement']['f_end']}"
                )
            if images:
                errors += check_image(frames_dir / name)[0]
        for side in key_frame_sides(m):
            size = (data["metadata"]["width"], data["metadata"]["height"]) if not e else None
            for sub, expected in (("key_frames", size), ("key_frames_resized", RESIZED_SIZE)):
                path = folder / sub / f"{m}_{side}.jpg"
                if not images:
                    errors += [] if path.is_file() else [f"{path}: missing file"]
                    continue
                e_img, mismatch = check_image(path, expected)
                errors += e_img + (mismatch if sub == "key_frames_resized" else [])
                warnings += mismatch if sub == "key_frames" else []  # metadata and image disagree
    return errors, warnings


def _check_test(root, images):
    errors, folder = [], root / "test_kaggle_frames"
    names = sorted(p.name for p in folder.glob("*")) if folder.is_dir() else []
    if not names:
        return [f"{folder}: missing or empty folder"], []
    expected = [f"{i:04d}.jpg" for i in range(len(names))]
    if names != expected:
        wrong = next(n for n, x in zip(names, expected, strict=True) if n != x)
        errors.append(f"{folder}: frames must be 0000.jpg ... {expected[-1]} without gaps; found {wrong}")
    if images:
        for name in names:
            errors += check_image(folder / name)[0]
    fmt = root / "kaggle_submission_format.csv"
    if not fmt.is_file():
        return errors + [f"{fmt}: missing file"], names
    with open(fmt, newline="") as f:
        rows = list(csv.reader(f))
    if not rows or rows[0] != ["Id", "Category"]:
        errors.append(f"{fmt}: header must be 'Id,Category', got {','.join(rows[0]) if rows else 'nothing'}")
    elif [r[0] if r else "" for r in rows[1:]] != names:  # a blank line reads as []
        errors.append(
            f"{fmt}: Ids must be the test frame file names in order ({len(names)} rows), "
            f"got {len(rows) - 1} rows"
        )
    elif any(r[1:] != ["predicted_label"] for r in rows[1:]):
        errors.append(f"{fmt}: Category must be the placeholder 'predicted_label' in every row")
    return errors, names


def _subject_of(path):
    """Subject id of an image path: the folder after its last trainval/ part (None if it has none).

    Read from the path itself, so absolute paths that exist outside the given root spelling
    (e.g. an absolute path with a relative root) still name their subject.
    """
    parts = Path(path).parts
    if "trainval" not in parts[:-1]:
        return None
    return parts[len(parts) - 1 - parts[::-1].index("trainval") + 1]


def check_root(root, images=True, progress=False):
    """Every problem of a data root.

    Inputs:
    - root: the data root (trainval/, test_kaggle_frames/, dataloader_files/, kaggle_submission_format.csv)
    - images: also decode every image (slower) and check the resized key frames are 224x448
    - progress: show a tqdm bar over subjects

    Returns a tuple of lists of messages: (errors, warnings).
    """
    root = Path(root)
    try:
        ids = subject_ids(root)
    except FormatError as e:
        return [str(e)], []
    errors, warnings = [], []
    for sid in tqdm(ids, desc="subjects", disable=not progress):
        if not re.fullmatch(r"\d{3,}", sid):
            warnings.append(f"{root / 'trainval' / sid}: subject folders are named by number (000 ... 299)")
        e, w = _check_subject(root / "trainval" / sid, images)
        errors, warnings = errors + e, warnings + w
    e, test_names = _check_test(root, images)
    errors += e
    seen = {}
    for name in DATALOADER_FILES:
        entries, e = _read_dataloader(root, name)
        errors += e
        if name.endswith("_test.txt"):
            if [p.name for p, _ in entries] != test_names and not e:
                errors.append(
                    f"{root / 'dataloader_files' / name}: must list test_kaggle_frames in file order"
                )
            continue
        split = name.rsplit("_", 1)[1][:-4]
        for path, _ in entries:
            seen.setdefault(_subject_of(path), set()).add(split)
    seen.pop(None, None)
    for sid, splits in sorted(seen.items()):
        if len(splits) > 1:
            errors.append(f"{root / 'dataloader_files'}: subject {sid} appears in both train and val files")
    return errors, warnings


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
