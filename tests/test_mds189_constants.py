import pytest

import mds189_constants as c


def test_class_order_is_the_course_pytorch_order():
    assert c.MOVEMENTS == ("reach", "squat", "inline", "lunge", "hamstrings", "stretch", "deadbug", "pushup")
    assert set(c.BILATERAL) | set(c.UNILATERAL) == set(c.MOVEMENTS)
    assert not set(c.BILATERAL) & set(c.UNILATERAL)


def test_thirteen_key_frame_labels_map_to_their_movement():
    assert len(c.KEY_FRAME_LABELS) == 13
    for label in c.KEY_FRAME_LABELS:
        movement = label.rsplit("_", 1)[0]
        assert c.movement_of(label) == movement
        assert c.class_index(label) == c.MOVEMENTS.index(movement)
    assert c.class_index("pushup") == 7 and c.class_index("reach") == 0


@pytest.mark.parametrize("bad", ["reach_left", "squat_right", "inline_both", "jump", "label", "", None])
def test_unknown_labels_are_rejected_by_name(bad):
    with pytest.raises(ValueError, match="unknown label"):
        c.movement_of(bad)


def test_joint_table_is_body25():
    assert c.NUM_JOINTS == 25 and c.KEYPOINT_DIM == 75
    assert c.JOINTS[1] == "Neck" and c.JOINTS[8] == "MidHip" and c.JOINTS[24] == "RHeel"
    assert all(0 <= a < 25 and 0 <= b < 25 for a, b in c.LIMBS) and len(c.LIMBS) == 24


def test_mirror_swaps_left_and_right_and_is_an_involution():
    names = [c.JOINTS[i] for i in c.MIRROR]
    assert names[c.JOINT_INDEX["LWrist"]] == "RWrist"
    assert names[c.JOINT_INDEX["RBigToe"]] == "LBigToe"
    assert names[c.JOINT_INDEX["Neck"]] == "Neck"
    assert [c.MIRROR[i] for i in c.MIRROR] == list(range(25))


def test_key_frame_side_and_video_frames():
    assert c.UNILATERAL == ("inline", "lunge", "hamstrings", "stretch", "deadbug")
    assert c.key_frame_side("squat", "right") == "both" and c.key_frame_side("lunge", "right") == "right"
    assert [c.key_frame_side("reach", s) for s in c.SIDES] == ["both", "both"]
    with pytest.raises(ValueError, match="unknown side 'both'"):
        c.key_frame_side("squat", "both")
    assert c.video_frame_indices(100, 13, 60) == [24, 36, 48, 60]
    assert c.video_frame_indices(100, 0, 99) == [0, 12, 24, 36, 48, 60, 72, 84, 96]
    assert c.video_frame_indices(50, 40, 99) == [48]  # never past the video
