"""optim.py: published CS231n next_w arrays, hand-computed updates for several steps, conventions."""
import numpy as np
import pytest

import optim
from gradient_check import rel_error

N, D = 4, 5
W = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
DW = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)


def test_sgd_momentum_published_values():
    v = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    config = {"learning_rate": 1e-3, "velocity": v}
    next_w, _ = optim.sgd_momentum(W, DW, config=config)
    expected_next_w = np.asarray([
        [0.1406, 0.20738947, 0.27417895, 0.34096842, 0.40775789],
        [0.47454737, 0.54133684, 0.60812632, 0.67491579, 0.74170526],
        [0.80849474, 0.87528421, 0.94207368, 1.00886316, 1.07565263],
        [1.14244211, 1.20923158, 1.27602105, 1.34281053, 1.4096]])
    expected_velocity = np.asarray([
        [0.5406, 0.55475789, 0.56891579, 0.58307368, 0.59723158],
        [0.61138947, 0.62554737, 0.63970526, 0.65386316, 0.66802105],
        [0.68217895, 0.69633684, 0.71049474, 0.72465263, 0.73881053],
        [0.75296842, 0.76712632, 0.78128421, 0.79544211, 0.8096]])
    assert rel_error(next_w, expected_next_w) < 1e-8
    assert rel_error(config["velocity"], expected_velocity) < 1e-8


def test_rmsprop_published_values():
    cache = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    config = {"learning_rate": 1e-2, "cache": cache}
    next_w, _ = optim.rmsprop(W, DW, config=config)
    expected_next_w = np.asarray([
        [-0.39223849, -0.34037513, -0.28849239, -0.23659121, -0.18467247],
        [-0.132737, -0.08078555, -0.02881884, 0.02316247, 0.07515774],
        [0.12716641, 0.17918792, 0.23122175, 0.28326742, 0.33532447],
        [0.38739248, 0.43947102, 0.49155973, 0.54365823, 0.59576619]])
    expected_cache = np.asarray([
        [0.5976, 0.6126277, 0.6277108, 0.64284931, 0.65804321],
        [0.67329252, 0.68859723, 0.70395734, 0.71937285, 0.73484377],
        [0.75037008, 0.7659518, 0.78158892, 0.79728144, 0.81302936],
        [0.82883269, 0.84469141, 0.86060554, 0.87657507, 0.8926]])
    assert rel_error(next_w, expected_next_w) < 1e-7
    assert rel_error(config["cache"], expected_cache) < 1e-8


def test_adam_published_values_and_t_incremented_before_bias_correction():
    m = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    v = np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
    config = {"learning_rate": 1e-2, "m": m, "v": v, "t": 5}
    next_w, _ = optim.adam(W, DW, config=config)
    expected_next_w = np.asarray([
        [-0.40094747, -0.34836187, -0.29577703, -0.24319299, -0.19060977],
        [-0.1380274, -0.08544591, -0.03286534, 0.01971428, 0.0722929],
        [0.1248705, 0.17744702, 0.23002243, 0.28259667, 0.33516969],
        [0.38774145, 0.44031188, 0.49288093, 0.54544852, 0.59801459]])
    expected_v = np.asarray([
        [0.69966, 0.68908382, 0.67851319, 0.66794809, 0.65738853],
        [0.64683452, 0.63628604, 0.6257431, 0.61520571, 0.60467385],
        [0.59414753, 0.58362676, 0.57311152, 0.56260183, 0.55209767],
        [0.54159906, 0.53110598, 0.52061845, 0.51013645, 0.49966]])
    expected_m = np.asarray([
        [0.48, 0.49947368, 0.51894737, 0.53842105, 0.55789474],
        [0.57736842, 0.59684211, 0.61631579, 0.63578947, 0.65526316],
        [0.67473684, 0.69421053, 0.71368421, 0.73315789, 0.75263158],
        [0.77210526, 0.79157895, 0.81105263, 0.83052632, 0.85]])
    # 8 printed decimals: rounding the entry 0.01971428 alone costs ~1e-7 (the textbook formula gets 1.1e-7)
    assert rel_error(next_w, expected_next_w) < 2e-7
    assert rel_error(config["v"], expected_v) < 1e-8
    assert rel_error(config["m"], expected_m) < 1e-8
    assert config["t"] == 6


def hand_steps(rule, w, grads, **hyper):
    """Textbook formulas, written out with scalars for a 1-element parameter."""
    out, state = [], {"v": 0.0, "cache": 0.0, "m": 0.0, "s": 0.0}
    for t, g in enumerate(grads, start=1):
        if rule == "sgd":
            w = w - hyper["lr"] * g
        elif rule == "sgd_momentum":
            state["v"] = hyper["mu"] * state["v"] - hyper["lr"] * g
            w = w + state["v"]
        elif rule == "rmsprop":
            state["cache"] = hyper["rho"] * state["cache"] + (1 - hyper["rho"]) * g * g
            w = w - hyper["lr"] * g / (np.sqrt(state["cache"]) + 1e-8)
        else:
            state["m"] = 0.9 * state["m"] + 0.1 * g
            state["s"] = 0.999 * state["s"] + 0.001 * g * g
            m_hat, s_hat = state["m"] / (1 - 0.9**t), state["s"] / (1 - 0.999**t)
            w = w - hyper["lr"] * m_hat / (np.sqrt(s_hat) + 1e-8)
        out.append(w)
    return out


@pytest.mark.parametrize("rule, config, hyper", [
    ("sgd", {"learning_rate": 0.1}, {"lr": 0.1}),
    ("sgd_momentum", {"learning_rate": 0.1}, {"lr": 0.1, "mu": 0.9}),  # default momentum 0.9
    ("rmsprop", {"learning_rate": 0.1}, {"lr": 0.1, "rho": 0.99}),  # default decay 0.99
    ("adam", {"learning_rate": 0.1}, {"lr": 0.1}),  # defaults beta1 0.9, beta2 0.999, t from 0
])
def test_rules_match_hand_computed_steps(rule, config, hyper):
    grads = [0.5, -1.5, 2.0, 0.25]
    expected = hand_steps(rule, 1.0, grads, **hyper)
    w = np.array([1.0])
    for g, want in zip(grads, expected, strict=True):
        w, config = getattr(optim, rule)(w, np.array([g]), config)
        assert w[0] == pytest.approx(want, rel=1e-12)


def test_defaults_are_filled_in_and_state_created():
    w, dw = np.ones(3), np.ones(3)
    assert optim.sgd(w, dw)[1] == {"learning_rate": 1e-2}
    config = optim.sgd_momentum(w, dw)[1]
    assert config["momentum"] == 0.9 and config["velocity"].shape == (3,)
    config = optim.rmsprop(w, dw)[1]
    assert (config["decay_rate"], config["epsilon"]) == (0.99, 1e-8)
    config = optim.adam(w, dw)[1]
    assert (config["learning_rate"], config["beta1"], config["beta2"], config["epsilon"], config["t"]) == (
        1e-3, 0.9, 0.999, 1e-8, 1)


RULES = ["sgd", "sgd_momentum", "rmsprop", "adam"]


def test_defaults_table_is_what_the_rules_fill_in():
    w, dw = np.ones(3), np.ones(3)
    for rule in RULES:
        config = getattr(optim, rule)(w, dw)[1]
        hyper = {k: v for k, v in config.items() if k not in optim.STATE_KEYS[rule]}
        assert hyper == optim.DEFAULTS[rule], rule
        assert set(config) == set(optim.DEFAULTS[rule]) | set(optim.STATE_KEYS[rule]), rule


@pytest.mark.parametrize("rule", RULES)
def test_rules_keep_w_and_dw_and_update_their_own_state_in_place(rule):
    w, dw = W.astype(np.float32), DW.astype(np.float32)
    w_saved, dw_saved = w.copy(), dw.copy()
    config = {}
    for _ in range(2):
        next_w, config = getattr(optim, rule)(w, dw, config)
    state = {k: v for k, v in config.items() if isinstance(v, np.ndarray)}
    assert sorted(state) == sorted(k for k in optim.STATE_KEYS[rule] if k != "t")
    state_saved = {k: v.copy() for k, v in state.items()}
    next_w, config = getattr(optim, rule)(w, dw, config)
    assert next_w.dtype == np.float32
    assert not np.shares_memory(next_w, w)
    np.testing.assert_array_equal(w, w_saved)
    np.testing.assert_array_equal(dw, dw_saved)
    for k, v in state.items():  # config's own arrays are the state that was updated, in place
        assert config[k] is v and v.dtype == np.float32
        assert not np.array_equal(v, state_saved[k]), k


@pytest.mark.parametrize("rule", RULES)
def test_numpy_scalar_hyperparameters_keep_float32(rule):
    """np.float64 hyperparameters would promote a float32 w to float64 under NumPy 2's rules."""
    w, dw = W.astype(np.float32), DW.astype(np.float32)
    config = {k: np.float64(v) for k, v in optim.DEFAULTS[rule].items()}
    for _ in range(2):
        w, config = getattr(optim, rule)(w, dw, config)
        assert w.dtype == np.float32
        assert all(v.dtype == np.float32 for v in config.values() if isinstance(v, np.ndarray))


def test_given_state_of_another_dtype_is_copied_and_a_wrong_shape_refused():
    w, dw = W.astype(np.float32), DW.astype(np.float32)
    velocity = np.ones(W.shape)  # float64
    next_w, config = optim.sgd_momentum(w, dw, {"velocity": velocity})
    assert next_w.dtype == config["velocity"].dtype == np.float32
    np.testing.assert_array_equal(velocity, np.ones(W.shape))  # not the caller's array any more
    with pytest.raises(ValueError, match=r"config\['m'\] has shape \(3,\) but w has \(4, 5\)"):
        optim.adam(w, dw, {"m": np.zeros(3)})
