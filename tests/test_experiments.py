"""The starter notebook's experiments (experiments.py) on small synthetic data and the tiny sample."""
import numpy as np
import pytest
import torch
from scipy.signal import correlate2d

import experiments
import fc_training
import layers
from data_utils import normalize_poses
from mds189_constants import KEYPOINT_DIM, NUM_CLASSES


@pytest.mark.parametrize("seed", [0, 1, 2])  # 0 is the starter notebook's
def test_gradient_check_table_covers_every_layer_and_passes(seed):
    table = experiments.gradient_check_table(seed=seed)
    assert set(experiments.LAYER_CHECKS) | {"softmax_loss"} <= set(table["layer"])
    assert set(table.loc[table["layer"] == "conv_fast", "gradient"]) == {"dx", "dw", "db"}
    nets = table[table["layer"].str.startswith("FullyConnectedNet")]
    assert {"W1", "W3", "b3", "gamma2", "beta1"} <= set(nets["gradient"])
    bn = nets[nets["layer"].str.endswith("batchnorm")]
    assert not {"b1", "b2"} & set(bn["gradient"]) and "b3" in set(bn["gradient"])  # b1, b2 feed batch norm
    bad = table[table["rel_error"] >= experiments.GRADIENT_TOLERANCE]
    assert bad.empty, bad
    layers_only = table[~table["layer"].str.startswith("FullyConnectedNet")]
    assert (layers_only["rel_error"] < 1e-6).all()  # single layers: far below the tolerance


def test_layer_errors_expose_a_wrong_backward():
    rng = np.random.default_rng(0)
    right = experiments._layer_errors(layers.relu_forward, layers.relu_backward, {"x": (4, 5)}, rng)
    wrong = experiments._layer_errors(layers.relu_forward, lambda dout, cache: dout, {"x": (4, 5)}, rng)
    assert right["x"] < 1e-9 and wrong["x"] > 0.1


def test_the_notebook_trains_with_the_library_train_fc(clusters):
    assert experiments.train_fc is fc_training.train_fc
    solver = experiments.train_fc(clusters, [20], learning_rate=1e-2, num_epochs=2, seed=3)
    predictions = experiments.predict(solver.model, clusters["X_val"])
    assert predictions.shape == (80,)
    assert np.mean(predictions == clusters["y_val"]) == solver.check_accuracy(clusters["X_val"],
                                                                              clusters["y_val"])


def test_data_summary_counts_poses_features_and_classes(clusters):
    table = experiments.data_summary(clusters)
    assert table.to_dict("records") == [
        {"split": "train", "poses": 160, "features": 75, "classes": len(np.unique(clusters["y_train"]))},
        {"split": "val", "poses": 80, "features": 75, "classes": len(np.unique(clusters["y_val"]))}]
    with pytest.raises(ValueError, match="X_val has 80 rows but y_val has 79 labels"):
        experiments.data_summary({**clusters, "y_val": clusters["y_val"][:-1]})


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


def test_vertical_edge_response_is_a_sobel_correlation_valid_by_default_or_zero_padded():
    image = np.random.default_rng(0).integers(0, 256, size=(9, 7, 3)).astype(np.uint8)
    gray = image.mean(axis=2) / 255.0
    valid = correlate2d(gray, experiments.VERTICAL_EDGE_KERNEL, mode="valid")
    np.testing.assert_allclose(experiments.vertical_edge_response(image), valid, atol=1e-12)
    same = correlate2d(gray, experiments.VERTICAL_EDGE_KERNEL, mode="same", boundary="fill")
    np.testing.assert_allclose(experiments.vertical_edge_response(image, pad=1), same, atol=1e-12)
    with pytest.raises(ValueError, match="pad must be 0 or 1, got 2"):
        experiments.vertical_edge_response(image, pad=2)


def test_vertical_edge_response_scales_by_dtype_not_by_value():
    dark = np.zeros((5, 6), dtype=np.uint8)
    dark[:, 3:] = 1  # a uint8 image whose maximum is 1: still 0..255 levels
    np.testing.assert_allclose(experiments.vertical_edge_response(dark)[:, 1:3], -4 / 255)
    bright = np.zeros((5, 6))
    bright[:, 3:] = 2.0  # a float image is taken as it is, even above 1
    np.testing.assert_allclose(experiments.vertical_edge_response(bright)[:, 1:3], -8.0)


def test_vertical_edge_response_finds_a_vertical_edge_only_and_no_border():
    step = np.full((6, 8), 0.5)
    step[:, 4:] = 1.0  # grey left, bright right: the response is negative at the edge
    response = experiments.vertical_edge_response(step)
    assert response.shape == (4, 6)
    assert np.all(response[:, [2, 3]] == -2.0) and np.all(response[:, [0, 1, 4, 5]] == 0.0)
    assert np.all(experiments.vertical_edge_response(step.T) == 0.0)  # a horizontal edge
    padded = experiments.vertical_edge_response(step, pad=1)  # zero padding paints the borders
    assert padded[3, 0] == -2.0 and padded[3, -1] == 4.0
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
