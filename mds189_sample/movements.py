"""The 8 movements as joint-angle programs over time, modelled on the Functional Movement Screen.

Each program returns a start pose and a peak pose for one side ('l', 'r' or 'both'), drawn with
the subject's depth and form. ``perform`` strings them into a video: rest, descent, hold at the peak
(the key frame), ascent, with unilateral movements done left then right.

- reach: overhead reach with both arms, looking up.       - squat: FMS deep squat, dowel overhead.
- inline: FMS inline lunge (feet in line, dowel behind the back; side = front leg).
- lunge: forward step lunge, hands on hips (side = stepping leg).
- hamstrings: FMS active straight-leg raise, lying on the back (side = raised leg).
- stretch: standing quadriceps stretch, hand holding the ankle (side = stretched leg).
- deadbug: lying on the back, extending one leg and the opposite arm (side = extended leg).
- pushup: FMS trunk-stability push-up (both).
"""

from dataclasses import dataclass

import numpy as np

from mds189_constants import BILATERAL, FPS, JOINT_INDEX
from mds189_sample.body import POSE_KEYS, SIDES, joints_3d, place, rot_x, rot_z


def _aim(d, sign):
    """(elevation, plane) in degrees of a direction d in its parent frame, for a side with x sign ``sign``."""
    d = d / np.linalg.norm(d)
    return np.degrees(np.arccos(np.clip(-d[1], -1, 1))), np.degrees(np.arctan2(sign * d[0], d[2]))


def _two_link(d, len1, len2, pole):
    """Directions of two segments of lengths len1, len2 reaching vector d; the joint bends towards pole."""
    dist = min(np.linalg.norm(d), 0.995 * (len1 + len2))
    u = d / np.linalg.norm(d)
    v = pole - (pole @ u) * u
    v = v / np.linalg.norm(v)
    a = np.arccos(np.clip((len1**2 + dist**2 - len2**2) / (2 * len1 * dist), -1, 1))
    joint = len1 * (np.cos(a) * u + np.sin(a) * v)
    return joint / len1, (dist * u - joint) / np.linalg.norm(dist * u - joint)


def _set(p, s, limb, elev, plane):
    p[f"{s}_{limb}_elev"], p[f"{s}_{limb}_plane"] = float(elev), float(plane)


def _reach_arm(body, p, s, target, pole):
    """Set side s's arm so the wrist reaches ``target`` (pelvis frame), the elbow bending towards pole."""
    trunk = rot_x(p["trunk_flex"]) @ rot_z(-p["trunk_side"])
    J = joints_3d(body, {**p, "pitch": 0.0, "yaw": 0.0})
    shoulder = J[JOINT_INDEX[f"{s.upper()}Shoulder"]]
    upper, fore = _two_link(
        trunk.T @ (target - shoulder), body.upper_arm, body.forearm, np.asarray(pole, float)
    )
    _set(p, s, "arm", *_aim(upper, SIDES[s]))
    _set(p, s, "fore", *_aim(fore, SIDES[s]))


def _leg_to(body, p, s, ankle, pole=(0.0, 0.0, 1.0)):
    """Set side s's thigh and shank so the ankle reaches ``ankle`` (pelvis frame), knee towards pole."""
    hip = np.array([SIDES[s] * body.hip_width / 2, 0.0, 0.0])
    thigh, shank = _two_link(np.asarray(ankle) - hip, body.femur, body.tibia, np.asarray(pole, float))
    _set(p, s, "thigh", *_aim(thigh, SIDES[s]))
    _set(p, s, "shank", *_aim(shank, SIDES[s]))


def standing():
    """Relaxed standing pose: arms hanging, feet hip-width, feet flat."""
    p = dict.fromkeys(POSE_KEYS, 0.0)
    for s in SIDES:
        _set(p, s, "arm", 8, 80)
        _set(p, s, "fore", 14, 40)
        _set(p, s, "thigh", 2, 90)
        _set(p, s, "shank", 1, 90)
        _set(p, s, "foot", 90, 0)
        p[f"{s}_foot_flat"] = 1.0
    return p


def supine(p):
    """Lying on the back: the pose's body frame turned face-up, feet no longer flat on the floor."""
    p.update(pitch=-90.0, l_foot_flat=0.0, r_foot_flat=0.0)
    for s in SIDES:
        _set(p, s, "foot", 75, 10)
    return p


def _other(side):
    return "r" if side == "l" else "l"


def reach(body, rng, side, depth):
    """Overhead reach (most subjects) or a forward reach, with a little trunk lean."""
    start, peak = standing(), standing()
    overhead = rng.random() < 0.65
    for s in SIDES:
        elev = (150 + 25 * depth if overhead else 75 + 20 * depth) + rng.normal(0, 4)
        _set(peak, s, "arm", elev, rng.uniform(0, 25))
        _set(peak, s, "fore", elev + rng.uniform(-5, 10), rng.uniform(0, 20))
    if overhead:
        peak.update(trunk_flex=-rng.uniform(2, 12) * depth, neck_flex=-rng.uniform(10, 30))
    else:
        peak.update(trunk_flex=rng.uniform(5, 30) * depth, neck_flex=rng.uniform(-10, 10))
    return start, peak


def squat(body, rng, side, depth):
    """Deep squat, dowel pressed overhead (FMS) or, for some subjects, arms held out in front."""
    start, peak = standing(), standing()
    stance = rng.uniform(6, 10)
    overhead = rng.random() < 0.65
    for p in (start, peak):
        for s in SIDES:
            elev = rng.uniform(160, 176) if overhead else rng.uniform(70, 100)
            _set(p, s, "arm", elev, rng.uniform(0, 15))
            _set(p, s, "fore", elev + rng.uniform(-5, 5), rng.uniform(0, 15))
            _set(p, s, "thigh", stance, 90)
            _set(p, s, "shank", stance - 1, 90)
    if not overhead:
        for s in SIDES:
            _set(start, s, "arm", rng.uniform(3, 15), 60)
            _set(start, s, "fore", rng.uniform(5, 20), 30)
    knees_out = rng.uniform(15, 35)
    for s in SIDES:
        thigh = 50 + 70 * depth + rng.normal(0, 4)
        _set(peak, s, "thigh", thigh, knees_out)
        _set(peak, s, "shank", -(10 + 30 * depth), knees_out / 3)
        if overhead:
            _set(peak, s, "arm", peak[f"{s}_arm_elev"] - rng.uniform(0, 25) * (1.2 - depth), 10)
    peak.update(trunk_flex=20 + rng.uniform(5, 35) * (1.3 - depth), neck_flex=-rng.uniform(10, 30))
    return start, peak


def _split_stance(body, p, front, stride, drop, back_heel_up):
    """Legs in a split stance: front ankle ``stride`` ahead of the back one, hips ``drop`` metres lower."""
    leg = body.femur + body.tibia
    height = np.sqrt(leg**2 - (stride / 2) ** 2) * 0.995 - drop
    _leg_to(body, p, front, [SIDES[front] * body.hip_width / 2, -height, stride * 0.5])
    _leg_to(body, p, _other(front), [SIDES[_other(front)] * body.hip_width / 2, -height, -stride * 0.5])
    p[f"{_other(front)}_foot_flat"] = 1 - back_heel_up
    _set(p, _other(front), "foot", 60, 0)


def inline(body, rng, side, depth):
    """FMS inline lunge: feet in line a tibia apart, dowel behind the back, back knee down to the floor."""
    start, peak = standing(), standing()
    leg = body.femur + body.tibia
    stride = body.tibia + body.foot * rng.uniform(0.5, 1.2)
    _split_stance(body, start, side, stride, 0.0, 0.0)
    _split_stance(body, peak, side, stride, leg * (0.2 + 0.25 * depth), 0.8)
    top, low = _other(side), side  # the dowel behind the back: the arm opposite the front leg on top
    arms = {
        (top, "arm"): (rng.uniform(120, 165), rng.uniform(40, 90)),
        (top, "fore"): (rng.uniform(10, 40), rng.uniform(140, 180)),
        (low, "arm"): (rng.uniform(10, 35), rng.uniform(120, 170)),
        (low, "fore"): (rng.uniform(60, 100), -rng.uniform(90, 140)),
    }
    for p in (start, peak):
        for (s, limb), angles in arms.items():
            _set(p, s, limb, *angles)
        p["trunk_flex"] = rng.uniform(-3, 10)
    return start, peak


def lunge(body, rng, side, depth):
    start, peak = standing(), standing()
    leg = body.femur + body.tibia
    _split_stance(body, peak, side, leg * rng.uniform(0.75, 1.15), leg * (0.15 + 0.25 * depth), 0.9)
    style = rng.choice(["hips", "hanging", "forward"], p=[0.5, 0.3, 0.2])
    for s in SIDES:  # hands on the hips (elbows out), hanging, or held out in front
        if style == "hips":
            arm, fore = (
                (rng.uniform(25, 40), rng.uniform(95, 130)),
                (rng.uniform(80, 110), -rng.uniform(20, 60)),
            )
        elif style == "hanging":
            arm, fore = (rng.uniform(3, 15), rng.uniform(30, 90)), (rng.uniform(5, 25), rng.uniform(0, 40))
        else:
            arm, fore = (
                (rng.uniform(70, 95), rng.uniform(0, 20)),
                (rng.uniform(80, 110), -rng.uniform(20, 70)),
            )
        for p in (start, peak):
            _set(p, s, "arm", *arm)
            _set(p, s, "fore", *fore)
    peak.update(trunk_flex=rng.uniform(-5, 15))
    return start, peak


def hamstrings(body, rng, side, depth):
    start = supine(standing())
    for s in SIDES:
        _set(start, s, "arm", rng.uniform(5, 20), 90)
        _set(start, s, "fore", rng.uniform(5, 20), 60)
        _set(start, s, "thigh", 1, 90)
        _set(start, s, "shank", 0, 90)
    peak = dict(start)
    raise_ = 45 + 40 * depth + rng.normal(0, 5)
    _set(peak, side, "thigh", raise_, 0)
    _set(peak, side, "shank", raise_ - rng.uniform(0, 12), 0)
    _set(peak, side, "foot", raise_ + rng.uniform(60, 85), 0)
    peak["neck_flex"] = rng.uniform(0, 15)
    return start, peak


def stretch(body, rng, side, depth):
    start, peak = standing(), standing()
    _set(peak, side, "thigh", -rng.uniform(0, 15) * depth, rng.uniform(-10, 10))
    _set(peak, side, "shank", -(120 + 45 * depth), 0)
    _set(peak, side, "foot", -rng.uniform(60, 100), 0)
    peak[f"{side}_foot_flat"] = 0.0
    peak.update(trunk_flex=rng.uniform(0, 12), trunk_side=SIDES[side] * rng.uniform(-4, 4))
    J = joints_3d(body, peak)
    _reach_arm(body, peak, side, J[JOINT_INDEX[f"{side.upper()}Ankle"]], pole=(SIDES[side], 0.0, -0.3))
    _set(peak, _other(side), "arm", rng.uniform(15, 80), rng.uniform(60, 100))
    _set(peak, _other(side), "fore", rng.uniform(15, 80), rng.uniform(40, 90))
    return start, peak


def deadbug(body, rng, side, depth):
    start = supine(standing())
    for s in SIDES:
        _set(start, s, "arm", rng.uniform(80, 95), rng.uniform(-5, 10))
        _set(start, s, "fore", rng.uniform(80, 100), 0)
        _set(start, s, "thigh", rng.uniform(80, 95), 0)
        _set(start, s, "shank", rng.uniform(-10, 10), 0)
        _set(start, s, "foot", 50, 10)
    peak = dict(start)
    leg = 40 - 30 * depth + rng.normal(0, 4)
    _set(peak, side, "thigh", leg, 0)
    _set(peak, side, "shank", leg - rng.uniform(0, 15), 0)
    _set(peak, side, "foot", leg + 70, 0)
    arm = 140 + 40 * depth + rng.normal(0, 4)
    _set(peak, _other(side), "arm", arm, rng.uniform(-5, 10))
    _set(peak, _other(side), "fore", arm + rng.uniform(-5, 10), 0)
    return start, peak


def pushup(body, rng, side, depth):
    """Prone plank with straight arms, down to the chest near the floor, hands planted."""
    length = body.ankle_height + body.tibia + body.femur + body.torso  # toes to shoulders, roughly
    top_tilt = np.degrees(np.arcsin((body.upper_arm + body.forearm) / length))
    bottom_tilt = top_tilt * (1 - 0.75 * depth) + rng.uniform(0, 3)
    hand_width = body.shoulder_width / 2 * rng.uniform(1.1, 1.6)
    poses = []
    for tilt in (top_tilt, bottom_tilt):
        p = standing()
        p.update(pitch=90.0 - tilt, neck_flex=-rng.uniform(20, 45), l_foot_flat=0.0, r_foot_flat=0.0)
        for s in SIDES:
            _set(p, s, "thigh", 1, 90)
            _set(p, s, "shank", 0, 90)
            _set(p, s, "foot", 95, 0)
        poses.append(p)
    down = rot_x(poses[0]["pitch"]).T @ np.array([0.0, -1.0, 0.0])  # world down, body frame at the top
    for p in poses:
        J = joints_3d(body, {**poses[0], "yaw": 0.0})
        for s in SIDES:
            shoulder = J[JOINT_INDEX[f"{s.upper()}Shoulder"]]
            hand = shoulder + (body.upper_arm + body.forearm) * 0.995 * down
            hand[0] = SIDES[s] * hand_width
            # the hand stays planted in the world while the body pivots about the toes
            target = rot_x(p["pitch"]).T @ rot_x(poses[0]["pitch"]) @ hand
            _reach_arm(body, p, s, target, pole=(SIDES[s] * 0.6, -1.0, 0.0))
    return poses[0], poses[1]


PROGRAMS = {f.__name__: f for f in (reach, squat, inline, lunge, hamstrings, stretch, deadbug, pushup)}
ANCHORS = {"hamstrings": ("MidHip",), "deadbug": ("MidHip",), "pushup": ("LBigToe", "RBigToe")}
CLEARANCE = {"hamstrings": 0.09, "deadbug": 0.09}


@dataclass
class Performance:
    """One movement video: joints at the frames that matter, spans and key frames (zero-based)."""

    movement: str
    number_frames: int
    f_start: int
    f_end: int
    sides: dict  # 'left'/'right' -> (f_start, f_end, f_key)
    frames: np.ndarray  # (T,) frame indices with joints
    joints: np.ndarray  # (T, 25, 3) world joints, metres

    def at(self, frame):
        """Joints (25, 3) at a frame index that is in ``frames``; ValueError for any other frame."""
        i = int(np.searchsorted(self.frames, frame))
        if i == len(self.frames) or self.frames[i] != frame:
            raise ValueError(f"{self.movement}: no joints at frame {frame} (only at multiples of the "
                             "sampling step and at the key frames)")
        return self.joints[i]


def _ease(t):
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(t, 0, 1))


def perform(movement, body, rng, yaw, depth, tempo, sample_every=6):
    """Simulate one subject performing one movement.

    Inputs:
    - movement: a name from MOVEMENTS
    - body: Proportions; rng: numpy Generator
    - yaw: the subject's facing direction (degrees; 0 faces the camera)
    - depth: how far the subject goes, about 0.6 (stiff) to 1.0 (full range)
    - tempo: duration multiplier (1 = typical)
    - sample_every: joints are computed on frames divisible by this and at the key frames

    Returns a Performance.
    """
    bilateral = movement in BILATERAL
    reps = ["l", "l"] if bilateral else ["l", "r"]
    shapes = {}
    for s in sorted(set(reps)):
        start, peak = PROGRAMS[movement](body, np.random.default_rng(rng.integers(2**32)), s, depth)
        noise = {k: rng.normal(0, 2.5) for k in POSE_KEYS if k.endswith(("elev", "plane"))}
        shapes[s] = [np.array([p[k] + noise.get(k, 0.0) for k in POSE_KEYS]) for p in (start, peak)]
    key_points, t = [], int(rng.integers(20, 75))
    spans = []
    for i, s in enumerate(reps):
        start, peak = shapes[s]
        down, hold, up = (int(tempo * FPS * rng.uniform(*r)) for r in ((0.8, 1.5), (0.4, 1.0), (0.8, 1.4)))
        key_points += [(t, start), (t + down, peak), (t + down + hold, peak), (t + down + hold + up, start)]
        # the labellers' key frame: near the peak, sometimes a little before it
        spans.append((s, t, t + down + hold + up, t + down + int(rng.integers(-down // 3, hold))))
        t += down + hold + up + (int(FPS * rng.uniform(0.3, 1.2)) if i < len(reps) - 1 else 0)
    number_frames = t + int(rng.integers(15, 60))
    times = np.array([k[0] for k in key_points], float)
    values = np.stack([k[1] for k in key_points])
    f_start, f_end = spans[0][1], spans[-1][2]
    if bilateral:
        sides = {"left": (f_start, f_end, spans[0][3]), "right": (f_start, f_end, spans[0][3])}
    else:
        sides = {{"l": "left", "r": "right"}[s]: (a, b, k) for s, a, b, k in spans}
    frames = np.unique(np.r_[np.arange(0, number_frames, sample_every), [v[2] for v in sides.values()]])
    seg = np.clip(np.searchsorted(times, frames, side="right") - 1, 0, len(times) - 2)
    w = _ease((frames - times[seg]) / np.maximum(times[seg + 1] - times[seg], 1))[:, None]
    values = (1 - w) * values[seg] + w * values[seg + 1]
    J = joints_3d(body, {**dict(zip(POSE_KEYS, values.T, strict=True)), "yaw": yaw})
    anchor = ANCHORS.get(movement, ("LAnkle", "RAnkle"))
    joints = place(J, anchor, CLEARANCE.get(movement, 0.0))
    return Performance(movement, number_frames, f_start, f_end, sides, frames, joints)
