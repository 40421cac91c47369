"""Plotting helpers for the two notebooks: key-frame and video-frame montages with BODY_25 skeletons,
OpenPose detections, the Procrustes view, convolution filters, training curves (``reports``) and
gradient norms.

Every function returns a ``matplotlib.figure.Figure`` built without pyplot (no global figure state, no
backend needed); a notebook shows it as a cell's value, ``reports.save_figure`` writes it as PNG.
Every joint has its own colour (OpenPose's BODY_25 palette): the right arm runs orange to yellow, the
left arm yellow-green to green, the right leg green to cyan, the left leg sky blue to blue, so a
left/right swap shows at a glance.
"""
from pathlib import Path

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

import data_utils
import mds189_files
from mds189_constants import JOINT_INDEX, JOINTS, KEY_FRAME_LABELS, LIMBS, MOVEMENTS, key_frame_sides
from reports import plot_training_curves as plot_training_curves  # the notebooks' name for it

# One colour per joint (RGB, 0-255): OpenPose's BODY_25 render palette, except that OpenPose repeats the
# Neck's red for MidHip and the ankles' colours for the toes and heels; those get shades of their own.
_JOINT_RGB = {
    "Nose": (255, 0, 85), "Neck": (255, 0, 0), "RShoulder": (255, 85, 0), "RElbow": (255, 170, 0),
    "RWrist": (255, 255, 0), "LShoulder": (170, 255, 0), "LElbow": (85, 255, 0), "LWrist": (0, 255, 0),
    "MidHip": (170, 0, 0), "RHip": (0, 255, 85), "RKnee": (0, 255, 170), "RAnkle": (0, 255, 255),
    "LHip": (0, 170, 255), "LKnee": (0, 85, 255), "LAnkle": (0, 0, 255), "REye": (255, 0, 170),
    "LEye": (170, 0, 255), "REar": (255, 0, 255), "LEar": (85, 0, 255), "LBigToe": (85, 85, 255),
    "LSmallToe": (140, 140, 255), "LHeel": (40, 40, 170), "RBigToe": (0, 200, 200),
    "RSmallToe": (120, 255, 255), "RHeel": (0, 150, 150),
}
JOINT_COLORS = np.array([_JOINT_RGB[j] for j in JOINTS]) / 255.0  # (25, 3), BODY_25 order
PERSON_COLORS = ("yellow", "cyan", "magenta", "lime", "orange", "white")


def subject_id(subject):
    """The folder name of a subject: 7 -> '007'; strings pass through."""
    return subject if isinstance(subject, str) else f"{int(subject):03d}"


def read_image(path):
    """An image file as an RGB array of shape (H, W, 3), uint8; FileNotFoundError names a missing path."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image not found: {path}")
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def read_labels(root, subject, movement):
    """The validated label file ``trainval/<subject>/labels/<movement>.json`` as a dict."""
    if movement not in MOVEMENTS:
        raise ValueError(f"unknown movement {movement!r}; expected one of {', '.join(MOVEMENTS)}")
    folder = Path(root) / "trainval" / subject_id(subject) / "labels"
    return mds189_files.read_label_file(folder / f"{movement}.json")


def draw_pose(ax, pose, color=None, min_confidence=0.0, scale=(1.0, 1.0), marker_size=12, linewidth=2.0):
    """Draw one BODY_25 pose: its visible joints and every limb whose two joints are visible.

    Inputs:
    - ax: a matplotlib Axes
    - pose: array-like of shape (75,), [x0, y0, c0, ..., x24, y24, c24] in pixels
    - color: None for the per-joint colours (a limb takes the colour of its second joint), or one
      matplotlib colour for the whole skeleton
    - min_confidence: a joint is drawn when its c > min_confidence
    - scale: (sx, sy) multiplying x and y (e.g. the metadata's video_width_scale, video_height_scale)

    Returns:
    - num_limbs: the number of limb segments drawn
    """
    P = np.asarray(pose, dtype=np.float64).reshape(len(JOINTS), 3)
    xy = P[:, :2] * np.asarray(scale, dtype=np.float64)
    visible = P[:, 2] > min_confidence
    limbs = [(a, b) for a, b in LIMBS if visible[a] and visible[b]]
    limb_colors = [JOINT_COLORS[b] if color is None else color for _, b in limbs]
    point_colors = JOINT_COLORS[visible] if color is None else color
    segments = [xy[[a, b]] for a, b in limbs]
    ax.add_collection(LineCollection(segments, colors=limb_colors, linewidths=linewidth))
    ax.scatter(xy[visible, 0], xy[visible, 1], s=marker_size, c=point_colors, edgecolors="black",
               linewidths=0.3, zorder=3)
    return len(limbs)


def _show(ax, image, size, draw_image):
    """Show an image (or an empty frame of the image's size, y pointing down) without ticks."""
    width, height = size
    if draw_image:
        ax.imshow(image)
    else:
        ax.set_facecolor("0.15")
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def _grid(num_panels, ncols, panel_size=(2.2, 3.6)):
    """A Figure with num_panels axes on a grid of ncols columns (spare cells hidden); returns (fig, axes)."""
    if num_panels < 1:
        raise ValueError("nothing to plot: no panels")
    ncols = min(ncols, num_panels)
    nrows = -(-num_panels // ncols)
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[num_panels:]:
        fig.delaxes(ax)
    return fig, axes[:num_panels]


def _key_frame(root, subject, movement, side, resized):
    """(image path, gt_pose (75,), scale (sx, sy), metadata) of one key frame; side 'both' reads 'left'."""
    labels = read_labels(root, subject, movement)
    if side not in key_frame_sides(movement):
        raise ValueError(f"{movement} has key frames {key_frame_sides(movement)}, not {side!r}")
    meta = labels["metadata"]
    scale = (meta["video_width_scale"], meta["video_height_scale"]) if resized else (1.0, 1.0)
    folder = "key_frames_resized" if resized else "key_frames"
    path = Path(root) / "trainval" / subject_id(subject) / folder / f"{movement}_{side}.jpg"
    pose = labels["gt_pose"]["left" if side == "both" else side]
    return path, pose, scale, meta


def plot_key_frames(root, subject, draw_images=True, draw_keypoints=True, resized=False, ncols=7):
    """Montage of one subject's 13 key frames with their hand-labelled keypoints.

    Inputs:
    - root: the data root (holding trainval/)
    - subject: subject id ('000' or 0)
    - draw_images, draw_keypoints: what to draw in each panel
    - resized: use key_frames_resized (224x448) and scale the keypoints by the metadata's factors
    - ncols: panels per row

    Returns a Figure with 13 axes, titled with the key-frame labels in class order.
    """
    fig, axes = _grid(len(KEY_FRAME_LABELS), ncols)
    for ax, label in zip(axes, KEY_FRAME_LABELS, strict=True):
        movement, side = label.rsplit("_", 1)
        path, pose, scale, meta = _key_frame(root, subject, movement, side, resized)
        image = read_image(path) if draw_images else None
        _show(ax, image, (meta["width"] * scale[0], meta["height"] * scale[1]), draw_images)
        if draw_keypoints:
            draw_pose(ax, pose, scale=scale)
        ax.set_title(label, fontsize=9)
    fig.suptitle(f"Subject {subject_id(subject)}: the 13 key frames")
    return fig


def plot_movement_across_subjects(root, movement, num_subjects=8, side=None, seed=0, draw_images=True,
                                  draw_keypoints=True, ncols=8):
    """Montage of one movement's key frame across randomly chosen subjects.

    Inputs:
    - root: the data root
    - movement: one of MOVEMENTS
    - num_subjects: how many subjects (at most all of them), drawn without replacement
    - side: 'left', 'right' or 'both' (the movement's only side if bilateral); None picks one per subject
    - seed: seed of the random choices
    - draw_images, draw_keypoints, ncols: as in plot_key_frames

    Returns a Figure with one axes per chosen subject, titled '<subject> <side> <width>x<height>'.
    """
    rng = np.random.default_rng(seed)
    subjects = mds189_files.subject_ids(root)
    chosen = sorted(rng.choice(subjects, size=min(num_subjects, len(subjects)), replace=False))
    fig, axes = _grid(len(chosen), ncols)
    for ax, subject in zip(axes, chosen, strict=True):
        this_side = side if side is not None else str(rng.choice(key_frame_sides(movement)))
        path, pose, scale, meta = _key_frame(root, subject, movement, this_side, resized=False)
        image = read_image(path) if draw_images else None
        _show(ax, image, (meta["width"], meta["height"]), draw_images)
        if draw_keypoints:
            draw_pose(ax, pose)
        ax.set_title(f"{subject} {this_side} {meta['width']}x{meta['height']}", fontsize=8)
    fig.suptitle(f"{movement} across {len(chosen)} random subjects (seed {seed})")
    return fig


def plot_video_frames(root, subject, movement, frames=None, draw_images=True, draw_keypoints=True,
                      draw_boxes=True, ncols=6):
    """Sampled video frames of one subject and movement with every OpenPose detection and its box.

    Each detected person gets its own box colour; the skeletons use the per-joint colours.

    Inputs:
    - root: the data root
    - subject: subject id
    - movement: one of MOVEMENTS
    - frames: frame indices to show (from the label file's pseudo_gt_raw frames); None for all
    - draw_images, draw_keypoints, draw_boxes: what to draw
    - ncols: panels per row

    Returns a Figure with one axes per frame, titled 'frame NNNN: 1 person' or 'frame NNNN: P people'.
    """
    labels = read_labels(root, subject, movement)
    raw, meta = labels["pseudo_gt_raw"], labels["metadata"]
    index = {f: i for i, f in enumerate(raw["frames"])}
    frames = raw["frames"] if frames is None else list(frames)
    unknown = [f for f in frames if f not in index]
    if unknown:
        raise ValueError(f"frames {unknown} are not among the detections of subject {subject_id(subject)}, "
                         f"{movement} (available: {raw['frames']})")
    folder = Path(root) / "trainval" / subject_id(subject) / "frames" / movement
    aspect = meta["video_height"] / meta["video_width"]  # portrait or landscape video: no empty bands
    fig, axes = _grid(len(frames), ncols, panel_size=(2.0, 2.0 * aspect + 0.35))
    for ax, frame in zip(axes, frames, strict=True):
        i = index[frame]
        image = read_image(folder / f"{frame:04d}.jpg") if draw_images else None
        _show(ax, image, (meta["video_width"], meta["video_height"]), draw_images)
        for person, (pose, box) in enumerate(zip(raw["2d_keypoints"][i], raw["bbox"][i], strict=True)):
            edge = PERSON_COLORS[person % len(PERSON_COLORS)]
            if draw_keypoints:
                draw_pose(ax, pose, marker_size=6, linewidth=1.2)
            if draw_boxes:
                xmin, ymin, xmax, ymax = box
                ax.add_patch(Rectangle((xmin, ymin), xmax - xmin, ymax - ymin, fill=False, edgecolor=edge,
                                       linewidth=1.2))
        count = raw["num_people"][i]
        ax.set_title(f"frame {frame:04d}: {count} {'person' if count == 1 else 'people'}", fontsize=8)
    fig.suptitle(f"Subject {subject_id(subject)}, {movement}: video frames with OpenPose detections")
    return fig


def most_crowded_video(root):
    """The subject and movement whose OpenPose detections show several people in the most frames.

    Reads every label file's pseudo_gt_raw (on the real data set, 2,400 files: some seconds). Ties go to
    the first subject, then the first movement in class order.

    Inputs:
    - root: the data root

    Returns a tuple (subject id, movement, number of frames with more than one person); the count is 0
    (and the video the first subject's first movement) when no frame shows more than one person.
    """
    best = None
    for subject in mds189_files.subject_ids(root):
        for movement in MOVEMENTS:
            counts = read_labels(root, subject, movement)["pseudo_gt_raw"]["num_people"]
            crowded = sum(1 for n in counts if n > 1)
            if best is None or crowded > best[2]:
                best = (subject, movement, crowded)
    return best


def plot_procrustes(root, joint="Neck"):
    """One joint of every key-frame pose: raw (gt_pose, pixels), Procrustes-aligned (gt_pose_align) and
    normalised (data_utils.normalize_poses of gt_pose: centred on the hips, in torso lengths).

    Reads every subject with data_utils.load_mds189_all (bilateral key frames count twice, as there). Poses
    without a body to normalise by (data_utils.has_body) are left out of the third panel.

    Inputs:
    - root: the data root
    - joint: a BODY_25 joint name

    Returns a Figure with three axes (raw, aligned, normalised), one scatter per movement in each
    (its points: the joint's x, y in the poses of that movement where the joint is visible).
    """
    if joint not in JOINT_INDEX:
        raise ValueError(f"unknown joint {joint!r}; expected one of {', '.join(JOINTS)}")
    j = JOINT_INDEX[joint]
    X_raw, y, _, _ = data_utils.load_mds189_all(root)
    X_aligned = data_utils.load_mds189_all(root, debug=True)[0]
    X_norm = np.zeros_like(X_raw)
    body = data_utils.has_body(X_raw)
    X_norm[body] = data_utils.normalize_poses(X_raw[body])
    panels = (("raw (gt_pose)", X_raw, "pixels"), ("aligned (gt_pose_align)", X_aligned, "pixels"),
              ("normalised (normalize_poses)", X_norm, "torso lengths"))
    fig = Figure(figsize=(15, 5), layout="constrained")
    for ax, (title, X, unit) in zip(fig.subplots(1, 3), panels, strict=True):
        for c, movement in enumerate(MOVEMENTS):
            rows = (y == c) & (X[:, 3 * j + 2] > 0)
            ax.scatter(X[rows, 3 * j], X[rows, 3 * j + 1], s=8, alpha=0.7, label=movement)
        ax.set_title(f"{joint}, {title}")
        ax.set(xlabel=f"x ({unit})", ylabel=f"y ({unit}, down)")
        ax.invert_yaxis()
        ax.set_aspect("equal", adjustable="datalim")
    fig.axes[-1].legend(fontsize=8, markerscale=2)
    return fig


def plot_filter_responses(image, responses, titles):
    """An image beside the responses of convolution filters applied to it.

    Inputs:
    - image: array of shape (H, W, 3) or (H, W)
    - responses: list of arrays of shape (H', W'), one per filter
    - titles: list of len(responses) + 1 titles (the image's first)

    Returns a Figure with len(responses) + 1 axes.
    """
    if len(titles) != len(responses) + 1:
        raise ValueError(f"need {len(responses) + 1} titles (the image's, then one per response), "
                         f"got {len(titles)}")
    fig, axes = _grid(len(responses) + 1, len(responses) + 1, panel_size=(3.0, 4.0))
    axes[0].imshow(image, cmap="gray")
    for ax, response in zip(axes[1:], responses, strict=True):
        limit = np.abs(response).max() or 1.0
        ax.imshow(response, cmap="seismic", vmin=-limit, vmax=limit)
    for ax, title in zip(axes, titles, strict=True):
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def plot_gradient_norms(table):
    """Per-layer gradient norms of deep networks, one line per activation, on a log scale.

    Inputs:
    - table: DataFrame with columns activation, layer (1 = first), grad_norm

    Returns a Figure with one axes.
    """
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    for activation, rows in table.groupby("activation", sort=False):
        ax.semilogy(rows["layer"], rows["grad_norm"], "o-", label=activation)
    ax.set(xlabel="layer (1 = nearest the input)", ylabel="||dL/dW|| at initialisation",
           title="Gradient norm per layer")
    ax.legend()
    return fig
