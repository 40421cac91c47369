"""The one place that names MDS189's movement classes, the OpenPose BODY_25 skeleton and the facts of
the layout that the sample generator and the checker share (frame step, fps, resized size, sides).

Every other module imports these names; none keeps a copy. Class *names* cross module
boundaries (files, CSVs, submissions); class *indices* are positions in ``MOVEMENTS``.

Class order: the order of the course's PyTorch loader (reach=0 ... pushup=7), used everywhere,
including the NumPy keypoint part (the course's own NumPy loader used alphabetical order; we do not).
"""

MOVEMENTS = ("reach", "squat", "inline", "lunge", "hamstrings", "stretch", "deadbug", "pushup")
NUM_CLASSES = len(MOVEMENTS)
BILATERAL = ("reach", "squat", "pushup")  # one key frame, 'both'; the others have a left and a right one
UNILATERAL = tuple(m for m in MOVEMENTS if m not in BILATERAL)
SIDES = ("left", "right")  # the sides of every label file (frames, gt_pose, ...), bilateral ones included

# Facts of the layout (mds189_format.md) that both the sample generator and the checker rely on.
FRAME_STEP = 12  # frames/<movement>/ keeps every 12th frame of the video: 0000, 0012, ...
FPS = 30  # metadata.fps
RESIZED_SIZE = (224, 448)  # (width, height) of key_frames_resized/
PLACEHOLDER = "label"  # the label of every line of the test list (videoframe_data_test.txt)

# OpenPose BODY_25 joint order: a 75-number keypoint list is [x0, y0, c0, ..., x24, y24, c24].
JOINTS = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "MidHip", "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye",
    "LEye", "REar", "LEar", "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)
NUM_JOINTS = len(JOINTS)
KEYPOINT_DIM = 3 * NUM_JOINTS  # 75
JOINT_INDEX = {name: i for i, name in enumerate(JOINTS)}

# The limbs OpenPose draws for BODY_25, as (joint, joint) index pairs.
LIMBS = (
    (1, 8), (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (8, 9), (9, 10), (10, 11),
    (8, 12), (12, 13), (13, 14), (1, 0), (0, 15), (15, 17), (0, 16), (16, 18),
    (14, 19), (19, 20), (14, 21), (11, 22), (22, 23), (11, 24),
)

# Joint index permutation that swaps every left joint with its right twin (a mirror image).
MIRROR = tuple(
    JOINT_INDEX[name[0].translate(str.maketrans("LR", "RL")) + name[1:]]
    if name[0] in "LR" and name[1].isupper() else i
    for i, name in enumerate(JOINTS)
)


def key_frame_sides(movement):
    """Sides of a movement's key frames: ('both',) for bilateral, ('left', 'right') otherwise."""
    if movement not in MOVEMENTS:
        raise ValueError(f"unknown movement {movement!r}; expected one of {', '.join(MOVEMENTS)}")
    return ("both",) if movement in BILATERAL else SIDES


def key_frame_side(movement, side):
    """The key frame a label-file side ('left' or 'right') points to: 'both' for bilateral movements."""
    if side not in SIDES:
        raise ValueError(f"unknown side {side!r}; expected 'left' or 'right'")
    return side if key_frame_sides(movement) == SIDES else "both"


def video_frame_indices(number_frames, f_start, f_end):
    """The frame indices kept in frames/<movement>/: every FRAME_STEP-th frame of the video inside
    the movement's span [f_start, f_end]."""
    return [f for f in range(0, number_frames, FRAME_STEP) if f_start <= f <= f_end]


KEY_FRAME_LABELS = tuple(f"{m}_{side}" for m in MOVEMENTS for side in key_frame_sides(m))  # 13


def movement_of(label):
    """Movement name of a label: 'inline_left' -> 'inline', 'squat_both' -> 'squat', 'lunge' -> 'lunge'.

    Raises ValueError naming the label when it is neither a movement nor a key-frame label.
    """
    if label in MOVEMENTS:
        return label
    movement, _, side = str(label).rpartition("_")
    if movement in MOVEMENTS and side in key_frame_sides(movement):
        return movement
    raise ValueError(f"unknown label {label!r}; expected a movement ({', '.join(MOVEMENTS)}) "
                     "or a key-frame label such as 'inline_left' or 'squat_both'")


def class_index(label):
    """Class index (position in MOVEMENTS) of a movement or key-frame label."""
    return MOVEMENTS.index(movement_of(label))
