"""One subject from start to end: body, look, phone, the 8 movements, their frames and label files.

Everything a subject gets is drawn from its own seeded generators (``np.random.SeedSequence`` of the
build seed, the subject's kind and its index), so a build is the same whatever the number of workers.
"""

import functools
import io
import json
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from PIL import Image

from mds189_constants import (
    BILATERAL,
    FPS,
    MOVEMENTS,
    RESIZED_SIZE,
    SIDES,
    UNILATERAL,
    key_frame_side,
    key_frame_sides,
    video_frame_indices,
)
from mds189_sample import camera, labels, movements, render
from mds189_sample.body import draw_proportions

TRAINVAL, TEST = 0, 1
# The real set's known label faults, and how often the sample has each: per key frame (left and right
# of a unilateral movement, the one key frame of a bilateral one), or per unilateral movement (swap).
FAULTS = {"lr_keypoint_swap": 0.02, "key_frames_swapped": 0.02, "wrong_movement_key_frame": 0.006}


class Fault(NamedTuple):
    """One injected label fault: a row of sample_faults.csv (plus, for a wrong key frame, its source)."""

    movement: str
    side: str  # 'left' or 'right'; 'both' for key_frames_swapped
    kind: str  # a key of FAULTS
    source: str | None = None  # wrong_movement_key_frame: the movement the key frame shows


@dataclass
class Subject:
    """One simulated subject: everything but the images, which ``Painter`` renders from it."""

    body: object
    look: object
    setup: object
    performances: dict  # movement -> Performance
    cameras: dict  # movement -> Camera at key-frame size
    seeds: dict  # purpose -> SeedSequence
    faults: tuple  # Faults, sorted

    def has_fault(self, movement, side, kind):
        """Whether the subject has this (movement, side, kind) fault."""
        return any(f[:3] == (movement, side, kind) for f in self.faults)


def simulate(seed, kind, index):
    """Body, look, phone, every movement's motion and camera, and the label faults of one subject
    (no images yet). Trainval subject 000, the reference of gt_pose_align, has no faults."""
    body_ss, motion_ss, label_ss, render_ss, fault_ss = np.random.SeedSequence([seed, kind, index]).spawn(5)
    rng = np.random.default_rng(body_ss)
    body, look, setup = draw_proportions(rng), render.draw_appearance(rng), camera.draw_setup(rng)
    flexibility, tempo = rng.uniform(0.45, 1.0), rng.uniform(0.8, 1.3)
    rng = np.random.default_rng(motion_ss)
    performances, cameras = {}, {}
    for m in MOVEMENTS:
        lying = m in labels.FLOOR
        yaw = rng.choice([-1, 1]) * rng.normal(90, 20) if lying else setup.view + rng.normal(0, 8)
        depth = float(np.clip(flexibility + rng.normal(0, 0.12), 0.3, 1.05))
        performances[m] = perf = movements.perform(
            m, body, rng, float(yaw), depth, tempo * rng.uniform(0.9, 1.1)
        )
        cameras[m] = camera.frame_movement(setup, perf.joints, 0.14 * body.height, rng)
    seeds = {"labels": label_ss, "render": render_ss}
    faults = () if (kind, index) == (TRAINVAL, 0) else draw_faults(np.random.default_rng(fault_ss))
    return Subject(body, look, setup, performances, cameras, seeds, faults)


def video_frames(perf):
    """Indices of the kept video frames: every 12th frame of the video inside the movement's span."""
    return video_frame_indices(perf.number_frames, perf.f_start, perf.f_end)


def hand_labels(sub):
    """gt_pose and gt_pose_dict of every movement: {movement: (gt_pose, gt_pose_dict)}, with faults."""
    rng = np.random.default_rng(sub.seeds["labels"])
    out = {}
    for m in MOVEMENTS:
        perf, cam = sub.performances[m], sub.cameras[m]
        gt, clicks = {}, {}
        for side in SIDES:
            f_key = perf.sides[side][2]
            if side == "right" and m in BILATERAL:
                gt[side], clicks[side] = gt["left"], clicks["left"]
                continue
            uv, depth = cam.project(perf.at(f_key))
            swap = sub.has_fault(m, side, "lr_keypoint_swap")
            gt[side], clicks[side] = labels.hand_label(
                uv, depth, rng, sub.setup.width, sub.setup.height, swap
            )
        out[m] = (gt, clicks)
    return out


def draw_faults(rng):
    """The known faults of the real set, drawn at the FAULTS rates: a sorted tuple of Faults.

    The same number of draws whatever the rates, so changing a rate changes no other file.
    """
    faults = []
    for m in MOVEMENTS:
        for side in SIDES[:1] if m in BILATERAL else SIDES:
            if rng.random() < FAULTS["lr_keypoint_swap"]:
                faults.append(Fault(m, side, "lr_keypoint_swap"))
            wrong, shift = rng.random(), 1 + int(rng.integers(len(MOVEMENTS) - 1))
            if wrong < FAULTS["wrong_movement_key_frame"]:
                other = MOVEMENTS[(MOVEMENTS.index(m) + shift) % len(MOVEMENTS)]
                faults.append(Fault(m, side, "wrong_movement_key_frame", other))
        if m in UNILATERAL and rng.random() < FAULTS["key_frames_swapped"]:
            faults.append(Fault(m, "both", "key_frames_swapped"))
    return tuple(sorted(faults))


@functools.lru_cache(maxsize=4)
def reference_poses(seed):
    """gt_pose of trainval subject 000 for every movement: the target of gt_pose_align."""
    return {m: gt for m, (gt, _) in hand_labels(simulate(seed, TRAINVAL, 0)).items()}


def label_file(sub, m, gt, clicks, reference, rng):
    """The JSON object of labels/<m>.json."""
    perf, setup = sub.performances[m], sub.setup
    cam = sub.cameras[m].scaled(setup.video_scale)
    frames = video_frames(perf)
    ghost_frames = set()
    ghost = None
    if rng.random() < 0.15:  # a spurious extra person over a run of frames
        start = int(rng.integers(len(frames)))
        ghost_frames = set(frames[start : start + int(rng.integers(1, 6))])
        extent = np.array([setup.video_width, setup.video_height])
        ghost = (rng.uniform(-0.4, 0.4, 2) * extent, rng.random(25) < rng.uniform(0.2, 0.5))
    side_view = abs(abs(setup.view) - 90) < 30 or m in labels.FLOOR
    people, boxes = [], []
    for f in frames:
        uv, depth = cam.project(perf.at(f))
        p, b = labels.detect(
            uv,
            depth,
            rng,
            setup.video_width,
            setup.video_height,
            m,
            side_view,
            ghost if f in ghost_frames else None,
        )
        people.append(p)
        boxes.append(b)
    return {
        "movement": {
            "label": m,
            "bilateral": m in BILATERAL,
            "f_start": perf.f_start,
            "f_end": perf.f_end,
        },
        "frames": {
            side: {
                "f_start": a,
                "f_end": b,
                "f_key": k,
                "filename": f"key_frames/{m}_{key_frame_side(m, side)}.jpg",
            }
            for side, (a, b, k) in perf.sides.items()
        },
        "gt_pose": gt,
        "gt_pose_align": labels.align(gt, reference[m]),
        "gt_pose_dict": clicks,
        "pseudo_gt_raw": {
            "frames": frames,
            "num_people": [len(p) for p in people],
            "2d_keypoints": people,
            "bbox": boxes,
        },
        "metadata": {
            "width": setup.width,
            "height": setup.height,
            "video_width": setup.video_width,
            "video_height": setup.video_height,
            "video_width_scale": round(RESIZED_SIZE[0] / setup.width, 6),
            "video_height_scale": round(RESIZED_SIZE[1] / setup.height, 6),
            "number_frames": perf.number_frames,
            "fps": FPS,
            "video_scale": round(setup.video_scale, 6),
        },
    }


class Painter:
    """Renders one subject's frames: one room, seen by each movement's camera, its light, and a bank
    of sensor noise per image size."""

    def __init__(self, sub):
        self.sub = sub
        self.rng = np.random.default_rng(sub.seeds["render"])
        setup, look = sub.setup, sub.look
        self.room = render.draw_room(self.rng)
        self.sizes = {"key": (setup.width, setup.height), "video": (setup.video_width, setup.video_height)}
        self.texture = self.rng.standard_normal((setup.height, setup.width, 1))
        tint = np.asarray(look.tint) * look.light
        self.light = {
            kind: (render.light_field(self.room, *size) * tint).astype(np.float32)
            for kind, size in self.sizes.items()
        }
        self.noise = {
            kind: self.rng.normal(0, 1.5, (2 * h, 2 * w, 1)).astype(np.float32)
            for kind, (w, h) in self.sizes.items()
        }
        self.rooms = {}  # (movement, kind) -> uint8 array, the room behind that movement

    def _room(self, m, kind):
        """The room seen by movement m's camera; video frames: the key-frame picture scaled down."""
        if (m, kind) not in self.rooms:
            w, h = self.sizes["key"]
            room = render.paint_room(self.room, self.sub.cameras[m], w, h, self.texture)
            self.rooms[m, "key"] = room
            video = Image.fromarray(room).resize(self.sizes["video"], Image.BILINEAR)
            self.rooms[m, "video"] = np.asarray(video)
        return self.rooms[m, kind]

    def image(self, m, frame, kind):
        """A frame of movement m as JPEG bytes; kind 'key' (original size) or 'video' (video size)."""
        sub = self.sub
        cam = sub.cameras[m] if kind == "key" else sub.cameras[m].scaled(sub.setup.video_scale)
        room = self._room(m, kind)
        img = Image.fromarray(room)
        render.draw_person(img, cam, sub.performances[m].at(frame), sub.body, sub.look)
        h, w = room.shape[:2]
        dy, dx = self.rng.integers(h), self.rng.integers(w)
        return render.finish(img, self.light[kind], self.noise[kind][dy : dy + h, dx : dx + w],
                             sub.setup.jpeg_quality)


def resized(jpeg, quality):
    """A key frame resized to 224x448, as JPEG bytes."""
    out = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).convert("RGB").resize(RESIZED_SIZE, Image.BILINEAR).save(
        out, "JPEG", quality=quality
    )
    return out.getvalue()


def key_frame_source(sub, m, side):
    """(movement, side) whose key frame key_frames/<m>_<side>.jpg shows, after the subject's faults."""
    lr = "left" if side == "both" else side
    if sub.has_fault(m, "both", "key_frames_swapped"):
        lr = {"left": "right", "right": "left"}[lr]
    wrong = [f.source for f in sub.faults if f[:3] == (m, lr, "wrong_movement_key_frame")]
    return (wrong[0], "left") if wrong else (m, lr)


def write_trainval(root, seed, index):
    """Write trainval/<id>/ for one subject.

    Returns a dict with 'key' and 'video': lists of (path relative to root, label), and 'faults':
    a list of (subject id, movement, side, fault).
    """
    sid = f"{index:03d}"
    sub = simulate(seed, TRAINVAL, index)
    hand, reference = hand_labels(sub), reference_poses(seed)
    base = root / "trainval" / sid
    painter = Painter(sub)
    rng = np.random.default_rng(np.random.SeedSequence([seed, TRAINVAL, index, 1]))
    records = {"key": [], "video": [], "faults": [(sid, *f[:3]) for f in sub.faults]}
    for m in MOVEMENTS:
        gt, clicks = hand[m]
        (base / "labels").mkdir(parents=True, exist_ok=True)
        data = label_file(sub, m, gt, clicks, reference, rng)
        (base / "labels" / f"{m}.json").write_text(json.dumps(data))
        (base / "frames" / m).mkdir(parents=True, exist_ok=True)
        for f in video_frames(sub.performances[m]):
            rel = f"trainval/{sid}/frames/{m}/{f:04d}.jpg"
            (root / rel).write_bytes(painter.image(m, f, "video"))
            records["video"].append((rel, m))
        for side in key_frame_sides(m):
            src_m, src_side = key_frame_source(sub, m, side)
            jpeg = painter.image(src_m, sub.performances[src_m].sides[src_side][2], "key")
            name = f"{m}_{side}.jpg"
            for folder, payload in (
                ("key_frames", jpeg),
                ("key_frames_resized", resized(jpeg, sub.setup.jpeg_quality)),
            ):
                (base / folder).mkdir(exist_ok=True)
                (base / folder / name).write_bytes(payload)
            records["key"].append((f"trainval/{sid}/key_frames_resized/{name}", f"{m}_{side}"))
    return records


def render_test(seed, index):
    """Video frames of one held-out subject: a list of (JPEG bytes, movement)."""
    sub = simulate(seed, TEST, index)
    painter = Painter(sub)
    return [(painter.image(m, f, "video"), m) for m in MOVEMENTS for f in video_frames(sub.performances[m])]
