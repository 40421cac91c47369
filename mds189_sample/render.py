"""Drawing a clothed person over a room with PIL: backgrounds, lighting, shadows, sensor noise, JPEG."""

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from mds189_constants import JOINT_INDEX

SKIN = ((255, 224, 196), (241, 194, 165), (224, 172, 135), (198, 134, 96), (161, 102, 72), (120, 75, 50),
        (88, 57, 40))  # fmt: skip
HAIR = ((25, 20, 18), (60, 40, 28), (105, 75, 45), (190, 160, 110), (150, 150, 150), (140, 60, 30))
WALLS = ((225, 220, 205), (200, 205, 210), (185, 175, 160), (230, 230, 230), (160, 170, 150), (205, 185, 170))
FLOORS = ((150, 110, 70), (120, 95, 70), (170, 160, 150), (90, 90, 95), (60, 75, 110), (190, 180, 160))
NEUTRAL = ((30, 30, 35), (60, 60, 70), (110, 110, 115), (200, 200, 200), (40, 50, 80), (80, 70, 60))


@dataclass(frozen=True)
class Appearance:
    """A subject's look: colours as RGB tuples, clothing cut, and the room's light."""

    skin: tuple
    hair: tuple
    shirt: tuple
    pants: tuple
    shoes: tuple
    long_sleeves: bool
    shorts: bool
    light: float  # overall brightness
    tint: tuple  # per-channel colour temperature
    shadow_dir: tuple  # floor offset of the shadow per metre of height (x, z)


def _pick(rng, palette):
    return palette[rng.integers(len(palette))]


def _jitter(rng, colour, amount=12):
    return tuple(int(np.clip(c + rng.normal(0, amount), 0, 255)) for c in colour)


def _vivid(rng):
    hsv = Image.new(
        "HSV", (1, 1), (int(rng.integers(256)), int(rng.integers(40, 220)), int(rng.integers(60, 235)))
    )
    return hsv.convert("RGB").getpixel((0, 0))


def draw_appearance(rng):
    """Draw skin, hair and clothing colours and the room light of one subject."""
    t = rng.uniform(-0.07, 0.07)
    return Appearance(
        skin=_jitter(rng, _pick(rng, SKIN)),
        hair=_jitter(rng, _pick(rng, HAIR)),
        shirt=_vivid(rng) if rng.random() < 0.7 else _jitter(rng, _pick(rng, NEUTRAL)),
        pants=_jitter(rng, _pick(rng, NEUTRAL)) if rng.random() < 0.75 else _vivid(rng),
        shoes=_jitter(rng, _pick(rng, NEUTRAL)) if rng.random() < 0.8 else _vivid(rng),
        long_sleeves=bool(rng.random() < 0.4),
        shorts=bool(rng.random() < 0.35),
        light=float(rng.uniform(0.8, 1.1)),
        tint=(1 + t, 1.0, 1 - t),
        shadow_dir=tuple(rng.uniform(-0.6, 0.6, size=2)),
    )


@dataclass(frozen=True)
class Room:
    """A subject's room in world metres (y up, the camera on the +z side): a wall at z = -wall_gap
    behind the subject, a floor at y = 0 in front of it, and the light over the picture."""

    wall: tuple  # RGB
    floor: tuple  # RGB
    wall_gap: float  # metres from the subject (near x = z = 0) to the wall behind
    skirting: float  # height of the dark strip along the foot of the wall, metres
    planks: float  # floor planks or tiles per metre of depth (0: a plain floor)
    plank_shade: float
    decorations: tuple  # doors, windows, posters, shelves: ((x0, x1, y0, y1) metres on the wall, RGB)
    gradient: tuple  # the light's slope across the picture (x, y)


def draw_room(rng):
    """Draw a subject's room: wall and floor colours, floor pattern, wall decorations, uneven light."""
    wall = _jitter(rng, _pick(rng, WALLS), 15)
    floor = _jitter(rng, _pick(rng, FLOORS), 15)
    planks = float(rng.uniform(1.5, 4)) if rng.random() < 0.6 else 0.0
    decorations = []
    for _ in range(int(rng.integers(1, 5))):
        w, h = rng.uniform(0.4, 1.6), rng.uniform(0.3, 1.8)
        x0, top = rng.uniform(-3.0, 2.5), rng.uniform(1.2, 2.4)
        colour = _vivid(rng) if rng.random() < 0.5 else _jitter(rng, _pick(rng, NEUTRAL))
        decorations.append(((float(x0), float(x0 + w), float(max(0.0, top - h)), float(top)), colour))
    return Room(
        wall=wall,
        floor=floor,
        wall_gap=float(rng.uniform(0.8, 2.5)),
        skirting=float(rng.uniform(0.03, 0.1)),
        planks=planks,
        plank_shade=float(rng.uniform(0.88, 0.96)),
        decorations=tuple(decorations),
        gradient=tuple(rng.uniform(-0.35, 0.35, size=2)),
    )


def paint_room(room, camera, width, height, texture):
    """The room as seen by a camera: where each pixel's ray meets the floor or the wall.

    Inputs:
    - room: Room; camera: Camera for this image size; width, height: the image size
    - texture: float array of shape (height, width, 1), the surfaces' faint grain (standard normal)

    Returns a uint8 array of shape (height, width, 3), without the light (see ``light_field``).
    """
    u, v = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    rays = np.stack([(u - camera.cx) / camera.focal, (v - camera.cy) / camera.focal, np.ones_like(u)], -1)
    d = rays @ camera.R  # world directions (R's rows are the camera's axes)
    c = camera.centre
    z_wall = -room.wall_gap
    floor_z = np.where(d[..., 1] < 0, c[2] - c[1] / np.minimum(d[..., 1], -1e-12) * d[..., 2], -np.inf)
    on_floor = floor_z > z_wall  # the ray meets the floor in front of the wall
    t_wall = (z_wall - c[2]) / np.minimum(d[..., 2], -1e-12)
    wall_x, wall_y = c[0] + t_wall * d[..., 0], c[1] + t_wall * d[..., 1]
    img = np.where(on_floor[..., None], np.array(room.floor, float), np.array(room.wall, float))
    for (x0, x1, y0, y1), colour in room.decorations:
        img[~on_floor & (wall_x >= x0) & (wall_x <= x1) & (wall_y >= y0) & (wall_y <= y1)] = colour
    img[~on_floor & (wall_y < room.skirting)] = [0.8 * k for k in room.wall]
    if room.planks:  # planks or tiles, closer together in the distance
        stripes = np.zeros_like(on_floor)
        stripes[on_floor] = np.sin(2 * np.pi * room.planks * floor_z[on_floor]) > 0
        img[stripes] *= room.plank_shade
    img *= 1 + 0.03 * texture
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    return np.asarray(pil.filter(ImageFilter.GaussianBlur(1.0)))


def light_field(room, width, height):
    """The room's light over a picture: float array of shape (height, width, 1), multiplied in last."""
    y, x = np.mgrid[0:height, 0:width] / np.array([height, width])[:, None, None]
    gx, gy = room.gradient
    light = 1 + gx * (x - 0.5) + gy * (y - 0.5) - 0.25 * ((x - 0.5) ** 2 + (y - 0.5) ** 2)
    return light[..., None]


# (from joint, to joint, radius in metres, clothing part)
SEGMENTS = [
    (f"{S}{a}", f"{S}{b}", r, part)
    for S in "LR"
    for a, b, r, part in (
        ("Shoulder", "Elbow", 0.048, "upper"),
        ("Elbow", "Wrist", 0.037, "lower_arm"),
        ("Hip", "Knee", 0.075, "pants"),
        ("Knee", "Ankle", 0.055, "lower_leg"),
        ("Ankle", "Heel", 0.04, "shoes"),
        ("Heel", "BigToe", 0.04, "shoes"),
        ("BigToe", "SmallToe", 0.03, "shoes"),
    )
] + [("Neck", "Nose", 0.05, "skin")]


def _colour(look, part):
    return {
        "upper": look.shirt,
        "lower_arm": look.shirt if look.long_sleeves else look.skin,
        "pants": look.pants,
        "lower_leg": look.skin if look.shorts else look.pants,
        "shoes": look.shoes,
        "skin": look.skin,
    }[part]


def _shade(colour, k):
    return tuple(min(255, int(c * k)) for c in colour)


def _limb(draw, a, b, width, colour):
    """A limb from point a to point b (lists of 2 floats): a thick line with round ends."""
    draw.line([a[0], a[1], b[0], b[1]], fill=colour, width=max(1, round(width)))
    r = width / 2
    for x, y in (a, b):
        draw.ellipse([x - r, y - r, x + r, y + r], fill=colour)


_SEG = np.array([[JOINT_INDEX[a], JOINT_INDEX[b]] for a, b, _, _ in SEGMENTS])
_RADIUS = np.array([r for _, _, r, _ in SEGMENTS])


def draw_person(img, camera, joints, body, look):
    """Draw a person (painter's order: far parts first) and their floor shadow onto ``img`` in place.

    Inputs:
    - img: PIL RGB image
    - camera: Camera for this image size
    - joints: array of shape (25, 3), world joints in metres
    - body: Proportions (thicknesses scale with height); look: Appearance
    """
    J = JOINT_INDEX
    s = body.height / 1.7
    sun = np.array([look.shadow_dir[0], 0.0, look.shadow_dir[1]])
    head = (joints[J["Nose"]] + joints[J["LEar"]] + joints[J["REar"]]) / 3
    back = head + 0.3 * (head - joints[J["Nose"]]) + 0.1 * (head - joints[J["Neck"]])
    uv, depth = camera.project(np.vstack([joints, head, back]))
    px = camera.focal / depth  # pixels per metre at each point
    widths = (2 * _RADIUS * s * px[_SEG[:, 0]]).tolist()
    seg_depth = depth[_SEG].mean(axis=1).tolist()

    k = 4  # the shadow is drawn at a quarter of the size, then enlarged: soft edges for free
    shadow_pts, _ = camera.project(joints * [1, 0, 1] + joints[:, 1:2] * sun)
    pts = (shadow_pts / k).tolist()
    mask = Image.new("L", (img.size[0] // k, img.size[1] // k), 0)
    shadow = ImageDraw.Draw(mask)
    for (a, b), w in zip(
        _SEG.tolist() + [[J["Neck"], J["MidHip"]]], widths + [0.3 * s * px[J["Neck"]]], strict=True
    ):
        _limb(shadow, pts[a], pts[b], w / k, 110)
    img.paste((0, 0, 0), mask=mask.resize(img.size, Image.BILINEAR))

    P = uv.tolist()
    parts = []  # (depth, kind, payload)
    for (a, b), w, d, (_, _, _, part) in zip(_SEG.tolist(), widths, seg_depth, SEGMENTS, strict=True):
        parts.append((d, "limb", (P[a], P[b], w, _colour(look, part))))
        if part == "lower_arm":  # the hand, beyond the wrist
            hand = [P[b][0] + 0.35 * (P[b][0] - P[a][0]), P[b][1] + 0.35 * (P[b][1] - P[a][1])]
            parts.append((d, "limb", (P[b], hand, 0.06 * s * px[b], look.skin)))
    parts.append((float(depth[[J["Neck"], J["MidHip"]]].mean()), "torso", None))
    parts.append((float(depth[25]), "head", 0.105 * s * px[25]))
    mid = float(depth[:25].mean())
    draw = ImageDraw.Draw(img)
    for d, kind, payload in sorted(parts, key=lambda p: -p[0]):
        k = 1 - 0.25 * max(-1.0, min(1.0, (d - mid) / 0.4))  # nearer parts catch more light
        if kind == "limb":
            a, b, w, colour = payload
            _limb(draw, a, b, w, _shade(colour, k))
        elif kind == "torso":
            shirt = _shade(look.shirt, k)
            _limb(draw, P[J["Neck"]], P[J["MidHip"]], 0.3 * s * px[J["Neck"]], shirt)
            draw.polygon([tuple(P[J[n]]) for n in ("LShoulder", "RShoulder", "RHip", "LHip")], fill=shirt)
            _limb(draw, P[J["LHip"]], P[J["RHip"]], 0.16 * s * px[J["MidHip"]], _shade(look.pants, k))
        else:
            r = payload
            (cx, cy), (bx, by) = P[25], P[26]
            draw.ellipse(
                [bx - 1.03 * r, by - 1.03 * r, bx + 1.03 * r, by + 1.03 * r], fill=_shade(look.hair, k)
            )
            fx, fy = cx + 0.25 * (cx - bx), cy + 0.25 * (cy - by)
            draw.ellipse(
                [fx - 0.85 * r, fy - 0.85 * r, fx + 0.85 * r, fy + 0.85 * r], fill=_shade(look.skin, k)
            )


def finish(img, light, noise, quality):
    """Apply the room's light and sensor noise, and compress.

    Inputs:
    - img: PIL RGB image of shape (H, W)
    - light: float32 array of shape (H, W, 3), the light and colour temperature per pixel
    - noise: float32 array of shape (H, W, 1), sensor noise in grey levels
    - quality: JPEG quality

    Returns the JPEG file as bytes.
    """
    a = np.asarray(img, dtype=np.float32) * light + noise
    out = io.BytesIO()
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=quality)
    return out.getvalue()
