"""A 3D articulated body with OpenPose BODY_25 joints, and per-subject proportions.

World frame: metres, y up. Body (root) frame: x towards the subject's left, y towards the head,
z the way the subject faces. A pose is a dict of angles in degrees (see ``POSE_KEYS``); every limb
segment is given by an absolute direction in its parent frame (legs: the pelvis frame, arms: the
trunk frame) as an elevation from straight down towards a plane (0 = forward, 90 = outwards,
180 = backwards). Interpolating poses in these angles gives natural motion.
"""

from dataclasses import dataclass

import numpy as np

from mds189_constants import JOINT_INDEX, JOINTS

SIDES = {"l": 1.0, "r": -1.0}  # sign of the subject's left along the body x axis
SEGMENT_NAMES = ("arm", "fore", "thigh", "shank", "foot")  # the angled limb segments of POSE_KEYS
POSE_KEYS = (
    ("pitch", "yaw", "trunk_flex", "trunk_side", "neck_flex")
    + tuple(f"{s}_{seg}_{angle}" for s in SIDES for seg in SEGMENT_NAMES for angle in ("elev", "plane"))
    + ("l_foot_flat", "r_foot_flat")
)


@dataclass(frozen=True)
class Proportions:
    """One subject's body measurements in metres (the course recorded height, torso, femur, wingspan)."""

    height: float
    torso: float  # MidHip to Neck
    femur: float  # hip to knee
    tibia: float  # knee to ankle
    wingspan: float  # fingertip to fingertip, arms spread
    shoulder_width: float
    hip_width: float
    head: float  # Neck to the top of the head
    foot: float  # heel to toe
    ankle_height: float

    @property
    def upper_arm(self):
        return 0.43 * self.arm

    @property
    def forearm(self):
        return 0.35 * self.arm

    @property
    def arm(self):
        """Shoulder joint to fingertip."""
        return (self.wingspan - self.shoulder_width) / 2


def draw_proportions(rng, sex=None):
    """Draw one adult's proportions from ranges of anthropometric tables.

    Inputs:
    - rng: numpy Generator
    - sex: 'f', 'm' or None (drawn)

    Returns a Proportions. Height ~ N(163, 7.5) cm (f) or N(177, 7.5) cm (m), clipped to 145-205 cm;
    segment ratios of height vary by a few percent independently, so torso, femur and wingspan are
    not tied to height.
    """
    sex = sex or rng.choice(["f", "m"])
    height = float(np.clip(rng.normal(163 if sex == "f" else 177, 7.5), 145, 205)) / 100
    torso = height * rng.normal(0.295, 0.012)
    femur = height * rng.normal(0.245, 0.009)
    head = height * rng.normal(0.135, 0.005)
    ankle = height * rng.normal(0.039, 0.002)
    tibia = height - torso - femur - head - ankle  # the rest of the standing height
    return Proportions(
        height=height,
        torso=torso,
        femur=femur,
        tibia=tibia,
        wingspan=height * rng.normal(1.01 if sex == "m" else 0.995, 0.025),
        shoulder_width=height * rng.normal(0.205 if sex == "m" else 0.19, 0.008),
        hip_width=height * rng.normal(0.10 if sex == "m" else 0.11, 0.006),
        head=head,
        foot=height * rng.normal(0.152, 0.005),
        ankle_height=ankle,
    )


def direction(elev, plane, sign):
    """Unit vectors (..., 3) at ``elev`` degrees up from straight down, in ``plane`` (0 forward, 90 out)."""
    e, p = np.radians(elev), np.radians(plane)
    return np.stack(
        np.broadcast_arrays(sign * np.sin(e) * np.sin(p), -np.cos(e), np.sin(e) * np.cos(p)), axis=-1
    )


def _rotation(deg, i, j):
    a = np.radians(np.asarray(deg, dtype=float))
    R = np.zeros(a.shape + (3, 3))
    R[..., 3 - i - j, 3 - i - j] = 1
    R[..., i, i] = R[..., j, j] = np.cos(a)
    R[..., i, j], R[..., j, i] = -np.sin(a), np.sin(a)
    return R


def rot_x(deg):
    """Rotations (..., 3, 3) about x by ``deg`` degrees (positive turns y towards z)."""
    return _rotation(deg, 1, 2)


def rot_y(deg):
    """Rotations (..., 3, 3) about y (positive turns z towards x)."""
    return _rotation(deg, 2, 0)


def rot_z(deg):
    """Rotations (..., 3, 3) about z (positive turns x towards y)."""
    return _rotation(deg, 0, 1)


def _unit(v):
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.where(n > 1e-9, n, 1.0)


def _apply(R, v):
    return np.einsum("...ij,...j->...i", R, v)


def joints_3d(body, pose, toe_out=8.0):
    """Forward kinematics: the 25 BODY_25 joints of ``body`` in ``pose``, in the root-yawed world frame.

    Inputs:
    - body: Proportions
    - pose: dict with every key of POSE_KEYS: scalars, or arrays of one shape S for S poses at once
      (degrees; foot_flat in [0, 1])
    - toe_out: angle of flat feet away from straight ahead, degrees

    Returns an array of shape S + (25, 3); the MidHip is at the origin (see ``place``).
    """
    pose = {k: np.asarray(pose[k], dtype=float) for k in POSE_KEYS}
    shape = np.broadcast_shapes(*(v.shape for v in pose.values()))
    pose = {k: np.broadcast_to(v, shape) for k, v in pose.items()}
    root = rot_y(pose["yaw"]) @ rot_x(pose["pitch"])
    trunk = rot_x(pose["trunk_flex"]) @ rot_z(-pose["trunk_side"])
    head = trunk @ rot_x(pose["neck_flex"])
    h = body.head
    neck = _apply(trunk, np.array([0.0, body.torso, 0.0]))
    local = {
        "Neck": neck,
        "MidHip": np.zeros(shape + (3,)),
        "Nose": neck + _apply(head, np.array([0, 0.77 * h, 0.36 * h])),
    }
    for s, sign in SIDES.items():
        S = s.upper()
        a = {seg: direction(pose[f"{s}_{seg}_elev"], pose[f"{s}_{seg}_plane"], sign) for seg in SEGMENT_NAMES}
        shoulder = neck + _apply(trunk, np.array([sign * body.shoulder_width / 2, -0.015 * body.height, 0]))
        elbow = shoulder + _apply(trunk, body.upper_arm * a["arm"])
        hip = np.broadcast_to([sign * body.hip_width / 2, 0.0, 0.0], shape + (3,))
        knee = hip + body.femur * a["thigh"]
        ankle = knee + body.tibia * a["shank"]
        flat = _apply(np.swapaxes(root, -1, -2), _apply(rot_y(pose["yaw"]), direction(90, toe_out, sign)))
        w = pose[f"{s}_foot_flat"][..., None]
        f = _unit(w * flat + (1 - w) * a["foot"])
        sole = a["shank"] - (a["shank"] * f).sum(axis=-1, keepdims=True) * f
        fallback = np.cross(f, [sign, 0.0, 0.0])
        sole = _unit(np.where(np.linalg.norm(sole, axis=-1, keepdims=True) > 1e-6, sole, fallback))
        out = sign * _unit(np.cross(f, sole))
        ha, lf = body.ankle_height, body.foot
        local.update(
            {
                f"{S}Shoulder": shoulder,
                f"{S}Elbow": elbow,
                f"{S}Wrist": elbow + _apply(trunk, body.forearm * a["fore"]),
                f"{S}Hip": hip,
                f"{S}Knee": knee,
                f"{S}Ankle": ankle,
                f"{S}BigToe": ankle + 0.75 * lf * f + 0.8 * ha * sole - 0.01 * out,
                f"{S}SmallToe": ankle + 0.62 * lf * f + 0.8 * ha * sole + 0.035 * out,
                f"{S}Heel": ankle - 0.22 * lf * f + ha * sole,
                f"{S}Eye": neck + _apply(head, np.array([sign * 0.145 * h, 0.9 * h, 0.3 * h])),
                f"{S}Ear": neck + _apply(head, np.array([sign * 0.34 * h, 0.82 * h, -0.05 * h])),
            }
        )
    J = np.stack([local[name] for name in JOINTS], axis=-2)
    return np.einsum("...ij,...kj->...ki", root, J)


def place(J, anchor, clearance=0.0):
    """Put a body on the floor (lowest joint at y = clearance) with the anchor joints over the origin.

    Inputs:
    - J: array of shape (T, 25, 3), joints over time
    - anchor: joint names whose mean horizontal position is held at x = z = 0 in every frame
    - clearance: height of the lowest joint above the floor, metres (joints lie inside the body)

    Returns an array of shape (T, 25, 3).
    """
    idx = [JOINT_INDEX[name] for name in anchor]
    centre = J[:, idx].mean(axis=1)
    shift = np.stack([-centre[:, 0], clearance - J[:, :, 1].min(axis=1), -centre[:, 2]], axis=1)
    return J + shift[:, None, :]
