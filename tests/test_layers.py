"""layers.py: published CS231n values, numerical gradients (float64), PyTorch autograd, contracts."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import layers
from gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error

ACTIVATIONS = ["relu", "leaky_relu", "sigmoid", "tanh"]
TORCH_ACTIVATIONS = {"relu": F.relu, "leaky_relu": F.leaky_relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def forward_backward(name):
    return getattr(layers, f"{name}_forward"), getattr(layers, f"{name}_backward")


def torch_grads(fn, *arrays, dout):
    """Run fn on float64 torch copies of arrays; return (out, gradients of sum(out * dout))."""
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), [t.grad.numpy() for t in tensors]


# ---------------------------------------------------------------- published values (CS231n notebooks)

def test_affine_forward_published_values():
    x = np.linspace(-0.1, 0.5, num=240).reshape(2, 4, 5, 6)
    w = np.linspace(-0.2, 0.3, num=360).reshape(120, 3)
    b = np.linspace(-0.3, 0.1, num=3)
    out, _ = layers.affine_forward(x, w, b)
    correct_out = np.array([[1.49834967, 1.70660132, 1.91485297],
                            [3.25553199, 3.5141327, 3.77273342]])
    assert rel_error(out, correct_out) < 1e-8


def test_relu_forward_published_values():
    x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
    out, _ = layers.relu_forward(x)
    correct_out = np.array([[0., 0., 0., 0.],
                            [0., 0., 0.04545455, 0.13636364],
                            [0.22727273, 0.31818182, 0.40909091, 0.5]])
    assert rel_error(out, correct_out) < 5e-8


def test_softmax_loss_is_log_c_for_small_scores():
    rng = np.random.RandomState(231)
    x = 0.001 * rng.randn(50, 10)
    y = rng.randint(10, size=50)
    loss, _ = layers.softmax_loss(x, y)
    assert loss == pytest.approx(np.log(10), abs=0.01)  # "should be close to 2.3"


def test_fc_names_are_the_affine_layer():
    assert layers.fc_forward is layers.affine_forward
    assert layers.fc_backward is layers.affine_backward


# ---------------------------------------------------------------- numerical gradients (float64)

def test_affine_backward_numerical():
    rng = np.random.RandomState(0)
    x, w, b, dout = rng.randn(10, 2, 3), rng.randn(6, 5), rng.randn(5), rng.randn(10, 5)
    dx, dw, db = layers.affine_backward(dout, layers.affine_forward(x, w, b)[1])
    assert (dx.shape, dw.shape, db.shape) == (x.shape, w.shape, b.shape)
    numerical = eval_numerical_gradient_array
    assert rel_error(dx, numerical(lambda v: layers.affine_forward(v, w, b)[0], x, dout)) < 1e-8
    assert rel_error(dw, numerical(lambda v: layers.affine_forward(x, v, b)[0], w, dout)) < 1e-8
    assert rel_error(db, numerical(lambda v: layers.affine_forward(x, w, v)[0], b, dout)) < 1e-8
    assert layers.affine_backward(dout, layers.affine_forward(x, w, b)[1], input_grad=False)[0] is None


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_backward_numerical(name):
    forward, backward = forward_backward(name)
    rng = np.random.RandomState(1)
    x = rng.randn(10, 10)
    x[np.abs(x) < 1e-3] = 0.5  # keep every entry away from the ReLU kink
    dout = rng.randn(*x.shape)
    dx = backward(dout, forward(x)[1])
    dx_num = eval_numerical_gradient_array(lambda v: forward(v)[0], x, dout)
    assert dx.shape == x.shape
    assert rel_error(dx, dx_num) < 1e-8


def test_softmax_loss_numerical():
    rng = np.random.RandomState(2)
    x, y = rng.randn(7, 5), rng.randint(5, size=7)
    _, dx = layers.softmax_loss(x, y)
    dx_num = eval_numerical_gradient(lambda v: layers.softmax_loss(v, y)[0], x, verbose=False)
    assert rel_error(dx, dx_num) < 1e-8


@pytest.mark.parametrize("keep_prob", [0.25, 0.6, 1.0])
def test_dropout_backward_numerical(keep_prob):
    rng = np.random.RandomState(3)
    x, dout = rng.randn(10, 10) + 10, rng.randn(10, 10)
    param = {"mode": "train", "keep_prob": keep_prob, "seed": 123}
    dx = layers.dropout_backward(dout, layers.dropout_forward(x, param)[1])
    dx_num = eval_numerical_gradient_array(lambda v: layers.dropout_forward(v, param)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-10


@pytest.mark.parametrize("mode", ["train", "test"])
def test_batchnorm_backward_numerical(mode):
    rng = np.random.RandomState(4)
    N, D = 4, 5
    x, gamma, beta, dout = 5 * rng.randn(N, D) + 12, rng.randn(D), rng.randn(D), rng.randn(N, D)
    stats = {"running_mean": rng.randn(D), "running_var": rng.rand(D) + 0.5}

    def fwd(x_, gamma_, beta_):
        return layers.batchnorm_forward(x_, gamma_, beta_, {"mode": mode, **stats})[0]

    dx, dgamma, dbeta = layers.batchnorm_backward(dout, layers.batchnorm_forward(x, gamma, beta,
                                                                                {"mode": mode, **stats})[1])
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: fwd(v, gamma, beta), x, dout)) < 1e-7
    assert rel_error(dgamma, eval_numerical_gradient_array(lambda v: fwd(x, v, beta), gamma, dout)) < 1e-7
    assert rel_error(dbeta, eval_numerical_gradient_array(lambda v: fwd(x, gamma, v), beta, dout)) < 1e-7


# ---------------------------------------------------------------- PyTorch autograd as an oracle

def test_affine_matches_torch_linear():
    rng = np.random.RandomState(5)
    x, w, b, dout = rng.randn(6, 2, 4), rng.randn(8, 3), rng.randn(3), rng.randn(6, 3)
    out, cache = layers.affine_forward(x, w, b)
    t_out, (t_dx, t_dw, t_db) = torch_grads(lambda x_, w_, b_: F.linear(x_.reshape(6, -1), w_.T, b_),
                                            x, w, b, dout=dout)
    dx, dw, db = layers.affine_backward(dout, cache)
    for ours, theirs in [(out, t_out), (dx, t_dx), (dw, t_dw), (db, t_db)]:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_matches_torch(name):
    forward, backward = forward_backward(name)
    rng = np.random.RandomState(6)
    x, dout = 3 * rng.randn(5, 7), rng.randn(5, 7)
    out, cache = forward(x)
    t_out, (t_dx,) = torch_grads(TORCH_ACTIVATIONS[name], x, dout=dout)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(backward(dout, cache), t_dx, rtol=1e-12, atol=1e-15)


def test_leaky_relu_slope_keyword_matches_torch():
    x, dout = np.linspace(-2, 2, 9), np.ones(9)
    out, cache = layers.leaky_relu_forward(x, negative_slope=0.2)
    t_out, (t_dx,) = torch_grads(lambda v: F.leaky_relu(v, negative_slope=0.2), x, dout=dout)
    np.testing.assert_allclose(out, t_out)
    np.testing.assert_allclose(layers.leaky_relu_backward(dout, cache), t_dx)


def test_softmax_loss_matches_torch_cross_entropy():
    rng = np.random.RandomState(7)
    x, y = 4 * rng.randn(9, 6), rng.randint(6, size=9)
    loss, dx = layers.softmax_loss(x, y)
    t_loss, (t_dx,) = torch_grads(lambda v: F.cross_entropy(v, torch.tensor(y)), x, dout=np.array(1.0))
    assert loss == pytest.approx(float(t_loss), rel=1e-12)
    np.testing.assert_allclose(dx, t_dx, rtol=1e-10, atol=1e-15)


def test_batchnorm_train_matches_torch():
    rng = np.random.RandomState(8)
    N, D = 6, 4
    x, gamma, beta, dout = 3 * rng.randn(N, D) + 2, rng.randn(D), rng.randn(D), rng.randn(N, D)
    bn_param = {"mode": "train", "running_mean": rng.randn(D), "running_var": rng.rand(D) + 1}
    old_var = bn_param["running_var"].copy()
    t_mean, t_var = torch.tensor(bn_param["running_mean"]), torch.tensor(old_var)
    out, cache = layers.batchnorm_forward(x, gamma, beta, bn_param)
    # torch's momentum is the weight of the new batch: 1 - ours.
    t_out, t_grads = torch_grads(lambda x_, g_, b_: F.batch_norm(x_, t_mean, t_var, g_, b_, training=True,
                                                                 momentum=0.1, eps=1e-5),
                                 x, gamma, beta, dout=dout)
    np.testing.assert_allclose(out, t_out, rtol=1e-10, atol=1e-12)
    for ours, theirs in zip(layers.batchnorm_backward(dout, cache), t_grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(bn_param["running_mean"], t_mean.numpy(), rtol=1e-12)
    # torch keeps the unbiased batch variance in running_var; the course (and we) keep the biased one.
    np.testing.assert_allclose(t_var.numpy(), 0.9 * old_var + 0.1 * x.var(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], 0.9 * old_var + 0.1 * x.var(axis=0), rtol=1e-12)


def test_batchnorm_test_mode_matches_torch_eval():
    rng = np.random.RandomState(9)
    N, D = 5, 3
    x, gamma, beta, dout = rng.randn(N, D), rng.randn(D), rng.randn(D), rng.randn(N, D)
    mean, var = rng.randn(D), rng.rand(D) + 0.5
    out, cache = layers.batchnorm_forward(x, gamma, beta, {"mode": "test", "running_mean": mean,
                                                            "running_var": var})
    t_out, t_grads = torch_grads(lambda x_, g_, b_: F.batch_norm(x_, torch.tensor(mean), torch.tensor(var),
                                                                 g_, b_, training=False, eps=1e-5),
                                 x, gamma, beta, dout=dout)
    np.testing.assert_allclose(out, t_out, rtol=1e-12)
    for ours, theirs in zip(layers.batchnorm_backward(dout, cache), t_grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_dropout_test_mode_matches_torch():
    x = np.random.RandomState(10).randn(4, 6)
    out, _ = layers.dropout_forward(x, {"mode": "test", "keep_prob": 0.3})
    np.testing.assert_array_equal(out, F.dropout(torch.tensor(x), p=0.7, training=False).numpy())


# ---------------------------------------------------------------- stability, dtype, no mutation

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_loss_is_finite_at_huge_scores(dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    y = np.array([1, 0, 2])
    # Everything but underflow raises: exp(-2e4) underflowing to 0 is the correct probability (NumPy
    # ignores underflow by default), while silencing it inside the layer would cost an np.errstate
    # context (about 1 us) on every training step.
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, dx = layers.softmax_loss(x, y)
    assert np.isfinite(loss) and np.isfinite(dx).all()
    assert loss == pytest.approx((2e4 + np.log(3) + 2e4 + np.log(2)) / 3, rel=1e-6)
    assert dx.dtype == dtype


# name -> (forward, backward, shapes of the differentiated inputs); every output here is (4, 5)
CASES = {
    "affine": (layers.affine_forward, layers.affine_backward, [(4, 2, 3), (6, 5), (5,)]),
    "relu": (layers.relu_forward, layers.relu_backward, [(4, 5)]),
    "leaky_relu": (layers.leaky_relu_forward, layers.leaky_relu_backward, [(4, 5)]),
    "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward, [(4, 5)]),
    "tanh": (layers.tanh_forward, layers.tanh_backward, [(4, 5)]),
    "dropout": (lambda x: layers.dropout_forward(x, {"mode": "train", "keep_prob": 0.5}),
                layers.dropout_backward, [(4, 5)]),
    "batchnorm": (lambda x, g, b: layers.batchnorm_forward(x, g, b, {"mode": "train"}),
                  layers.batchnorm_backward, [(4, 5), (5,), (5,)]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CASES))
def test_layers_keep_dtype_shapes_and_inputs(name, dtype):
    rng = np.random.RandomState(11)
    forward, backward, shapes = CASES[name]
    inputs = [rng.randn(*shape).astype(dtype) for shape in shapes]
    out_shape = (4, 5)
    saved = [a.copy() for a in inputs]
    out, cache = forward(*inputs)
    dout = rng.randn(*out_shape).astype(dtype)
    dout_saved = dout.copy()
    grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert out.shape == out_shape and out.dtype == dtype
    for grad, x in zip(grads, inputs, strict=True):
        assert grad.shape == x.shape and grad.dtype == dtype
    for a, a_saved in zip(inputs, saved, strict=True):
        np.testing.assert_array_equal(a, a_saved)
    np.testing.assert_array_equal(dout, dout_saved)


def test_softmax_loss_keeps_inputs_and_dtype():
    x, y = np.random.RandomState(12).randn(3, 4).astype(np.float32), np.array([0, 3, 1])
    x_saved, y_saved = x.copy(), y.copy()
    _, dx = layers.softmax_loss(x, y)
    assert dx.dtype == np.float32 and dx.shape == x.shape
    np.testing.assert_array_equal(x, x_saved)
    np.testing.assert_array_equal(y, y_saved)


# ---------------------------------------------------------------- which activations vanish

def test_saturating_activations_vanish_and_relus_do_not():
    x, dout = np.array([-20.0, 20.0]), np.ones(2)
    for name in ("sigmoid", "tanh"):
        forward, backward = forward_backward(name)
        assert np.all(backward(dout, forward(x)[1]) < 1e-8)  # saturated at both ends
    assert layers.sigmoid_backward(np.ones(1), layers.sigmoid_forward(np.zeros(1))[1])[0] == 0.25  # at best
    np.testing.assert_array_equal(layers.relu_backward(dout, layers.relu_forward(x)[1]), [0.0, 1.0])
    leaky_dx = layers.leaky_relu_backward(dout, layers.leaky_relu_forward(x)[1])
    np.testing.assert_array_equal(leaky_dx, [0.01, 1.0])


def test_sigmoid_does_not_overflow():
    with np.errstate(all="raise"):
        out, _ = layers.sigmoid_forward(np.array([-1e4, 0.0, 1e4], dtype=np.float32))
    np.testing.assert_array_equal(out, [0.0, 0.5, 1.0])


# ---------------------------------------------------------------- dropout semantics

def test_dropout_keeps_the_named_fraction_and_the_mean():
    x = np.random.RandomState(13).randn(500, 500) + 10
    for keep_prob in (0.25, 0.4, 0.7):
        out, _ = layers.dropout_forward(x, {"mode": "train", "keep_prob": keep_prob, "seed": 0})
        assert abs((out == 0).mean() - (1 - keep_prob)) < 0.01
        assert abs(out.mean() - x.mean()) < 0.05


def test_dropout_test_mode_is_identity_without_random_draws():
    x = np.random.RandomState(14).randn(10, 10)
    state = np.random.get_state()
    out, cache = layers.dropout_forward(x, {"mode": "test", "keep_prob": 0.5})
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(layers.dropout_backward(x, cache), x)
    assert np.random.get_state()[2] == state[2] and np.array_equal(np.random.get_state()[1], state[1])


def test_dropout_seed_fixes_the_mask_and_spares_the_global_state():
    x = np.ones((20, 20))
    state = np.random.get_state()
    first, _ = layers.dropout_forward(x, {"mode": "train", "keep_prob": 0.5, "seed": 7})
    second, _ = layers.dropout_forward(x, {"mode": "train", "keep_prob": 0.5, "seed": 7})
    np.testing.assert_array_equal(first, second)
    assert np.array_equal(np.random.get_state()[1], state[1])
    np.random.seed(1)
    a, _ = layers.dropout_forward(x, {"mode": "train", "keep_prob": 0.5})
    np.random.seed(1)
    b, _ = layers.dropout_forward(x, {"mode": "train", "keep_prob": 0.5})
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- batch norm semantics

def test_batchnorm_train_normalizes_and_updates_running_stats():
    rng = np.random.RandomState(15)
    x = 4 * rng.randn(200, 3) + 7
    gamma, beta = np.array([1.0, 2.0, 3.0]), np.array([0.0, -1.0, 5.0])
    bn_param = {"mode": "train"}
    out, _ = layers.batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-10)
    np.testing.assert_allclose(out.std(axis=0), gamma, rtol=1e-5)
    # defaults: running mean 0 and var 1, momentum 0.9
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(bn_param["running_var"], 0.9 + 0.1 * x.var(axis=0))


def test_batchnorm_test_mode_uses_running_stats_after_training():
    rng = np.random.RandomState(16)
    bn_param = {"mode": "train"}
    gamma, beta = np.ones(3), np.zeros(3)
    for _ in range(100):
        layers.batchnorm_forward(2 * rng.randn(50, 3) - 3, gamma, beta, bn_param)
    bn_param["mode"] = "test"
    out, _ = layers.batchnorm_forward(2 * rng.randn(2000, 3) - 3, gamma, beta, bn_param)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=0.1)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=0.1)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("x_shape, w_shape, b_shape, match", [
    ((4, 7), (6, 5), (5,), "7 features per example but w"),
    ((4,), (4, 5), (5,), "need x"),
    ((4, 6), (6, 5), (4,), "b"),
])
def test_affine_rejects_bad_shapes(x_shape, w_shape, b_shape, match):
    with pytest.raises(ValueError, match=match):
        layers.affine_forward(np.zeros(x_shape), np.zeros(w_shape), np.zeros(b_shape))


@pytest.mark.parametrize("y, match", [
    (np.array([0, 3, 1]), r"y\[1\] = 3 is outside 0..2"),
    (np.array([0, -1, 1]), r"y\[1\] = -1 is outside 0..2"),
    (np.array([0, 1]), r"shape \(3,\)"),
    (np.array([[0, 1, 2]]), r"shape \(3,\)"),
    (np.array([0.0, 1.0, 2.0]), "integer labels"),
])
def test_softmax_loss_rejects_bad_labels(y, match):
    with pytest.raises(ValueError, match=match):
        layers.softmax_loss(np.zeros((3, 3)), y)


def test_softmax_loss_rejects_bad_scores():
    with pytest.raises(ValueError, match=r"shape \(N, C\)"):
        layers.softmax_loss(np.zeros(3), np.array([0]))
    with pytest.raises(ValueError, match="N > 0"):
        layers.softmax_loss(np.zeros((0, 3)), np.zeros(0, dtype=int))


@pytest.mark.parametrize("param, match", [
    ({"mode": "train", "p": 0.5}, "'p'.*keep_prob"),
    ({"mode": "train", "keep_prob": 0.0}, r"keep_prob must be in \(0, 1\]"),
    ({"mode": "train", "keep_prob": 1.5}, r"keep_prob must be in \(0, 1\]"),
    ({"mode": "eval", "keep_prob": 0.5}, "mode must be 'train' or 'test'"),
])
def test_dropout_rejects_bad_params(param, match):
    with pytest.raises(ValueError, match=match):
        layers.dropout_forward(np.ones((2, 2)), param)


def test_batchnorm_rejects_bad_input():
    with pytest.raises(ValueError, match="gamma"):
        layers.batchnorm_forward(np.zeros((4, 3)), np.ones(2), np.zeros(3), {"mode": "train"})
    with pytest.raises(ValueError, match="mode must be"):
        layers.batchnorm_forward(np.zeros((4, 3)), np.ones(3), np.zeros(3), {"mode": "eval"})
    with pytest.raises(ValueError, match="at least 2 examples"):
        layers.batchnorm_forward(np.zeros((1, 3)), np.ones(3), np.zeros(3), {"mode": "train"})


@pytest.mark.parametrize("name", sorted(CASES))
def test_backward_refuses_a_dout_of_the_wrong_shape(name):
    forward, backward, shapes = CASES[name]
    rng = np.random.RandomState(17)
    _, cache = forward(*[rng.randn(*shape) for shape in shapes])
    with pytest.raises(ValueError, match=rf"{name}_backward: dout has shape \(4, 1\) but the forward "
                                         rf"output had \(4, 5\)"):
        backward(np.ones((4, 1)), cache)


def test_dropout_backward_in_test_mode_checks_dout_too():
    _, cache = layers.dropout_forward(np.ones((4, 5)), {"mode": "test", "keep_prob": 0.5})
    with pytest.raises(ValueError, match="dropout_backward: dout has shape"):
        layers.dropout_backward(np.ones((5, 4)), cache)


@pytest.mark.parametrize("call, match", [
    (lambda: layers.dropout_forward(np.ones((2, 2)), {"mode": "train"}), "dropout_param lacks .*'keep_prob'"),
    (lambda: layers.dropout_forward(np.ones((2, 2)), {"keep_prob": 0.5}), "dropout_param lacks .*'mode'"),
    (lambda: layers.batchnorm_forward(np.ones((2, 2)), np.ones(2), np.zeros(2), {}), "bn_param lacks"),
])
def test_missing_param_keys_name_the_layer_and_key(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_numpy_scalar_hyperparameters_keep_float32():
    """NumPy 2 promotes float32 arrays combined with np.float64 scalars to float64."""
    rng = np.random.RandomState(18)
    x, dout = rng.randn(6, 3).astype(np.float32), rng.randn(6, 3).astype(np.float32)
    out, cache = layers.leaky_relu_forward(x, negative_slope=np.float64(0.2))
    assert out.dtype == layers.leaky_relu_backward(dout, cache).dtype == np.float32
    gamma, beta = np.ones(3, np.float32), np.zeros(3, np.float32)
    bn_param = {"mode": "train", "eps": np.float64(1e-5), "momentum": np.float64(0.9)}
    out, cache = layers.batchnorm_forward(x, gamma, beta, bn_param)
    assert out.dtype == np.float32
    assert bn_param["running_mean"].dtype == bn_param["running_var"].dtype == np.float32
    assert all(g.dtype == np.float32 for g in layers.batchnorm_backward(dout, cache))
    bn_param["mode"] = "test"
    assert layers.batchnorm_forward(x, gamma, beta, bn_param)[0].dtype == np.float32
    out, cache = layers.dropout_forward(x, {"mode": "train", "keep_prob": np.float64(0.5), "seed": 0})
    assert out.dtype == layers.dropout_backward(dout, cache).dtype == np.float32


def test_batchnorm_running_stats_are_kept_in_the_input_dtype():
    x = np.random.RandomState(19).randn(4, 3).astype(np.float32)
    bn_param = {"mode": "test", "running_mean": np.zeros(3), "running_var": np.ones(3)}  # float64
    out, _ = layers.batchnorm_forward(x, np.ones(3, np.float32), np.zeros(3, np.float32), bn_param)
    assert out.dtype == bn_param["running_mean"].dtype == np.float32


def test_softmax_loss_computes_integer_scores_in_float64():
    x, y = np.array([[3, 1, -2], [0, 0, 5]]), np.array([0, 1])
    loss, dx = layers.softmax_loss(x, y)
    expected_loss, expected_dx = layers.softmax_loss(x.astype(np.float64), y)
    assert loss == expected_loss and dx.dtype == np.float64
    np.testing.assert_array_equal(dx, expected_dx)
    with pytest.raises(ValueError, match="real numbers, got dtype complex128"):
        layers.softmax_loss(x.astype(complex), y)


def test_dropout_draws_from_the_given_rng_unless_seeded():
    x = np.ones((20, 20))
    state = np.random.get_state()
    first, _ = layers.dropout_forward(x, {"mode": "train", "keep_prob": 0.5, "rng": np.random.RandomState(3)})
    again, _ = layers.dropout_forward(x, {"mode": "train", "keep_prob": 0.5, "rng": np.random.RandomState(3)})
    np.testing.assert_array_equal(first, again)
    rng = np.random.RandomState(3)
    layers.dropout_forward(x, {"mode": "train", "keep_prob": 0.5, "rng": rng})
    second, _ = layers.dropout_forward(x, {"mode": "train", "keep_prob": 0.5, "rng": rng})
    assert not np.array_equal(first, second)  # the stream moves on: a fresh mask
    seeded, _ = layers.dropout_forward(x, {"mode": "train", "keep_prob": 0.5, "seed": 7, "rng": rng})
    np.testing.assert_array_equal(seeded, layers.dropout_forward(x, {"mode": "train", "keep_prob": 0.5,
                                                                     "seed": 7})[0])  # the seed wins
    assert np.array_equal(np.random.get_state()[1], state[1])


def test_check_labels_is_shared_by_the_callers():
    y = layers.check_labels("here", [0, 2, 1], 3, num_examples=3)
    np.testing.assert_array_equal(y, [0, 2, 1])
    with pytest.raises(ValueError, match=r"here: labels\[1\] = 3 is outside 0..2 \(3 classes\)"):
        layers.check_labels("here", np.array([0, 3]), 3, name="labels")
    assert layers.check_labels("here", np.array([7, -1]), None).shape == (2,)  # no range check
