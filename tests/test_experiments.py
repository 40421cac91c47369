"""The starter notebook's experiments (experiments.py) on small synthetic data and the tiny sample."""
import numpy as np
import pytest
import torch
from scipy.signal import correlate2d

import experiments
import layers
from data_utils import normalize_poses
from mds189_constants import KEYPOINT_DIM, NUM_CLASSES


@pytest.fixture(scope="module")
def clusters():
    """Eight well separated Gaussian clusters in 75 dimensions: a data dict for the Solver."""
    rng = np.random.default_rng(0)
    centres = 3 * rng.standard_normal((NUM_CLASSES, KEYPOINT_DIM))
    y = rng.integers(NUM_CLASSES, size=240)
    X = centres[y] + rng.standard_normal((240, KEYPOINT_DIM))
    return {"X_train": X[:160], "y_train": y[:160], "X_val": X[160:], "y_val": y[160:]}


def test_gradient_check_table_covers_every_layer_and_passes():
    table = experiments.gradient_check_table(seed=1)
    assert set(experiments.LAYER_CHECKS) | {"softmax_loss"} <= set(table["layer"])
    assert set(table.loc[table["layer"] == "conv_fast", "gradient"]) == {"dx", "dw", "db"}
    nets = table[table["layer"].str.startswith("FullyConnectedNet")]
    assert {"W1", "W3", "b3", "gamma2", "beta1"} <= set(nets["gradient"])
    assert (table["rel_error"] < 1e-6).all(), table[table["rel_error"] >= 1e-6]


def test_layer_errors_expose_a_wrong_backward():
    rng = np.random.default_rng(0)
    right = experiments._layer_errors(layers.relu_forward, layers.relu_backward, {"x": (4, 5)}, rng)
    wrong = experiments._layer_errors(layers.relu_forward, lambda dout, cache: dout, {"x": (4, 5)}, rng)
    assert right["x"] < 1e-9 and wrong["x"] > 0.1


def test_train_fc_learns_and_is_reproducible(clusters):
    a = experiments.train_fc(clusters, [20], learning_rate=1e-2, num_epochs=5, seed=3)
    b = experiments.train_fc(clusters, [20], learning_rate=1e-2, num_epochs=5, seed=3)
    assert a.loss_history == b.loss_history
    assert a.best_val_acc > 0.9
    assert len(a.val_acc_history) == 6
    predictions = experiments.predict(a.model, clusters["X_val"])
    assert predictions.shape == (80,)
    assert np.mean(predictions == clusters["y_val"]) == a.check_accuracy(clusters["X_val"], clusters["y_val"])

def test_train_fc_takes_the_class_count_dtype_and_printing_of_the_keypoint_trainer(clusters, capsys):
    three = {**clusters, "y_train": clusters["y_train"] % 3, "y_val": clusters["y_val"] % 3}
    solver = experiments.train_fc(three, [20], learning_rate=1e-2, num_epochs=2, seed=3, num_classes=3,
                                  dtype=np.float32, print_every=1)
    assert solver.model.params["W2"].shape == (20, 3)
    assert {p.dtype for p in solver.model.params.values()} == {np.dtype(np.float32)}
    assert "(Iteration 1 / 4) loss:" in capsys.readouterr().out
    experiments.train_fc(three, [20], num_epochs=1, num_classes=3)
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match=r"y_train'\]\[\d+\] = \d is outside 0..2"):
        experiments.train_fc(clusters, [20], num_epochs=1, num_classes=3)



def test_hyperparameter_search_tries_distinct_points_and_sorts_by_validation_accuracy(clusters):
    space = {"learning_rate": [1e-2, 1e-5], "lr_decay": [0.9, 1.0], "batch_size": [32],
             "hidden_dim": [10, 20], "weight_scale": [1e-2]}
    table, best = experiments.hyperparameter_search(clusters, space, num_trials=3, num_epochs=2, seed=0)
    keys = ["learning_rate", "lr_decay", "batch_size", "hidden_dim", "weight_scale"]
    assert len(table) == 3 and not table.duplicated(keys).any()
    assert table["val_acc"].is_monotonic_decreasing
    assert best.best_val_acc == table["val_acc"].iloc[0]
    assert best.model.params["W1"].shape[1] == table["hidden_dim"].iloc[0]
    full, _ = experiments.hyperparameter_search(clusters, space, num_trials=100, num_epochs=1, seed=0)
    assert len(full) == 8


def test_hyperparameter_search_rejects_a_bad_space(clusters):
    with pytest.raises(ValueError, match=r"missing or empty: \['hidden_dim'\], unknown: \['momentum'\]"):
        space = {"learning_rate": [1e-3], "lr_decay": [1.0], "batch_size": [32], "hidden_dim": [],
                 "weight_scale": [1e-2], "momentum": [0.9]}
        experiments.hyperparameter_search(clusters, space, num_trials=1)


def test_compare_depths_builds_one_net_per_depth(clusters):
    table, solvers = experiments.compare_depths(clusters, depths=(1, 3), hidden_dim=8, num_epochs=1)
    assert list(table["hidden_layers"]) == [1, 3] and list(solvers) == ["1 hidden", "3 hidden"]
    assert solvers["3 hidden"].model.num_layers == 4
    assert table["hidden_dims"].iloc[1] == "[8, 8, 8]"
    assert ((table["val_acc"] >= 0) & (table["val_acc"] <= 1)).all()


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "linear"])
def test_gradient_norms_match_torch_autograd(activation):
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((16, 6)), rng.integers(NUM_CLASSES, size=16)
    table = experiments.gradient_norms_at_init([activation], depth=3, width=7, gain=1.5, X=X, y=y, seed=2)
    # the same weights, drawn as the function draws them after the batch
    w_rng = np.random.default_rng(2)
    dims = [6, 7, 7, 7, NUM_CLASSES]
    weights = [torch.tensor(1.5 * w_rng.standard_normal((a, b)) / np.sqrt(a), requires_grad=True)
               for a, b in zip(dims[:-1], dims[1:], strict=True)]
    act = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
           "linear": lambda t: t}[activation]
    h = torch.tensor(X)
    for l, W in enumerate(weights):
        h = h @ W
        h = act(h) if l < 3 else h
    torch.nn.functional.cross_entropy(h, torch.tensor(y)).backward()
    expected = [W.grad.norm().item() for W in weights]
    assert list(table["layer"]) == [1, 2, 3, 4]
    np.testing.assert_allclose(table["grad_norm"], expected, rtol=1e-10)


def test_sigmoid_gradients_vanish_and_linear_ones_do_not():
    table = experiments.gradient_norms_at_init(depth=10, seed=0)
    assert len(table) == 4 * 11
    norms = table.pivot(index="layer", columns="activation", values="grad_norm")
    assert norms.loc[1, "sigmoid"] / norms.loc[11, "sigmoid"] < 1e-4
    assert 0.1 < norms.loc[1, "linear"] / norms.loc[11, "linear"] < 10
    with pytest.raises(ValueError, match=r"unknown activations \['swish'\]"):
        experiments.gradient_norms_at_init(["swish"])
    with pytest.raises(ValueError, match="give both X and y"):
        experiments.gradient_norms_at_init(X=np.zeros((2, 75)))


def test_vertical_edge_response_is_a_zero_padded_sobel_correlation():
    image = np.random.default_rng(0).integers(0, 256, size=(9, 7, 3)).astype(np.uint8)
    gray = image.mean(axis=2) / 255.0
    expected = correlate2d(gray, experiments.VERTICAL_EDGE_KERNEL, mode="same", boundary="fill")
    np.testing.assert_allclose(experiments.vertical_edge_response(image), expected, atol=1e-12)


def test_vertical_edge_response_finds_a_vertical_edge_only():
    step = np.zeros((6, 8))
    step[:, 4:] = 1.0  # dark left, bright right: the response is negative at the edge
    response = experiments.vertical_edge_response(step)
    assert response.shape == (6, 8)
    inner = response[1:-1]  # away from the zero padding of the top and bottom rows
    assert np.all(inner[:, [3, 4]] == -4.0) and np.all(inner[:, [0, 1, 2, 5, 6]] == 0.0)
    assert np.all(experiments.vertical_edge_response(step.T)[:, 1:-1] == 0.0)  # a horizontal edge
    with pytest.raises(ValueError, match=r"need an image of shape \(H, W\) or \(H, W, 3\), got \(4,\)"):
        experiments.vertical_edge_response(np.zeros(4))


def test_mds189_data_reads_raw_and_aligned_poses(mds189_tiny):
    raw = experiments.mds189_data(mds189_tiny)
    aligned = experiments.mds189_data(mds189_tiny, debug=True)
    assert raw["X_train"].shape == (4 * 16, KEYPOINT_DIM) and raw["X_val"].shape == (2 * 16, KEYPOINT_DIM)
    np.testing.assert_array_equal(raw["y_train"], aligned["y_train"])
    assert not np.allclose(raw["X_train"], aligned["X_train"])
    normalized = experiments.mds189_data(mds189_tiny, normalize=True)
    np.testing.assert_allclose(normalized["X_val"], normalize_poses(raw["X_val"]))
