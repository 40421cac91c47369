"""Reading and validating single files of an MDS189 data root: label JSON, keypoint vectors, image
lists, images, subject ids, the Kaggle format file.

Each check returns messages ``<path>: <what>`` (errors, and warnings for what the real set is known to
contain: keypoints outside the image, inconsistent metadata, unlabelled poses); the readers
(``read_label_file``, ``read_image_list``, ``subject_ids``) raise ``FormatError`` naming the file and
every error. The loaders (``data_utils.load_mds189``, ``visualize``, ``problem4.mds189``) read through
these, and ``python -m mds189_check`` runs them over a whole root with the checks across files, so a
data set broken here fails in both with the same message. ``check_format_file`` is shared likewise by
the checker and ``problem4``'s submission writer.
"""

import csv
import json
import math
import re
from itertools import zip_longest
from pathlib import Path
from typing import NamedTuple

from PIL import Image

from mds189_constants import (
    BILATERAL,
    FPS,
    FRAME_STEP,
    JOINTS,
    KEY_FRAME_LABELS,
    KEYPOINT_DIM,
    MOVEMENTS,
    PLACEHOLDER,
    RESIZED_SIZE,
    SIDES,
    key_frame_side,
    video_frame_indices,
)

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
_METADATA_INTS = ("width", "height", "video_width", "video_height", "number_frames", "fps")
IMAGE_LABELS = KEY_FRAME_LABELS + MOVEMENTS  # the labels an image list may hold, the test list's aside
DATALOADER_FILES = {  # file -> the labels it may hold
    "keyframe_data_train.txt": KEY_FRAME_LABELS,
    "keyframe_data_val.txt": KEY_FRAME_LABELS,
    "videoframe_data_train.txt": MOVEMENTS,
    "videoframe_data_val.txt": MOVEMENTS,
    "videoframe_data_test.txt": (PLACEHOLDER,),
}


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
    labelled = sum(values[2::3]) if hand_labelled and not errors else 2
    if labelled < 2:
        what = "no labelled joint (every c = 0)" if labelled == 0 else "one labelled joint"
        warnings.append(f"{where}: {what}; the pose cannot be normalised")
    return errors, warnings


# ---- labels/<movement>.json ------------------------------------------------------------------------


class LabelFacts(NamedTuple):
    """What a label file says about its images, where that part of it is valid (else None)."""

    size: tuple | None  # key frame (width, height)
    video_size: tuple | None  # video frame (width, height)
    frames: list | None  # the indices frames/<movement>/ must hold


def _check_span(span, key, where, n, with_key, within=None):
    """Problems of one frame span: integer f_start (<= f_key) <= f_end < number_frames n, inside
    the (f_start, f_end) span ``within`` if given."""
    fields = ("f_start", "f_end") + (("f_key",) if with_key else ())
    if not isinstance(span, dict) or not all(_is_int(span.get(f)) for f in fields):
        return [f"{where}: {key} needs integer {', '.join(fields)}"]
    errors = []
    if not 0 <= span["f_start"] <= span.get("f_key", span["f_start"]) <= span["f_end"]:
        errors.append(f"{where}: {key} frames out of order: {span}")
    if n is not None and span["f_end"] >= n:
        errors.append(f"{where}: {key}.f_end {span['f_end']} >= metadata.number_frames {n}")
    if within is not None and not within[0] <= span["f_start"] <= span["f_end"] <= within[1]:
        errors.append(
            f"{where}: {key} frames {span['f_start']}-{span['f_end']} lie outside the movement's "
            f"{within[0]}-{within[1]}"
        )
    return errors


def _check_movement(mv, where, movement, n):
    """(errors, the movement's (f_start, f_end) or None)."""
    if not isinstance(mv, dict) or mv.get("label") != movement:
        got = mv.get("label") if isinstance(mv, dict) else mv
        return [f"{where}: movement.label is {got!r}, expected {movement!r}"], None
    errors = []
    if mv.get("bilateral") is not (movement in BILATERAL):
        errors.append(
            f"{where}: movement.bilateral is {mv.get('bilateral')!r}, expected {movement in BILATERAL}"
        )
    span_errors = _check_span(mv, "movement", where, n, with_key=False)
    return errors + span_errors, None if span_errors else (mv["f_start"], mv["f_end"])


def _check_frames(frames, where, movement, n, span):
    if not isinstance(frames, dict):
        return [f"{where}: frames is not an object"]
    errors = []
    for side in SIDES:
        errors += _check_span(frames.get(side), f"frames.{side}", where, n, with_key=True, within=span)
        expected = f"key_frames/{movement}_{key_frame_side(movement, side)}.jpg"
        if isinstance(frames.get(side), dict) and frames[side].get("filename") != expected:
            errors.append(
                f"{where}: frames.{side}.filename is {frames[side].get('filename')!r}, expected {expected!r}"
            )
    if movement in BILATERAL and frames.get("left") != frames.get("right"):
        errors.append(f"{where}: frames.left and frames.right differ; a bilateral movement has one key frame")
    return errors


def _check_metadata(meta, where):
    """(errors, warnings, metadata or None when it is unusable)."""
    if not isinstance(meta, dict):
        return [f"{where}: metadata is not an object"], [], None
    missing = [k for k in METADATA_KEYS if k not in meta]
    if missing:
        return [f"{where}: metadata lacks {', '.join(missing)}"], [], None
    errors = [
        f"{where}: metadata.{k} is {meta[k]!r}, expected a positive integer"
        for k in _METADATA_INTS
        if not (_is_int(meta[k]) and meta[k] > 0)
    ] + [
        f"{where}: metadata.{k} is {meta[k]!r}, expected a positive number"
        for k in METADATA_KEYS
        if k not in _METADATA_INTS and not (_is_number(meta[k]) and meta[k] > 0)
    ]
    if errors:
        return errors, [], None
    if meta["fps"] != FPS:
        errors.append(f"{where}: metadata.fps is {meta['fps']}, expected {FPS}")
    warnings = [
        f"{where}: metadata.video_{d}_scale * {d} = {meta[f'video_{d}_scale'] * meta[d]:.2f}, "
        f"expected {target} (the resized key frames)"
        for d, target in zip(("width", "height"), RESIZED_SIZE, strict=True)
        if abs(meta[f"video_{d}_scale"] * meta[d] - target) > 0.01 * target
    ]
    return errors, warnings, meta


def frame_list(frames, suffix="", limit=5):
    """'0072, 0084 and 3 more': frame indices zero-padded, each with the suffix."""
    text = ", ".join(f"{f:04d}{suffix}" for f in frames[:limit])
    return text + (f" and {len(frames) - limit} more" if len(frames) > limit else "")


def _bbox_mismatch(person, box):
    """Whether a bbox fails to fit its person's visible keypoints (a tolerance of 2 px + 5% of the extent)."""
    seen = [(person[3 * j], person[3 * j + 1]) for j in range(len(JOINTS)) if person[3 * j + 2] > 0]
    if not seen:
        return False
    xs, ys = zip(*seen, strict=True)
    extent = (min(xs), min(ys), max(xs), max(ys))
    tol = 2 + 0.05 * max(extent[2] - extent[0], extent[3] - extent[1])
    return any(abs(b - e) > tol for b, e in zip(box, extent, strict=True))


def _check_pseudo(raw, where, expected):
    """(errors, warnings) of pseudo_gt_raw; ``expected``: the video frames its frames must be, or None."""
    names = ("frames", "num_people", "2d_keypoints", "bbox")
    if not isinstance(raw, dict) or any(k not in raw for k in names):
        return [f"{where}: pseudo_gt_raw needs frames, num_people, 2d_keypoints and bbox"], []
    lists = [raw[k] for k in names]
    if not all(isinstance(v, list) for v in lists) or len({len(v) for v in lists}) != 1:
        return [
            f"{where}: pseudo_gt_raw frames, num_people, 2d_keypoints and bbox must be lists of one length"
        ], []
    errors, loose = [], []
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
            e = check_keypoints(person, f"{at} person {p}", hand_labelled=False)[0]
            errors += e
            if not (
                isinstance(box, list)
                and len(box) == 4
                and all(map(_is_number, box))
                and box[0] <= box[2]
                and box[1] <= box[3]
            ):
                errors.append(f"{at} person {p}: bbox {box!r} is not [xmin, ymin, xmax, ymax]")
            elif not e and _bbox_mismatch(person, box):
                loose.append(f"{at} person {p}: bbox {box} does not fit the person's visible keypoints")
    if expected is not None and not errors and raw["frames"] != expected:
        missing = sorted(set(expected) - set(raw["frames"]))
        extra = sorted(set(raw["frames"]) - set(expected))
        what = "; ".join(
            [f"missing {frame_list(missing)}"] * bool(missing)
            + [f"extra {frame_list(extra)}"] * bool(extra)
        )
        errors.append(
            f"{where}: pseudo_gt_raw.frames are not the movement's video frames "
            f"(every {FRAME_STEP}th frame of its span): {what or 'out of order'}"
        )
    warnings = [loose[0] + (f" ({len(loose)} such in this file)" if len(loose) > 1 else "")] if loose else []
    return errors, warnings


def check_label_facts(data, where, movement, keys):
    """check_label_data, also returning what the file says about its images: (errors, warnings, LabelFacts).

    ``mds189_check`` compares those facts with the subject's folders.
    """
    unknown = sorted(set(keys) - set(LABEL_KEYS))
    if unknown:
        raise ValueError(f"unknown label keys {unknown}; expected some of {', '.join(LABEL_KEYS)}")
    nothing = LabelFacts(None, None, None)
    if not isinstance(data, dict):
        return [f"{where}: expected a JSON object"], [], nothing
    keys = [k for k in LABEL_KEYS if k in keys]
    missing = [k for k in keys if k not in data]
    if missing:
        return [f"{where}: missing key{'s' * (len(missing) > 1)} {', '.join(missing)}"], [], nothing
    errors, warnings, meta = [], [], None
    if "metadata" in keys:
        errors, warnings, meta = _check_metadata(data["metadata"], where)
    n = meta["number_frames"] if meta else None
    span = None
    if "movement" in keys:
        e, span = _check_movement(data["movement"], where, movement, n)
        errors += e
    if "frames" in keys:
        errors += _check_frames(data["frames"], where, movement, n, span)
    size = (meta["width"], meta["height"]) if meta else None
    for key in ("gt_pose", "gt_pose_align", "gt_pose_dict"):
        if key not in keys:
            continue
        if not isinstance(data[key], dict) or any(s not in data[key] for s in SIDES):
            errors.append(f"{where}: {key} needs 'left' and 'right'")
            continue
        for side in SIDES:
            if key == "gt_pose_dict":  # the raw export's inner format is undocumented: never blocks loading
                warnings += _check_clicks(data[key][side], f"{where}: {key}.{side}")
            else:
                e, w = check_keypoints(
                    data[key][side], f"{where}: {key}.{side}", size=size if key == "gt_pose" else None
                )
                errors, warnings = errors + e, warnings + w
    frames = video_frame_indices(n, *span) if n and span else None
    if "pseudo_gt_raw" in keys:
        e, w = _check_pseudo(data["pseudo_gt_raw"], where, frames)
        errors, warnings = errors + e, warnings + w
    video_size = (meta["video_width"], meta["video_height"]) if meta else None
    return errors, warnings, LabelFacts(size, video_size, frames)


def check_label_data(data, where, movement, keys=LABEL_KEYS):
    """Problems of one decoded labels/<movement>.json, in the given top-level keys.

    ``gt_pose_dict`` (the labelling tool's raw export, unused by the loaders) only has to hold
    'left' and 'right'; clicks that are not lists of [x, y] pairs per BODY_25 joint are warnings.
    Checks that need the metadata (spans against number_frames, keypoints inside the image,
    pseudo_gt_raw.frames against the video frames of the span) run only when ``metadata`` is checked.

    Inputs:
    - data: the decoded JSON; where: text naming it in messages (the file); movement: its movement
    - keys: the keys to check, among LABEL_KEYS (a loader passes the ones it reads)

    Returns a tuple of lists of messages: (errors, warnings).
    """
    return check_label_facts(data, where, movement, keys)[:2]


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
      it reads, so that faults elsewhere, e.g. in pseudo_gt_raw or metadata, do not block it)

    Returns the decoded dict.
    """
    data, errors = load_json(path)
    if not errors:
        errors = check_label_data(data, str(path), Path(path).stem, keys)[0]
    if errors:
        raise FormatError("\n".join(errors))
    return data


# ---- subjects ----------------------------------------------------------------------------------------


def is_subject_id(name):
    """Whether a trainval/ folder name is a subject id: all ASCII digits ('000', '042', '1000')."""
    return re.fullmatch(r"[0-9]+", name) is not None


def subject_key(sid):
    """Sort key of subject ids: by number ('999' before '1000'), any other name after them."""
    return (0, int(sid), sid) if is_subject_id(sid) else (1, 0, sid)


def subject_ids(root):
    """Subject ids under <root>/trainval: its all-digit folders, sorted by number.

    Other folders (__MACOSX, backups) are not subjects; ``mds189_check.check_root`` warns about them.
    Raises FormatError if there is no subject.
    """
    trainval = Path(root) / "trainval"
    if not trainval.is_dir():
        raise FormatError(f"{trainval}: missing folder (is {root} an MDS189 data root?)")
    ids = [p.name for p in trainval.iterdir() if p.is_dir() and is_subject_id(p.name)]
    if not ids:
        raise FormatError(f"{trainval}: no subject folders (folders named by number: 000, 001, ...)")
    return sorted(ids, key=subject_key)


# ---- image lists (dataloader_files/*.txt) -------------------------------------------------------------


class ListedImage(NamedTuple):
    """One line of an image list."""

    line: int  # line number in the file, from 1
    listed: str  # the image path as written
    path: Path  # the file it points to (``resolve``)
    label: str


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


def read_image_list(path, root, allowed_labels=None):
    """Read an image list: header-less CSV, one ``image_path,label`` line per image (blank lines skipped).

    Inputs:
    - path: the list, e.g. <root>/dataloader_files/keyframe_data_train.txt
    - root: the data root that relative image paths start from (see ``resolve``)
    - allowed_labels: the labels it may hold; None for those of its name in DATALOADER_FILES, or for
      another name any movement or key-frame label (the test list's placeholder ``label`` only where
      allowed: in videoframe_data_test.txt)

    Returns a list of ListedImage, in file order; whether the images exist is not checked here.
    Raises FormatError (a ValueError) listing every bad line as ``file:line: what``.
    """
    entries, errors = parse_image_list(Path(path), Path(root), allowed_labels)
    if errors:
        raise FormatError("\n".join(errors))
    return entries


def parse_image_list(path, root, allowed):
    """read_image_list without raising: (entries, errors); path and root are Paths.

    ``mds189_check`` reports the errors of every list at once.
    """
    allowed = DATALOADER_FILES.get(path.name, IMAGE_LABELS) if allowed is None else tuple(allowed)
    entries, errors = [], []
    try:
        with open(path, newline="") as f:
            rows = csv.reader(f)
            for row in rows:
                if not "".join(row).strip():
                    continue
                at = f"{path}:{rows.line_num}"
                if len(row) != 2 or not row[0].strip():
                    errors.append(f"{at}: expected 'image_path,label', got {','.join(row)!r}")
                    continue
                listed, label = row[0].strip(), row[1].strip()
                if label in allowed:
                    entries.append(ListedImage(rows.line_num, listed, resolve(root, listed), label))
                elif label == PLACEHOLDER:
                    errors.append(
                        f"{at}: the placeholder label {PLACEHOLDER!r} belongs to the test list only; "
                        f"{path.name} needs one of {', '.join(allowed)}"
                    )
                else:
                    errors.append(f"{at}: unknown label {label!r}; expected one of {', '.join(allowed)}")
    except FileNotFoundError:
        return [], [f"{path}: missing file"]
    except (csv.Error, UnicodeDecodeError) as e:
        return [], [f"{path}: not a CSV text file: {e}"]
    if not entries and not errors:
        errors.append(f"{path}: no 'image_path,label' lines")
    return entries, errors


# ---- images -----------------------------------------------------------------------------------------------


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




# ---- kaggle_submission_format.csv ------------------------------------------------------------------------

FORMAT_HEADER = ("Id", "Category")
FORMAT_PLACEHOLDER = "predicted_label"  # the Category of every row of the course's format file


def first_difference(got, expected):
    """Index of the first difference of two lists (None if they are equal)."""
    return next((i for i, (a, b) in enumerate(zip_longest(got, expected)) if a != b), None)


def what_differs(i, got, expected):
    """Text for the first difference (at index i) of a list of names from the expected one."""
    if i >= len(got):
        return f"it stops after {len(got)} entries, before {expected[i]}"
    if i >= len(expected):
        return f"{got[i]!r} is one too many ({len(got)} entries)"
    return f"found {got[i]!r} where {expected[i]} belongs"


def check_format_file(path, ids, placeholder=None):
    """Problems of a Kaggle format file (``kaggle_submission_format.csv``) against the test frames.

    Inputs:
    - path: the format file: header Id,Category, then one row per test frame, in order
    - ids: the N test frame file names ('0000.jpg', ...) its Ids must be, in order
    - placeholder: the Category every row must hold (the course's file: ``FORMAT_PLACEHOLDER``), or
      None to leave that column unchecked (a submission only takes the Ids from it)

    Returns a list of messages, empty when the file fits: a missing or unreadable file, the header, the
    first row whose Id differs (``<path>:<line>``: out of order, missing, one too many, a blank line),
    a Category other than the placeholder. Nothing past the first of these is checked.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # a byte-order mark (Excel) is dropped
            rows = list(csv.reader(f))
    except FileNotFoundError:
        return [f"{path}: missing file"]
    except (OSError, csv.Error, UnicodeDecodeError) as e:
        return [f"{path}: not a CSV text file: {e}"]
    if not rows or tuple(rows[0]) != FORMAT_HEADER:
        got = ",".join(rows[0]) if rows else "nothing"
        return [f"{path}: header must be '{','.join(FORMAT_HEADER)}', got {got}"]
    ids, got = list(ids), [r[0] if r else "" for r in rows[1:]]  # a blank line reads as []
    i = first_difference(got, ids)
    if i is not None:
        where = f"{path}:{i + 2}" if i < len(got) else str(path)
        what = "a blank line" if i < len(got) and not rows[i + 1] else what_differs(i, got, ids)
        return [f"{where}: Ids must be the test frame file names in file order ({len(ids)} rows); {what}"]
    if placeholder is not None and any(r[1:] != [placeholder] for r in rows[1:]):
        return [f"{path}: Category must be the placeholder {placeholder!r} in every row"]
    return []
