"""The README.md a generated sample carries (written last: its presence marks a finished build)."""

MARKER = "# MDS189 sample (generated)"  # the first line: how a previous sample is recognised
TEMPLATE = MARKER + """

A synthetic data set in the exact layout of MDS189 (CS189 HW6), made by
`python -m mds189_sample --subjects {subjects} --test-subjects {test_subjects} --seed {seed}`.
Code written for this layout runs unchanged on the real (private) data set.

- `trainval/000/ ... {last}/`: {subjects} subjects, each with `frames/<movement>/NNNN.jpg` (every 12th
  frame of the movement's span, named by the original frame index), 13 `key_frames/` at original size,
  the same 13 in `key_frames_resized/` at 224x448, and 8 `labels/<movement>.json`.
- `test_kaggle_frames/0000.jpg ...`: the {test_frames} video frames of {test_subjects} held-out
  subjects, shuffled (by default 300 subjects get 46 held-out ones: about the real set's 6,197 frames).
- `dataloader_files/*.txt`: `image_path,label` lines, paths relative to this folder; subjects split
  by `data_utils.split_subjects` (the last quarter of the ids validates; 225-299 of 300 on the real set).
- `kaggle_submission_format.csv`: `Id,Category` with the placeholder `predicted_label`.

## Only in the generated sample (not part of the MDS189 format)
- `test_kaggle_labels.csv`: the true movement of every test frame (`Id,Category`), to score submissions.
- `sample_faults.csv`: the label faults injected on purpose (left/right keypoint swaps, swapped or
  wrong-movement key frames), as `subject,movement,side,fault`.

## How it is made
Articulated 3D bodies with BODY_25 joints and proportions drawn per subject (height, torso, femur,
wingspan); the 8 movements as joint-angle programs after the Functional Movement Screen, unilateral
ones left then right; a phone camera per subject (9:16 or 3:4, front/oblique/side views) framing each
movement; a room (wall, floor seen through each movement's camera), clothes, skin, light and shadow
drawn with PIL; JPEG. About 88% of the subjects are filmed in portrait and 12% in landscape; as in
MDS189, `key_frames_resized/` holds every key frame resized to 224x448, so landscape ones are squashed.
`gt_pose` adds click noise, skips some occluded joints (c = 0) and has the faults above at low rates;
`gt_pose_align` is Procrustes-aligned to subject 000; `pseudo_gt_raw` imitates OpenPose on the video
frames (video-frame pixels; misses, confidences, occasional spurious people). Key frames here have a
long side of 480-640 px and video frames 320-384 px; real MDS189 frames are full phone resolution.
"""


def readme_text(subjects, test_subjects, test_frames, seed):
    """The sample's README.md text."""
    return TEMPLATE.format(
        subjects=subjects,
        test_subjects=test_subjects,
        test_frames=f"{test_frames:,}",
        seed=seed,
        last=f"{subjects - 1:03d}",
    )
