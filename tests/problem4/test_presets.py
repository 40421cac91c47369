import numpy as np
import pytest
import torch

from problem4.presets import Preprocess, compute_mean_std, input_shape

MEAN, STD = [0.4, 0.5, 0.6], [0.2, 0.25, 0.3]


def test_input_shape_is_portrait():
    assert input_shape(64) == (64, 32) and input_shape(97) == (97, 48)
    with pytest.raises(ValueError, match="at least 16"):
        input_shape(8)


def test_mean_std_against_numpy():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(10, 3, 6, 4), dtype=np.uint8)
    dataset = [(torch.from_numpy(im), 0) for im in images]
    mean, std = compute_mean_std(dataset, batch_size=3)
    x = images / 255.0
    np.testing.assert_allclose(mean, x.mean(axis=(0, 2, 3)), rtol=1e-10)
    np.testing.assert_allclose(std, x.std(axis=(0, 2, 3)), rtol=1e-8)


def batch(seed=0, n=6, shape=(16, 8)):
    return torch.randint(
        0, 256, (n, 3, *shape), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed)
    )


def rotate_only(x, degrees, seed):
    """Preprocess's random affine with rotation (and flips) alone, on float images x of shape (N, 3, H, W).

    Returns a tuple of:
    - u: the (N, 6) uniform draws it made (u[:, 2] gives the angle, u[:, 3] the flip)
    - out: the transformed images, shape (N, 3, H, W)
    """
    pre = Preprocess(
        [0, 0, 0], [1, 1, 1], scale=(1.0, 1.0), max_aspect=1.0, degrees=degrees, translate=0.0, jitter=0.0
    )
    torch.manual_seed(seed)
    u = torch.rand(len(x), 6)
    torch.manual_seed(seed)
    with torch.no_grad():
        return u, pre.random_affine(x)


def test_eval_mode_only_normalises_and_draws_no_random_numbers():
    x = batch()
    pre = Preprocess(MEAN, STD).eval()
    state = torch.get_rng_state()
    out = pre(x)
    assert torch.equal(torch.get_rng_state(), state)
    expected = (x.float() / 255 - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    torch.testing.assert_close(out, expected)


def test_degenerate_augmentation_is_identity_or_mirror():
    x = batch(n=32)
    pre = Preprocess(
        MEAN, STD, scale=(1.0, 1.0), max_aspect=1.0, degrees=0.0, translate=0.0, jitter=0.0
    ).train()
    out, plain = pre(x), pre.eval()(x)
    same = [torch.allclose(o, p, atol=1e-5) for o, p in zip(out, plain, strict=True)]
    mirrored = [torch.allclose(o, p.flip(-1), atol=1e-5) for o, p in zip(out, plain, strict=True)]
    assert all(s or m for s, m in zip(same, mirrored, strict=True))
    assert 5 < sum(mirrored) < 27  # about half of the 32 are flipped


def test_rotation_up_to_90_degrees_in_pixel_space():
    """With rotations of up to 90 degrees (and no other change), each square image must come out rotated
    by exactly the angle drawn for it (and mirrored when its flip is drawn)."""
    x = batch(n=4, shape=(8, 8))
    u, out = rotate_only(x.float(), degrees=90.0, seed=0)
    for k in range(4):
        angle = 90.0 * (2 * u[k, 2].item() - 1)
        assert abs(angle) < 90  # a generic angle: check it against a direct pixel-space rotation
        flip = u[k, 3].item() < 0.5
        theta = np.radians(angle)
        # output pixel (r, c) samples input at R @ (c, r) about the centre (then mirrored when flipped)
        r, c = 2, 6
        xc, yc = (c + 0.5) - 4, (r + 0.5) - 4
        if flip:
            xc = -xc
        xs = np.cos(theta) * xc - np.sin(theta) * yc + 4 - 0.5
        ys = np.sin(theta) * xc + np.cos(theta) * yc + 4 - 0.5
        expected = torch.nn.functional.grid_sample(
            x[k : k + 1].float(),
            torch.tensor([[[[2 * (xs + 0.5) / 8 - 1, 2 * (ys + 0.5) / 8 - 1]]]], dtype=torch.float32),
            align_corners=False,
        )
        torch.testing.assert_close(out[k, :, r, c], expected[0, :, 0, 0], atol=1e-3, rtol=1e-4)


def test_augmentation_is_seeded_and_keeps_range():
    x = batch()
    pre = Preprocess(MEAN, STD).train()
    torch.manual_seed(3)
    a = pre(x)
    torch.manual_seed(3)
    b = pre(x)
    assert torch.equal(a, b) and a.shape == x.shape and a.dtype == torch.float32
    raw = pre.color_jitter(pre.random_affine(x.float() / 255))
    assert raw.min() >= 0 and raw.max() <= 1
    assert not torch.allclose(a, pre.eval()(x))


def test_preprocess_statistics_are_saved_in_the_state_dict():
    state = Preprocess(MEAN, STD).state_dict()
    torch.testing.assert_close(state["mean"].flatten(), torch.tensor(MEAN))
    torch.testing.assert_close(state["std"].flatten(), torch.tensor(STD))


def test_rotation_and_aspect_of_a_portrait_image_in_pixel_space():
    """On a 16x8 image the normalised x and y units differ (a = H / W = 2): swapping a and 1 / a, or
    leaving it out, rotates a stretched image instead of the picture itself."""
    h, w = 16, 8
    x = batch(n=6, shape=(h, w)).float()
    u, out = rotate_only(x, degrees=60.0, seed=1)
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    for k in range(6):
        theta = np.radians(60.0 * (2 * u[k, 2].item() - 1))
        assert abs(np.degrees(theta)) > 1  # a real rotation
        xc, yc = (cols + 0.5) - w / 2, (rows + 0.5) - h / 2  # output pixel centres about the image centre
        if u[k, 3].item() < 0.5:
            xc = -xc
        xs = np.cos(theta) * xc - np.sin(theta) * yc + w / 2  # where they sample the input, in pixels
        ys = np.sin(theta) * xc + np.cos(theta) * yc + h / 2
        grid = torch.tensor(np.stack([2 * xs / w - 1, 2 * ys / h - 1], axis=-1), dtype=torch.float32)
        expected = torch.nn.functional.grid_sample(x[k : k + 1], grid[None], align_corners=False)
        torch.testing.assert_close(out[k], expected[0], atol=1e-3, rtol=1e-4)


def test_channels_last_output_in_training_and_eval_mode():
    x = batch(n=4, shape=(16, 8)).contiguous(memory_format=torch.channels_last)
    pre = Preprocess(MEAN, STD, channels_last=True)
    for mode in (True, False):
        out = pre.train(mode)(x)
        assert out.is_contiguous(memory_format=torch.channels_last), mode
    assert not Preprocess(MEAN, STD).train()(x).is_contiguous(memory_format=torch.channels_last)
    assert "channels_last" not in "".join(pre.state_dict())
