"""fc_net.py: published CS231n values, numerical gradients (float64), PyTorch autograd, bad input."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import fc_net
from fc_net import FullyConnectedNet
from gradient_check import eval_numerical_gradient, rel_error
from solver import Solver

N, D, H1, H2, C = 3, 5, 6, 7, 4


def tiny_problem(seed=0):
    rng = np.random.RandomState(seed)
    return rng.randn(N, D), rng.randint(C, size=N)


# ---------------------------------------------------------------- published values (CS231n notebooks)

def test_seeded_initial_losses_published_values():
    np.random.seed(231)
    X = np.random.randn(2, 15)
    y = np.random.randint(10, size=(2,))
    for reg, published in [(0, 2.300479089768492), (3.14, 7.052114776533016)]:
        model = FullyConnectedNet([20, 30], input_dim=15, num_classes=10, reg=reg, weight_scale=5e-2,
                                  dtype=np.float64)
        assert model.loss(X, y)[0] == pytest.approx(published, rel=1e-12)


def test_two_layer_net_published_scores_and_losses():
    n, d, h, c = 3, 5, 50, 7
    model = FullyConnectedNet([h], input_dim=d, num_classes=c, weight_scale=1e-3, dtype=np.float64)
    model.params["W1"] = np.linspace(-0.7, 0.3, num=d * h).reshape(d, h)
    model.params["b1"] = np.linspace(-0.1, 0.9, num=h)
    model.params["W2"] = np.linspace(-0.3, 0.4, num=h * c).reshape(h, c)
    model.params["b2"] = np.linspace(-0.9, 0.1, num=c)
    X = np.linspace(-5.5, 4.5, num=n * d).reshape(d, n).T
    correct_scores = np.asarray(
        [[11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096],
         [12.05769098, 12.74614105, 13.43459113, 14.12304120, 14.81149128, 15.49994135, 16.18839143],
         [12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.28463190]])
    assert np.abs(model.loss(X) - correct_scores).sum() < 1e-6
    y = np.asarray([0, 5, 1])
    assert abs(model.loss(X, y)[0] - 3.4702243556) < 1e-10
    model.reg = 1.0
    assert abs(model.loss(X, y)[0] - 26.5948426952) < 1e-10


# ---------------------------------------------------------------- numerical gradients (float64)

@pytest.mark.parametrize("reg", [0.0, 0.7])
@pytest.mark.parametrize("keep", [1, 0.5])
@pytest.mark.parametrize("normalization", [None, "batchnorm"])
def test_loss_gradients_match_numerical(reg, keep, normalization):
    X, y = tiny_problem(1)
    model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg, weight_scale=5e-1,
                              dropout_keep_ratio=keep, normalization=normalization, dtype=np.float64,
                              seed=123)
    model.dropout_param["seed"] = 123  # the same masks on every pass, as a numerical gradient needs
    loss, grads = model.loss(X, y)
    assert grads.keys() == model.params.keys()
    for name in sorted(grads):
        grad_num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name], verbose=False)
        assert grads[name].shape == model.params[name].shape
        # a bias feeding batch norm has gradient exactly 0, where only an absolute bound makes sense
        assert rel_error(grad_num, grads[name]) < 1e-6 or np.abs(grad_num - grads[name]).max() < 1e-9, name
    if normalization:
        assert np.abs(grads["b1"]).max() < 1e-12 and np.abs(grads["b2"]).max() < 1e-12


# ---------------------------------------------------------------- PyTorch autograd as an oracle

def dropout_masks(model, shapes):
    """The masks that FullyConnectedNet's documented fixed-seed rule gives: layer l uses seed + l - 1."""
    keep, seed = model.dropout_param["keep_prob"], model.dropout_param["seed"]
    return [(np.random.RandomState(seed + l).random_sample(shape) < keep) / keep
            for l, shape in enumerate(shapes)]


@pytest.mark.parametrize("reg", [0.0, 0.3])
@pytest.mark.parametrize("keep", [1, 0.6])
@pytest.mark.parametrize("normalization", [None, "batchnorm"])
def test_loss_and_gradients_match_torch(normalization, keep, reg):
    rng = np.random.RandomState(2)
    X, y = rng.randn(8, 2, 3), rng.randint(C, size=8)
    model = FullyConnectedNet([H1, H2], input_dim=6, num_classes=C, reg=reg, weight_scale=0.3,
                              dropout_keep_ratio=keep, normalization=normalization, dtype=np.float64, seed=0)
    if keep < 1:
        model.dropout_param["seed"] = 5
        masks = dropout_masks(model, [(8, H1), (8, H2)])
    loss, grads = model.loss(X, y)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in model.params.items()}
    out = torch.tensor(X).reshape(8, -1)
    for l in (1, 2):
        out = F.linear(out, t[f"W{l}"].T, t[f"b{l}"])
        if normalization:
            out = F.batch_norm(out, None, None, t[f"gamma{l}"], t[f"beta{l}"], training=True, eps=1e-5)
        out = F.relu(out)
        if keep < 1:
            out = out * torch.tensor(masks[l - 1])
    scores = F.linear(out, t["W3"].T, t["b3"])
    l2 = 0.5 * reg * sum((t[f"W{l}"] ** 2).sum() for l in (1, 2, 3))
    t_loss = F.cross_entropy(scores, torch.tensor(y)) + l2
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    for name, grad in grads.items():
        np.testing.assert_allclose(grad, t[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


# ---------------------------------------------------------------- contracts

def test_parameters_shapes_dtype_and_initialisation():
    model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, normalization="batchnorm", seed=0)
    shapes = {k: v.shape for k, v in model.params.items()}
    assert shapes == {"W1": (D, H1), "b1": (H1,), "gamma1": (H1,), "beta1": (H1,),
                      "W2": (H1, H2), "b2": (H2,), "gamma2": (H2,), "beta2": (H2,), "W3": (H2, C), "b3": (C,)}
    assert all(v.dtype == np.float32 for v in model.params.values())
    assert not model.params["b2"].any() and not model.params["beta1"].any()
    assert (model.params["gamma2"] == 1).all()
    X, y = tiny_problem()
    loss, grads = model.loss(X, y)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert model.loss(X).dtype == np.float32


def test_weights_are_drawn_in_order_from_the_global_state_or_the_seed():
    np.random.seed(5)
    expected = [0.01 * np.random.randn(D, H1), 0.01 * np.random.randn(H1, C)]
    np.random.seed(5)
    model = FullyConnectedNet([H1], input_dim=D, num_classes=C, dtype=np.float64)
    np.testing.assert_array_equal(model.params["W1"], expected[0])
    np.testing.assert_array_equal(model.params["W2"], expected[1])
    state = np.random.get_state()[1].copy()
    a = FullyConnectedNet([H1], input_dim=D, num_classes=C, seed=9)
    b = FullyConnectedNet([H1], input_dim=D, num_classes=C, seed=9)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # a seeded net leaves np.random alone
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)


def test_test_mode_turns_dropout_off_and_uses_running_stats():
    X, y = tiny_problem()
    model = FullyConnectedNet([H1], input_dim=D, num_classes=C, dropout_keep_ratio=0.5,
                              normalization="batchnorm", dtype=np.float64)
    model.loss(X, y)  # one training pass updates the running statistics
    running_mean = model.bn_params[0]["running_mean"].copy()
    np.random.seed(0)
    first = model.loss(X)
    second = model.loss(X)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(model.bn_params[0]["running_mean"], running_mean)
    assert first.shape == (N, C)


def test_image_shaped_input_is_flattened():
    model = FullyConnectedNet([H1], input_dim=12, num_classes=C, dtype=np.float64, seed=0)
    X = np.random.RandomState(3).randn(2, 3, 4)
    np.testing.assert_array_equal(model.loss(X), model.loss(X.reshape(2, 12)))


def test_loss_does_not_modify_x_and_l2_skips_biases():
    X, y = tiny_problem()
    X_saved = X.copy()
    model = FullyConnectedNet([H1], input_dim=D, num_classes=C, reg=2.0, dtype=np.float64, seed=0)
    base = FullyConnectedNet([H1], input_dim=D, num_classes=C, reg=0.0, dtype=np.float64, seed=0)
    for m in (model, base):
        m.params["b1"] += 3.0
    l2 = 0.5 * 2.0 * sum(np.sum(model.params[k] ** 2) for k in ("W1", "W2"))
    assert model.loss(X, y)[0] == pytest.approx(base.loss(X, y)[0] + l2, rel=1e-12)
    np.testing.assert_array_equal(X, X_saved)


# ---------------------------------------------------------------- bad input

@pytest.fixture
def model():
    return FullyConnectedNet([H1], input_dim=D, num_classes=C, dtype=np.float64, seed=0)


@pytest.mark.parametrize("X, y, match", [
    (np.zeros((3, 4)), np.zeros(3, dtype=int), "4 features per example but the net has input_dim=5"),
    (np.zeros((0, 5)), np.zeros(0, dtype=int), "X is empty"),
    (np.array([[0, 0, np.nan, 0, 0]]), np.zeros(1, dtype=int), r"NaN or inf \(first at X\[0, 2\]"),
    (np.array([[0, 0, 0, 0, np.inf]] * 2), np.zeros(2, dtype=int), r"NaN or inf \(first at X\[0, 4\]"),
    (np.zeros((3, 5)), np.array([0, 4, 1]), r"y\[1\] = 4 is outside 0..3"),
    (np.zeros((3, 5)), np.array([0, 1]), r"shape \(3,\)"),
    (np.zeros(5), np.zeros(1, dtype=int), r"one row per example; got shape \(5,\)"),
    (np.zeros((2, 5)), np.zeros(2), "integer labels"),
])
def test_bad_input_raises_naming_the_problem(model, X, y, match):
    with pytest.raises(ValueError, match=match):
        model.loss(X, y)


def test_nan_is_caught_at_test_time_too(model):
    with pytest.raises(ValueError, match="NaN or inf"):
        model.loss(np.full((2, 5), np.nan))


@pytest.mark.parametrize("kwargs, match", [
    ({"hidden_dims": [4, 0]}, "positive integers"),
    ({"hidden_dims": [4], "dropout_keep_ratio": 0}, r"keeping a unit\) must be in \(0, 1\]"),
    ({"hidden_dims": [4], "normalization": "layernorm"}, "None or 'batchnorm'"),
    ({"hidden_dims": [4.5]}, "positive integers"),
    ({"hidden_dims": [4], "input_dim": 0}, "input_dim must be a positive integer"),
    ({"hidden_dims": [4], "num_classes": 1}, "num_classes must be an integer >= 2"),
    ({"hidden_dims": [4], "dtype": np.int64}, "floating-point type"),
    ({"hidden_dims": [4], "reg": -1.0}, "reg must be >= 0"),
])
def test_bad_constructor_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FullyConnectedNet(**{"input_dim": D, "num_classes": C, **kwargs})


def test_float64_data_that_overflows_float32_is_caught_after_the_cast():
    net = FullyConnectedNet([H1], input_dim=D, num_classes=C, seed=0)  # float32
    X = np.zeros((2, D))
    X[1, 3] = 1e39  # finite in float64, inf in float32
    with pytest.raises(ValueError, match=r"NaN or inf \(first at X\[1, 3\] = inf, 1e\+39 before the cast"):
        net.loss(X, np.zeros(2, dtype=int))
    with pytest.raises(ValueError, match="NaN or inf"):
        net.loss(X)


def test_loss_unchecked_is_loss_without_the_checks():
    X, y = tiny_problem(4)
    model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, normalization="batchnorm", reg=0.2,
                              dtype=np.float64, seed=1)
    loss, grads = model.loss(X, y)
    loss_u, grads_u = model.loss_unchecked(X, y)
    assert loss_u == loss
    for name in grads:
        np.testing.assert_array_equal(grads_u[name], grads[name])
    np.testing.assert_array_equal(model.loss_unchecked(X), model.loss(X))


# ---------------------------------------------------------------- dropout masks of a seeded net

def dropout_masks_of_one_pass(model, X, y):
    """The dropout mask of each hidden layer in one training pass (recorded by wrapping the layer)."""
    seen = []
    original = fc_net.dropout_forward

    def recording(x, param):
        out, cache = original(x, param)
        seen.append(cache[1].copy())
        return out, cache

    fc_net.dropout_forward = recording
    try:
        model.loss(X, y)
    finally:
        fc_net.dropout_forward = original
    return seen


def test_seeded_dropout_masks_differ_between_steps_and_layers_and_leave_np_random_alone():
    X, y = tiny_problem(5)
    model = FullyConnectedNet([H1, H1], input_dim=D, num_classes=C, dropout_keep_ratio=0.5,
                              dtype=np.float64, seed=3)
    state = np.random.get_state()[1].copy()
    first, second = dropout_masks_of_one_pass(model, X, y), dropout_masks_of_one_pass(model, X, y)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    assert not np.array_equal(first[0], first[1])  # equal-width layers, different masks
    assert not np.array_equal(first[0], second[0]) and not np.array_equal(first[1], second[1])
    model.dropout_param["seed"] = 9  # fixed masks on request
    fixed, again = dropout_masks_of_one_pass(model, X, y), dropout_masks_of_one_pass(model, X, y)
    for a, b in zip(fixed, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(fixed[0], fixed[1])


def test_two_nets_with_the_same_seed_train_identically():
    X, y = np.random.RandomState(6).randn(40, D), np.random.RandomState(7).randint(C, size=40)
    data = {"X_train": X, "y_train": y, "X_val": X[:10], "y_val": y[:10]}

    def losses(seed):
        model = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, dropout_keep_ratio=0.6,
                                  weight_scale=0.3, dtype=np.float64, seed=seed)
        solver = Solver(model, data, optim_config={"learning_rate": 0.1}, batch_size=10, num_epochs=3,
                        verbose=False, seed=0)
        solver.train()
        return solver.loss_history

    assert losses(11) == losses(11)
    assert losses(11) != losses(12)
