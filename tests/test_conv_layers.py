"""Convolution and max-pooling layers of layers.py, naive and fast, against published values,
numerical gradients and PyTorch (forward and autograd backward)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gradient_check import eval_numerical_gradient_array, rel_error
from layers import (
    conv_backward_fast,
    conv_backward_naive,
    conv_forward_fast,
    conv_forward_naive,
    max_pool_backward_fast,
    max_pool_backward_naive,
    max_pool_forward_fast,
    max_pool_forward_naive,
)

CONV = {"naive": (conv_forward_naive, conv_backward_naive), "fast": (conv_forward_fast, conv_backward_fast)}
POOL = {"naive": (max_pool_forward_naive, max_pool_backward_naive),
        "fast": (max_pool_forward_fast, max_pool_backward_fast)}

# (N, C, H, W, F, HH, WW, stride, pad): odd sizes, non-square inputs and kernels, strides 1-3, pads 0-2.
CONV_CASES = [
    (2, 3, 5, 5, 4, 3, 3, 1, 1),
    (2, 3, 7, 7, 2, 3, 3, 2, 1),
    (1, 2, 6, 8, 3, 2, 2, 2, 0),
    (2, 3, 4, 4, 3, 4, 4, 2, 1),
    (3, 1, 9, 5, 2, 3, 1, 2, 2),
    (1, 4, 7, 10, 2, 1, 4, 3, 0),
    (2, 2, 3, 3, 5, 3, 3, 1, 0),
    (1, 1, 1, 1, 1, 1, 1, 1, 0),
    (1, 2, 2, 3, 2, 1, 1, 1, 2),    # pad larger than the kernel: a border of pure bias
    (1, 2, 5, 7, 2, 3, 2, 3, 2),    # stride 3 with pad 2: some kernel offsets see only padding
]
# (N, C, H, W, pool_height, pool_width, stride): tiling, overlapping (stride < window), odd sizes.
POOL_CASES = [
    (2, 3, 4, 4, 2, 2, 2),
    (2, 2, 5, 7, 3, 3, 1),
    (1, 3, 7, 7, 3, 3, 2),
    (2, 1, 6, 9, 2, 3, 2),
    (1, 2, 5, 5, 5, 5, 1),
    (3, 2, 5, 6, 1, 2, 2),
]


def _torch_conv(x, w, b, stride, pad, dout):
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.conv2d(xt, wt, bt, stride=stride, padding=pad)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def _torch_pool(x, ph, pw, stride, dout):
    xt = torch.tensor(x, requires_grad=True)
    out = F.max_pool2d(xt, (ph, pw), stride=stride)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), xt.grad.numpy()


def test_conv_forward_matches_cs231n_published_values():
    # The CS231n ConvolutionalNetworks notebook's check; the array below agrees with
    # torch.nn.functional.conv2d to 5e-9 (it is printed to 8 decimals).
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    correct_out = np.array([[[[-0.08759809, -0.10987781], [-0.18387192, -0.2109216]],
                             [[0.21027089, 0.21661097], [0.22847626, 0.23004637]],
                             [[0.50813986, 0.54309974], [0.64082444, 0.67101435]]],
                            [[[-0.98053589, -1.03143541], [-1.19128892, -1.24695841]],
                             [[0.69108355, 0.66880383], [0.59480972, 0.56776003]],
                             [[2.36270298, 2.36904306], [2.38090835, 2.38247847]]]])
    torch_out = _torch_conv(x, w, b, 2, 1, np.zeros((2, 3, 2, 2)))[0]
    assert np.abs(torch_out - correct_out).max() < 1e-8
    for forward, _ in CONV.values():
        out, _ = forward(x, w, b, {"stride": 2, "pad": 1})
        assert out.shape == (2, 3, 2, 2)
        assert rel_error(out, correct_out) < 1e-7


def test_max_pool_forward_matches_cs231n_published_values():
    x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    correct_out = np.array([[[[-0.26315789, -0.24842105], [-0.20421053, -0.18947368]],
                             [[-0.14526316, -0.13052632], [-0.08631579, -0.07157895]],
                             [[-0.02736842, -0.01263158], [0.03157895, 0.04631579]]],
                            [[[0.09052632, 0.10526316], [0.14947368, 0.16421053]],
                             [[0.20842105, 0.22315789], [0.26736842, 0.28210526]],
                             [[0.32631579, 0.34105263], [0.38526316, 0.4]]]])
    for forward, _ in POOL.values():
        out, _ = forward(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
        assert rel_error(out, correct_out) < 1e-7


@pytest.mark.parametrize("impl", CONV)
@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: "x".join(map(str, c)))
def test_conv_matches_torch_forward_and_backward(impl, case):
    N, C, H, W, F_, HH, WW, stride, pad = case
    rng = np.random.default_rng(sum(case))
    x, w, b = rng.standard_normal((N, C, H, W)), rng.standard_normal((F_, C, HH, WW)), rng.standard_normal(F_)
    forward, backward = CONV[impl]
    out, cache = forward(x, w, b, {"stride": stride, "pad": pad})
    dout = rng.standard_normal(out.shape)
    dx, dw, db = backward(dout, cache)
    t_out, t_dx, t_dw, t_db = _torch_conv(x, w, b, stride, pad, dout)
    assert out.shape == t_out.shape
    assert (dx.shape, dw.shape, db.shape) == (x.shape, w.shape, b.shape)
    for mine, ref in ((out, t_out), (dx, t_dx), (dw, t_dw), (db, t_db)):
        np.testing.assert_allclose(mine, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("impl", POOL)
@pytest.mark.parametrize("case", POOL_CASES, ids=lambda c: "x".join(map(str, c)))
def test_max_pool_matches_torch_forward_and_backward(impl, case):
    N, C, H, W, ph, pw, stride = case
    rng = np.random.default_rng(sum(case))
    x = rng.standard_normal((N, C, H, W))
    forward, backward = POOL[impl]
    out, cache = forward(x, {"pool_height": ph, "pool_width": pw, "stride": stride})
    dout = rng.standard_normal(out.shape)
    dx = backward(dout, cache)
    t_out, t_dx = _torch_pool(x, ph, pw, stride, dout)
    np.testing.assert_array_equal(out, t_out)
    np.testing.assert_allclose(dx, t_dx, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("impl", POOL)
def test_max_pool_ties_go_to_first_maximum_like_torch(impl):
    # Values in {0, 1, 2}: most windows hold several equal maxima; overlapping windows (stride 1).
    x = np.random.default_rng(0).integers(0, 3, size=(2, 2, 6, 5)).astype(np.float64)
    forward, backward = POOL[impl]
    out, cache = forward(x, {"pool_height": 3, "pool_width": 2, "stride": 1})
    dout = np.random.default_rng(1).standard_normal(out.shape)
    t_out, t_dx = _torch_pool(x, 3, 2, 1, dout)
    np.testing.assert_array_equal(out, t_out)
    np.testing.assert_allclose(backward(dout, cache), t_dx, rtol=1e-12, atol=1e-14)
    # one 2x2 window of zeros: all the gradient lands on its top-left entry
    _, cache = forward(np.zeros((1, 1, 2, 2)), {"pool_height": 2, "pool_width": 2, "stride": 2})
    np.testing.assert_array_equal(backward(np.ones((1, 1, 1, 1)), cache)[0, 0], [[1, 0], [0, 0]])


@pytest.mark.parametrize("impl", POOL)
def test_max_pool_overlapping_windows_accumulate(impl):
    # A single large value is the maximum of all four overlapping 2x2 windows around it.
    x = np.zeros((1, 1, 3, 3))
    x[0, 0, 1, 1] = 5.0
    forward, backward = POOL[impl]
    out, cache = forward(x, {"pool_height": 2, "pool_width": 2, "stride": 1})
    dx = backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]), cache)
    assert dx[0, 0, 1, 1] == 10.0 and dx.sum() == 10.0


# A small grid for the numerical checks: strides 1-3, pads 0-2, non-square inputs and kernels.
NUMERICAL_CONV_CASES = [(2, 3, 5, 5, 3, 3, 3, 2, 1), (1, 2, 4, 6, 2, 2, 3, 1, 0), (2, 1, 5, 4, 2, 3, 2, 1, 2),
                        (1, 2, 7, 7, 2, 1, 4, 3, 0)]
NUMERICAL_POOL_CASES = [(2, 2, 5, 5, 3, 3, 2), (1, 3, 4, 6, 2, 3, 1), (2, 1, 6, 6, 2, 2, 2),
                        (1, 2, 5, 7, 1, 3, 2)]


@pytest.mark.parametrize("impl", CONV)
@pytest.mark.parametrize("case", NUMERICAL_CONV_CASES, ids=lambda c: "x".join(map(str, c)))
def test_conv_backward_matches_numerical_gradient(impl, case):
    N, C, H, W, F_, HH, WW, stride, pad = case
    rng = np.random.default_rng(231)
    x, w, b = rng.standard_normal((N, C, H, W)), rng.standard_normal((F_, C, HH, WW)), rng.standard_normal(F_)
    conv_param = {"stride": stride, "pad": pad}
    forward, backward = CONV[impl]
    out, cache = forward(x, w, b, conv_param)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: forward(v, w, b, conv_param)[0], x, dout)
    dw_num = eval_numerical_gradient_array(lambda v: forward(x, v, b, conv_param)[0], w, dout)
    db_num = eval_numerical_gradient_array(lambda v: forward(x, w, v, conv_param)[0], b, dout)
    # (a wrong gradient gives errors near 1; rounding in the differences gives ~1e-8 at small entries)
    assert rel_error(dx, dx_num) < 1e-7
    assert rel_error(dw, dw_num) < 1e-7
    assert rel_error(db, db_num) < 1e-7


@pytest.mark.parametrize("impl", POOL)
@pytest.mark.parametrize("case", NUMERICAL_POOL_CASES, ids=lambda c: "x".join(map(str, c)))
def test_max_pool_backward_matches_numerical_gradient(impl, case):
    N, C, H, W, ph, pw, stride = case
    x = np.random.default_rng(231).standard_normal((N, C, H, W))
    pool_param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    forward, backward = POOL[impl]
    out, cache = forward(x, pool_param)
    dout = np.random.default_rng(1).standard_normal(out.shape)
    dx_num = eval_numerical_gradient_array(lambda v: forward(v, pool_param)[0], x, dout)
    assert rel_error(backward(dout, cache), dx_num) < 1e-8


def test_naive_and_fast_agree_on_a_larger_case():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((4, 5, 11, 9)), rng.standard_normal((6, 5, 3, 5)), rng.standard_normal(6)
    conv_param = {"stride": 2, "pad": 2}
    out_n, cache_n = conv_forward_naive(x, w, b, conv_param)
    out_f, cache_f = conv_forward_fast(x, w, b, conv_param)
    np.testing.assert_allclose(out_f, out_n, rtol=1e-12, atol=1e-12)
    dout = rng.standard_normal(out_n.shape)
    for g_f, g_n in zip(conv_backward_fast(dout, cache_f), conv_backward_naive(dout, cache_n), strict=True):
        np.testing.assert_allclose(g_f, g_n, rtol=1e-12, atol=1e-12)
    pool_param = {"pool_height": 3, "pool_width": 3, "stride": 2}
    pout_n, pcache_n = max_pool_forward_naive(out_n, pool_param)
    pout_f, pcache_f = max_pool_forward_fast(out_n, pool_param)
    np.testing.assert_array_equal(pout_f, pout_n)
    pdout = rng.standard_normal(pout_n.shape)
    # overlapping windows: both accumulate the same terms, in a different order
    np.testing.assert_allclose(max_pool_backward_fast(pdout, pcache_f),
                               max_pool_backward_naive(pdout, pcache_n), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("impl", ["naive", "fast"])
def test_float32_stays_float32_and_inputs_are_not_modified(impl):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    copies = [a.copy() for a in (x, w, b)]
    out, cache = CONV[impl][0](x, w, b, {"stride": 1, "pad": 1})
    grads = CONV[impl][1](np.ones_like(out), cache)
    pooled, pcache = POOL[impl][0](out, {"pool_height": 2, "pool_width": 2, "stride": 2})
    dpool = POOL[impl][1](np.ones_like(pooled), pcache)
    assert {a.dtype for a in (out, *grads, pooled, dpool)} == {np.dtype(np.float32)}
    for a, a_copy in zip((x, w, b), copies, strict=True):
        np.testing.assert_array_equal(a, a_copy)


@pytest.mark.parametrize("impl", ["naive", "fast"])
def test_mixed_dtypes_give_each_gradient_the_dtype_of_what_it_differentiates(impl):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3))  # float64
    b = rng.standard_normal(4).astype(np.float32)
    conv_param = {"stride": 2, "pad": 1}
    out, cache = CONV[impl][0](x, w, b, conv_param)
    assert out.dtype == np.float64  # np.result_type(x, w, b)
    dout = rng.standard_normal(out.shape)  # float64
    dx, dw, db = CONV[impl][1](dout, cache)
    assert (dx.dtype, dw.dtype, db.dtype) == (np.float32, np.float64, np.float32)
    # the same numbers as in float64 (up to float32 rounding of x, b and dx)
    ref_out, ref_cache = CONV["naive"][0](x.astype(np.float64), w, b.astype(np.float64), conv_param)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12)
    for mine, ref in zip((dx, dw, db), CONV["naive"][1](dout, ref_cache), strict=True):
        np.testing.assert_allclose(mine, ref, rtol=1e-6, atol=1e-6)
    pooled, pcache = POOL[impl][0](x, {"pool_height": 2, "pool_width": 2, "stride": 1})
    dpool = POOL[impl][1](rng.standard_normal(pooled.shape), pcache)  # float64 dout
    assert pooled.dtype == dpool.dtype == np.float32


@pytest.mark.parametrize("impl", CONV)
@pytest.mark.parametrize("conv_param", [{"stride": True, "pad": 1}, {"stride": 1, "pad": False},
                                        {"stride": 1.0, "pad": 1}])
def test_conv_rejects_bools_and_floats_as_stride_or_pad(impl, conv_param):
    with pytest.raises(ValueError, match=r"stride must be an integer >= 1 and pad an integer >= 0, got"):
        CONV[impl][0](np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), np.zeros(1), conv_param)


@pytest.mark.parametrize("impl", POOL)
@pytest.mark.parametrize(("pool_param", "message"), [
    ({"pool_height": 2, "pool_width": 2, "stride": True}, r"an integer >= 1, got stride=True$"),
    ({"pool_height": True, "pool_width": 2, "stride": 1}, r"integer pool sizes >= 1"),
])
def test_max_pool_rejects_bools(impl, pool_param, message):
    with pytest.raises(ValueError, match=message):
        POOL[impl][0](np.zeros((1, 1, 4, 4)), pool_param)


@pytest.mark.parametrize("impl", CONV)
@pytest.mark.parametrize(("x_shape", "w_shape", "conv_param", "message"), [
    ((1, 1, 5, 5), (1, 1, 2, 2), {"stride": 2, "pad": 0}, r"height 5 with pad 0 is not tiled exactly"),
    ((1, 1, 5, 4), (1, 1, 3, 3), {"stride": 2, "pad": 1}, r"width 4 with pad 1 .* = 3 must be"),
    ((1, 1, 2, 2), (1, 1, 5, 5), {"stride": 1, "pad": 1}, r"height \+ 2\*pad - window = -1"),
    ((1, 1, 4, 4), (1, 1, 3, 3), {"stride": 0, "pad": 1}, r"stride must be an integer >= 1"),
    ((1, 1, 4, 4), (1, 1, 3, 3), {"stride": 1, "pad": -1}, r"pad an integer >= 0"),
    ((1, 1, 4, 4), (1, 1, 3, 3), {"stride": 1}, r"conv_param lacks the key\(s\) \['pad'\]"),
    ((1, 2, 4, 4), (1, 3, 3, 3), {"stride": 1, "pad": 1}, r"need x \(N, C, H, W\), w \(F, C, HH, WW\)"),
    ((4, 4), (1, 1, 3, 3), {"stride": 1, "pad": 1}, r"got x \(4, 4\)"),
])
def test_conv_rejects_bad_input(impl, x_shape, w_shape, conv_param, message):
    forward = CONV[impl][0]
    with pytest.raises(ValueError, match=f"conv_forward_{impl}: .*{message}"):
        forward(np.zeros(x_shape), np.zeros(w_shape), np.zeros(w_shape[0]), conv_param)


@pytest.mark.parametrize("impl", CONV)
def test_conv_rejects_bad_bias_and_dout(impl):
    forward, backward = CONV[impl]
    with pytest.raises(ValueError, match=r"b \(F,\); got x \(1, 1, 4, 4\), w \(2, 1, 3, 3\), b \(3,\)"):
        forward(np.zeros((1, 1, 4, 4)), np.zeros((2, 1, 3, 3)), np.zeros(3), {"stride": 1, "pad": 1})
    out, cache = forward(np.zeros((1, 1, 4, 4)), np.zeros((2, 1, 3, 3)), np.zeros(2), {"stride": 1, "pad": 1})
    with pytest.raises(ValueError, match=rf"conv_backward_{impl}: dout has shape \(1, 2, 4, 3\) but the "
                                         r"forward output had \(1, 2, 4, 4\)"):
        backward(np.zeros((1, 2, 4, 3)), cache)


@pytest.mark.parametrize("impl", POOL)
@pytest.mark.parametrize(("x_shape", "pool_param", "message"), [
    ((1, 1, 5, 4), {"pool_height": 2, "pool_width": 2, "stride": 2},
     r"height 5 is not tiled exactly by windows of 2 at stride 2: height - window = 3 must"),
    ((1, 1, 4, 4), {"pool_height": 2, "pool_width": 2, "stride": 0}, r"stride must be an integer >= 1"),
    ((1, 1, 4, 4), {"pool_height": 2, "stride": 2}, r"pool_param lacks the key\(s\) \['pool_width'\]"),
    ((1, 1, 4, 4), {"pool_height": 0, "pool_width": 2, "stride": 2}, r"integer pool sizes >= 1"),
    ((4, 4), {"pool_height": 2, "pool_width": 2, "stride": 2}, r"got x \(4, 4\)"),
])
def test_max_pool_rejects_bad_input(impl, x_shape, pool_param, message):
    with pytest.raises(ValueError, match=f"max_pool_forward_{impl}: .*{message}"):
        POOL[impl][0](np.zeros(x_shape), pool_param)


@pytest.mark.parametrize("impl", POOL)
def test_max_pool_backward_rejects_wrong_dout_shape(impl):
    forward, backward = POOL[impl]
    _, cache = forward(np.zeros((1, 2, 4, 4)), {"pool_height": 2, "pool_width": 2, "stride": 2})
    with pytest.raises(ValueError, match=rf"max_pool_backward_{impl}: dout has shape \(1, 2, 2, 1\)"):
        backward(np.zeros((1, 2, 2, 1)), cache)
