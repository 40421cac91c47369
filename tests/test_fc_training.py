"""Tests of fc_training: train_fc, and rebuilding a trained net from its architecture and parameters."""
import numpy as np
import pytest

from fc_net import FullyConnectedNet
from fc_training import architecture_of, model_from, train_fc
from mds189_constants import NUM_CLASSES


def test_train_fc_learns_and_is_reproducible(clusters):
    a = train_fc(clusters, [20], learning_rate=1e-2, num_epochs=5, seed=3)
    b = train_fc(clusters, [20], learning_rate=1e-2, num_epochs=5, seed=3)
    assert a.loss_history == b.loss_history
    assert a.best_val_acc > 0.9
    assert len(a.val_acc_history) == 6


def test_train_fc_takes_the_class_count_dtype_and_printing_of_the_keypoint_trainer(clusters, capsys):
    three = {**clusters, "y_train": clusters["y_train"] % 3, "y_val": clusters["y_val"] % 3}
    solver = train_fc(three, [20], learning_rate=1e-2, num_epochs=2, seed=3, num_classes=3, dtype=np.float32,
                      print_every=1)
    assert solver.model.params["W2"].shape == (20, 3)
    assert {p.dtype for p in solver.model.params.values()} == {np.dtype(np.float32)}
    assert "(Iteration 1 / 4) loss:" in capsys.readouterr().out
    train_fc(three, [20], num_epochs=1, num_classes=3)
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match=r"y_train'\]\[\d+\] = \d is outside 0..2"):
        train_fc(clusters, [20], num_epochs=1, num_classes=3)


def test_a_net_rebuilt_from_its_architecture_and_params_gives_the_same_scores(clusters):
    solver = train_fc(clusters, [12, 7], num_epochs=1, seed=1, reg=0.3, dtype=np.float32)
    architecture = architecture_of(solver.model)
    assert architecture == {"hidden_dims": [12, 7], "input_dim": 75, "num_classes": NUM_CLASSES,
                            "normalization": None, "reg": 0.3, "dtype": np.float32}
    state = np.random.get_state()
    rebuilt = model_from(architecture, solver.model.params)
    assert np.array_equal(np.random.get_state()[1], state[1])  # np.random's global state untouched
    np.testing.assert_array_equal(rebuilt.loss(clusters["X_val"]), solver.model.loss(clusters["X_val"]))
    rebuilt.params["W1"][0, 0] += 1  # a copy: the trained net is not changed through the rebuilt one
    assert rebuilt.params["W1"][0, 0] != solver.model.params["W1"][0, 0]
    with pytest.raises(ValueError, match=r"parameters \['W1', 'b1'\] do not fit a net with"):
        model_from(architecture, {"W1": np.zeros((75, 12)), "b1": np.zeros(12)})


def test_architecture_of_reads_batchnorm_nets_too():
    model = FullyConnectedNet([5], input_dim=4, num_classes=3, normalization="batchnorm", seed=0)
    assert architecture_of(model)["normalization"] == "batchnorm"
    assert set(model_from(architecture_of(model), model.params).params) == set(model.params)
