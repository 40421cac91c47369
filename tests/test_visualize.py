"""Plotting helpers of visualize.py: panel counts, titles, limb segments, boxes, colours, bad input."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import mds189_files
import reports
import visualize
from mds189_constants import KEY_FRAME_LABELS, LIMBS, MIRROR, MOVEMENTS


def _segments(ax):
    return [s for c in ax.collections if isinstance(c, LineCollection) for s in c.get_segments()]


def _visible_limbs(pose, min_confidence=0.0):
    c = np.asarray(pose).reshape(25, 3)[:, 2]
    return sum(1 for a, b in LIMBS if c[a] > min_confidence and c[b] > min_confidence)


def _pose(seed=0, hidden=()):
    rng = np.random.default_rng(seed)
    P = np.column_stack([rng.uniform(0, 100, 25), rng.uniform(0, 200, 25), np.ones(25)])
    P[list(hidden), 2] = 0
    return P.ravel()


def test_draw_pose_draws_one_segment_per_visible_limb_in_the_colour_of_its_second_joint():
    ax = Figure().subplots()
    pose = _pose()
    assert visualize.draw_pose(ax, pose) == len(LIMBS) == 24
    segments = _segments(ax)
    P = pose.reshape(25, 3)
    for segment, (a, b) in zip(segments, LIMBS, strict=True):
        np.testing.assert_allclose(segment, P[[a, b], :2])
    colors = ax.collections[0].get_colors()[:, :3]
    np.testing.assert_allclose(colors, visualize.JOINT_COLORS[[b for _, b in LIMBS]])


def test_draw_pose_skips_limbs_of_hidden_joints_and_applies_scale():
    ax = Figure().subplots()
    pose = _pose(hidden=(1,))  # the Neck ends 4 limbs: (1, 8), (1, 2), (1, 5), (1, 0)
    assert visualize.draw_pose(ax, pose, scale=(2.0, 0.5)) == 20
    points = [c for c in ax.collections if isinstance(c, PathCollection)][0].get_offsets()
    assert len(points) == 24
    np.testing.assert_allclose(points[0], pose[:2] * [2.0, 0.5])
    ax2 = Figure().subplots()
    assert visualize.draw_pose(ax2, pose, min_confidence=1.0) == 0  # c = 1 is not > 1


def test_every_joint_has_its_own_colour_and_left_differs_from_right():
    colors = visualize.JOINT_COLORS
    assert colors.shape == (25, 3) and ((colors >= 0) & (colors <= 1)).all()
    distances = np.linalg.norm(colors[:, None] - colors[None], axis=2) + 9 * np.eye(25)
    assert distances.min() > 0.15  # 25 colours, no two alike
    for j, k in enumerate(MIRROR):
        if j != k:
            assert np.linalg.norm(colors[j] - colors[k]) > 0.3, (j, k)
    # OpenPose's BODY_25 palette where it gives a joint its own colour: a right wrist is yellow
    np.testing.assert_allclose(colors[4], [1, 1, 0])
    np.testing.assert_allclose(colors[7], [0, 1, 0])


def test_plot_key_frames_has_13_labelled_panels_with_the_labelled_limbs(mds189_tiny):
    fig = visualize.plot_key_frames(mds189_tiny, 0)
    assert [ax.get_title() for ax in fig.axes] == list(KEY_FRAME_LABELS)
    for ax, label in zip(fig.axes, KEY_FRAME_LABELS, strict=True):
        movement, side = label.rsplit("_", 1)
        labels = visualize.read_labels(mds189_tiny, "000", movement)
        pose = labels["gt_pose"]["left" if side == "both" else side]
        assert len(_segments(ax)) == _visible_limbs(pose)
        assert len(ax.images) == 1


def test_plot_key_frames_switches_images_and_keypoints(mds189_tiny):
    no_images = visualize.plot_key_frames(mds189_tiny, "001", draw_images=False)
    assert all(len(ax.images) == 0 and _segments(ax) for ax in no_images.axes)
    no_points = visualize.plot_key_frames(mds189_tiny, "001", draw_keypoints=False, resized=True)
    assert all(len(ax.images) == 1 and not ax.collections for ax in no_points.axes)
    assert no_points.axes[0].images[0].get_array().shape[:2] == (448, 224)


def test_resized_key_frames_scale_the_keypoints_onto_the_224x448_image(mds189_tiny):
    fig = visualize.plot_key_frames(mds189_tiny, "001", resized=True, draw_images=False)
    for ax, label in zip(fig.axes, KEY_FRAME_LABELS, strict=True):
        movement, side = label.rsplit("_", 1)
        labels = visualize.read_labels(mds189_tiny, "001", movement)
        meta = labels["metadata"]
        P = np.asarray(labels["gt_pose"]["left" if side == "both" else side]).reshape(25, 3)
        scale = np.array([meta["video_width_scale"], meta["video_height_scale"]])
        assert not np.allclose(scale, 1)  # the sample's key frames are larger than 224x448
        points = [c for c in ax.collections if isinstance(c, PathCollection)][0].get_offsets()
        np.testing.assert_allclose(points, P[P[:, 2] > 0, :2] * scale)
        assert ax.get_xlim() == pytest.approx((0, meta["width"] * scale[0]))
        assert (points[:, 0] <= 224 + 1e-6).all() and (points[:, 1] <= 448 + 1e-6).all()


def test_plot_movement_across_subjects_is_seeded_and_respects_the_side(mds189_tiny):
    fig = visualize.plot_movement_across_subjects(mds189_tiny, "lunge", num_subjects=4, seed=3)
    again = visualize.plot_movement_across_subjects(mds189_tiny, "lunge", num_subjects=4, seed=3)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(titles) == 4 and titles == [ax.get_title() for ax in again.axes]
    assert len({t.split()[0] for t in titles}) == 4  # four different subjects
    right = visualize.plot_movement_across_subjects(mds189_tiny, "lunge", num_subjects=99, side="right")
    assert len(right.axes) == len(mds189_files.subject_ids(mds189_tiny))
    assert all(ax.get_title().split()[1] == "right" for ax in right.axes)
    with pytest.raises(ValueError, match=r"reach has key frames \('both',\), not 'left'"):
        visualize.plot_movement_across_subjects(mds189_tiny, "reach", side="left")


def test_plot_video_frames_draws_every_detection_and_box(mds189_tiny):
    raw = visualize.read_labels(mds189_tiny, 2, "deadbug")["pseudo_gt_raw"]
    fig = visualize.plot_video_frames(mds189_tiny, 2, "deadbug")
    assert len(fig.axes) == len(raw["frames"])
    for i, ax in enumerate(fig.axes):
        boxes = [p for p in ax.patches if isinstance(p, Rectangle)]
        assert len(boxes) == raw["num_people"][i] == len(raw["bbox"][i])
        assert len(_segments(ax)) == sum(_visible_limbs(pose) for pose in raw["2d_keypoints"][i])
        people = "1 person" if raw["num_people"][i] == 1 else f"{raw['num_people'][i]} people"
        assert ax.get_title() == f"frame {raw['frames'][i]:04d}: {people}"
    some = visualize.plot_video_frames(mds189_tiny, 2, "deadbug", frames=raw["frames"][:2], draw_images=False,
                                       draw_boxes=False)
    assert len(some.axes) == 2 and not some.axes[0].images and not some.axes[0].patches


def test_plot_video_frames_rejects_unknown_frames(mds189_tiny):
    with pytest.raises(ValueError, match=r"frames \[1\] are not among the detections of subject 002, dead"):
        visualize.plot_video_frames(mds189_tiny, "002", "deadbug", frames=[1])


def test_most_crowded_video_finds_the_frames_with_several_people(mds189_tiny):
    subject, movement, crowded = visualize.most_crowded_video(mds189_tiny)
    counts = visualize.read_labels(mds189_tiny, subject, movement)["pseudo_gt_raw"]["num_people"]
    assert crowded == sum(1 for n in counts if n > 1) > 0
    for other in mds189_files.subject_ids(mds189_tiny):
        for m in MOVEMENTS:
            others = visualize.read_labels(mds189_tiny, other, m)["pseudo_gt_raw"]["num_people"]
            assert sum(1 for n in others if n > 1) <= crowded
    titles = [ax.get_title() for ax in visualize.plot_video_frames(mds189_tiny, subject, movement,
                                                                    draw_images=False).axes]
    assert sum(not title.endswith((": 0 people", ": 1 person")) for title in titles) == crowded


def test_plot_procrustes_shows_raw_aligned_and_normalised_poses_of_the_joint(mds189_tiny):
    from data_utils import load_mds189, normalize_poses

    fig = visualize.plot_procrustes(mds189_tiny)
    assert len(fig.axes) == 3
    titles = [ax.get_title() for ax in fig.axes]
    assert "raw" in titles[0] and "aligned" in titles[1] and "normalised" in titles[2]
    raw, aligned = load_mds189(mds189_tiny), load_mds189(mds189_tiny, debug=True)
    y = np.concatenate([raw[1], raw[3]])
    expected = [np.concatenate([raw[0], raw[2]]), np.concatenate([aligned[0], aligned[2]])]
    expected.append(normalize_poses(expected[0]))
    for ax, X in zip(fig.axes, expected, strict=True):
        scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert len(scatters) == len(MOVEMENTS)
        for c, scatter in enumerate(scatters):
            rows = (y == c) & (X[:, 5] > 0)  # Neck visible
            np.testing.assert_allclose(scatter.get_offsets(), X[rows, 3:5])
    raw_points, aligned_points = (np.vstack([c.get_offsets() for c in ax.collections]) for ax in fig.axes[:2])
    assert not np.allclose(raw_points, aligned_points)
    with pytest.raises(ValueError, match="unknown joint 'Chin'"):
        visualize.plot_procrustes(mds189_tiny, joint="Chin")


def test_bad_names_and_paths_raise_clear_errors(tmp_path, mds189_tiny):
    with pytest.raises(FileNotFoundError, match="image not found: .*nothing.jpg"):
        visualize.read_image(tmp_path / "nothing.jpg")
    with pytest.raises(ValueError, match="unknown movement 'jog'"):
        visualize.read_labels(mds189_tiny, 0, "jog")
    assert visualize.subject_id(7) == "007" and visualize.subject_id("123") == "123"


def test_plot_filter_responses_training_curves_and_gradient_norms():
    fig = visualize.plot_filter_responses(np.zeros((8, 6, 3)), [np.ones((8, 6))], ["image", "edges"])
    assert [ax.get_title() for ax in fig.axes] == ["image", "edges"]
    with pytest.raises(ValueError, match="need 2 titles"):
        visualize.plot_filter_responses(np.zeros((8, 6)), [np.ones((8, 6))], ["image"])
    assert visualize.plot_training_curves is reports.plot_training_curves  # tested in test_reports
    table = pd.DataFrame({"activation": ["relu"] * 3 + ["sigmoid"] * 3, "layer": [1, 2, 3] * 2,
                          "grad_norm": [1.0, 1.0, 1.0, 1e-6, 1e-4, 1e-2]})
    ax = visualize.plot_gradient_norms(table).axes[0]
    assert [line.get_label() for line in ax.lines] == ["relu", "sigmoid"] and ax.get_yscale() == "log"
