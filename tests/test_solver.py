"""solver.py: history lengths, lr decay, best-parameter restore, checkpoints and resume, seeds, bad input."""
import inspect
import pickle

import numpy as np
import pytest

import optim
from fc_net import FullyConnectedNet
from solver import Solver


class Counter:
    """A stub model: each step adds 1 to w (sgd, learning_rate 1, gradient -1); it predicts class 1
    exactly when w == peak, else class 0."""

    def __init__(self, peak):
        self.params = {"w": np.zeros(1)}
        self.bn_params = [{"running_mean": np.zeros(1)}]
        self.peak = peak
        self.predicted_batches = []

    def loss(self, X, y=None):
        if y is None:
            self.predicted_batches.append(X.shape[0])
            scores = np.zeros((X.shape[0], 3))
            scores[:, int(self.params["w"][0] == self.peak)] = 1
            return scores
        self.bn_params[0]["running_mean"] += 1  # in place: a shallow snapshot would miss it
        return 0.0, {"w": -np.ones(1)}


def counter_data(val_label):
    X, y = np.zeros((4, 2)), np.zeros(4, dtype=int)
    return {"X_train": X, "y_train": y, "X_val": X, "y_val": np.full(4, val_label)}


def blobs(n, seed=0, d=6, c=3):
    rng = np.random.RandomState(seed)
    y = rng.randint(c, size=n)
    return 3 * np.eye(c, d)[y] + rng.randn(n, d), y


def blob_data(n_train=60, n_val=30):
    X, y = blobs(n_train + n_val)
    return {"X_train": X[:n_train], "y_train": y[:n_train], "X_val": X[n_train:], "y_val": y[n_train:]}


def small_net(**kwargs):
    return FullyConnectedNet([8], input_dim=6, num_classes=3, weight_scale=0.1, dtype=np.float64, seed=0,
                             **kwargs)


# ---------------------------------------------------------------- histories, decay, best parameters

def test_history_lengths_and_lr_decay():
    model = small_net()
    optim_config = {"learning_rate": 1e-2}
    solver = Solver(model, blob_data(), update_rule="sgd_momentum", optim_config=optim_config, lr_decay=0.5,
                    batch_size=25, num_epochs=2, verbose=False, seed=0)
    solver.train()
    assert len(solver.loss_history) == 2 * (60 // 25)
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 3
    assert solver.optim_configs.keys() == model.params.keys()
    for name, config in solver.optim_configs.items():
        assert config["learning_rate"] == pytest.approx(1e-2 * 0.25)
        assert config["velocity"].shape == model.params[name].shape and config["velocity"].any()
    assert len({id(c) for c in solver.optim_configs.values()}) == len(model.params)
    assert optim_config == {"learning_rate": 1e-2}  # the caller's dict is copied, not used


def test_momentum_velocity_holds_the_decayed_steps():
    # Counter's gradient is always -1: v_t = 0.9 v_{t-1} + lr_t with lr 0.1, 0.05, 0.025 (lr_decay 0.5)
    solver = Solver(Counter(peak=99), counter_data(val_label=0), update_rule="sgd_momentum",
                    optim_config={"learning_rate": 0.1}, lr_decay=0.5, batch_size=4, num_epochs=3,
                    verbose=False)
    solver.train()
    config = solver.optim_configs["w"]
    np.testing.assert_allclose(config["velocity"], [0.9 * (0.9 * 0.1 + 0.05) + 0.025], rtol=1e-15)
    assert config["learning_rate"] == pytest.approx(0.0125) and config["momentum"] == 0.9


def test_best_parameters_are_restored():
    model = Counter(peak=2)
    solver = Solver(model, counter_data(val_label=1), optim_config={"learning_rate": 1.0}, batch_size=4,
                    num_epochs=4, verbose=False)
    solver.train()
    assert solver.val_acc_history == [0.0, 0.0, 1.0, 0.0, 0.0]
    assert solver.best_val_acc == 1.0
    assert model.params["w"][0] == 2  # trained up to 4, restored to the best epoch
    assert model.bn_params[0]["running_mean"][0] == 2  # with the running statistics of that epoch


def test_validation_accuracy_always_zero_keeps_the_parameters():
    model = Counter(peak=99)
    solver = Solver(model, counter_data(val_label=2), optim_config={"learning_rate": 1.0}, batch_size=4,
                    num_epochs=3, verbose=False)
    solver.train()
    assert solver.val_acc_history == [0.0] * 4
    assert model.params["w"][0] == 0  # the parameters checked first are the best, not an empty dict


def test_update_rule_may_be_a_function():
    calls = []

    def halve(w, dw, config):
        calls.append(config.get("learning_rate"))
        return w / 2, config

    Solver(Counter(peak=99), counter_data(val_label=0), update_rule=halve,
           optim_config={"learning_rate": 1.0}, lr_decay=0.5, batch_size=4, num_epochs=2,
           verbose=False).train()
    assert calls == [1.0, 0.5]


def test_check_accuracy_in_batches_and_subsampled():
    model = small_net()
    data = blob_data()
    X, y = data["X_val"], data["y_val"]
    expected = np.mean(np.argmax(model.loss(X), axis=1) == y)
    assert Solver(model, data, verbose=False).check_accuracy(X, y, batch_size=7) == expected
    counter = Counter(peak=0)
    solver = Solver(counter, counter_data(val_label=1), verbose=False)
    X, y = np.zeros((30, 2)), np.ones(30, dtype=int)
    assert solver.check_accuracy(X, y, num_samples=10, batch_size=4) == 1.0
    assert counter.predicted_batches == [4, 4, 2]


# ---------------------------------------------------------------- logs

def test_log_lines(capsys):
    solver = Solver(small_net(), blob_data(), batch_size=20, num_epochs=2, print_every=2, seed=0)
    solver.train()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("(Epoch 0 / 2) train acc: ") and "; val_acc: " in lines[0]
    assert lines[1].startswith("(Iteration 1 / 6) loss: ")
    assert [line.split(")")[0] for line in lines] == ["(Epoch 0 / 2", "(Iteration 1 / 6", "(Iteration 3 / 6",
                                                      "(Epoch 1 / 2", "(Iteration 5 / 6", "(Epoch 2 / 2"]
    Solver(small_net(), blob_data(), num_epochs=1, verbose=False).train()
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------- reproducibility and resume

def run(seed, **kwargs):
    model = small_net(normalization="batchnorm", dropout_keep_ratio=1)
    solver = Solver(model, blob_data(), update_rule="adam", optim_config={"learning_rate": 1e-2},
                    batch_size=16, num_epochs=3, lr_decay=0.9, verbose=False, seed=seed, **kwargs)
    solver.train()
    return solver


def test_same_seed_same_run():
    a, b, c = run(seed=3), run(seed=3), run(seed=4)
    assert a.loss_history == b.loss_history
    assert a.loss_history != c.loss_history


def train_with_dropout(checkpoint_name, resume_from=None, crash_at_step=None, model_seed=None):
    np.random.seed(0)  # without a model seed, dropout masks come from the global state
    model = FullyConnectedNet([16, 8], input_dim=6, num_classes=3, weight_scale=0.1, dropout_keep_ratio=0.7,
                              normalization="batchnorm", dtype=np.float64, seed=model_seed)
    solver = Solver(model, blob_data(), update_rule="adam", optim_config={"learning_rate": 1e-2},
                    batch_size=16, num_epochs=4, lr_decay=0.8, num_train_samples=20,
                    checkpoint_name=checkpoint_name, verbose=False, seed=1)
    if crash_at_step is not None:
        step, steps = solver._step, []

        def step_that_crashes(X_batch, y_batch):
            steps.append(1)
            if len(steps) == crash_at_step:
                raise KeyboardInterrupt
            step(X_batch, y_batch)

        solver._step = step_that_crashes
    if resume_from is not None:
        np.random.seed(12345)  # whatever the global state is now, the checkpoint's is restored
        solver.load_checkpoint(resume_from)
    solver.train()
    return solver


@pytest.mark.parametrize("model_seed", [None, 5])  # masks from np.random, or from the net's own RandomState
def test_resumed_run_ends_like_an_uninterrupted_one(tmp_path, model_seed):
    full = train_with_dropout(str(tmp_path / "full"), model_seed=model_seed)
    with pytest.raises(KeyboardInterrupt):  # dies in the middle of epoch 3
        train_with_dropout(str(tmp_path / "crashed"), crash_at_step=8, model_seed=model_seed)
    # every name with "crashed" in it, temporary files (".crashed_epoch_3.pkl.*.tmp") included
    assert sorted(p.name for p in tmp_path.iterdir() if "crashed" in p.name) == [
        "crashed_epoch_1.pkl", "crashed_epoch_2.pkl"]  # nothing half-written left behind
    resumed = train_with_dropout(str(tmp_path / "resumed"), resume_from=tmp_path / "crashed_epoch_2.pkl",
                                 model_seed=model_seed)
    assert resumed.loss_history == full.loss_history
    assert resumed.val_acc_history == full.val_acc_history
    assert resumed.model.params.keys() == full.model.params.keys()
    for name, value in full.model.params.items():
        np.testing.assert_array_equal(resumed.model.params[name], value, err_msg=name)
    for full_bn, resumed_bn in zip(full.model.bn_params, resumed.model.bn_params, strict=True):
        np.testing.assert_array_equal(full_bn["running_mean"], resumed_bn["running_mean"])


def test_checkpoint_holds_what_resuming_needs(tmp_path):
    solver = run(seed=0, checkpoint_name=str(tmp_path / "ck"))
    with open(tmp_path / "ck_epoch_3.pkl", "rb") as f:
        state = pickle.load(f)
    assert state["epoch"] == 3
    assert state["loss_history"] == solver.loss_history
    assert state["optim_configs"]["W1"]["t"] == len(solver.loss_history)
    assert state["best_params"].keys() == solver.model.params.keys()
    assert {"model", "rng_state", "global_rng_state", "best_val_acc"} <= state.keys()
    assert state["settings"]["lr_decay"] == 0.9 and state["settings"]["update_rule"] == "adam"


def test_a_failed_checkpoint_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    solver = Solver(small_net(), blob_data(), batch_size=20, num_epochs=1,
                    checkpoint_name=str(tmp_path / "ck"), verbose=False, seed=0)
    solver.train()
    before = (tmp_path / "ck_epoch_1.pkl").read_bytes()
    solver.loss_history.append(123.0)  # a different state, so a completed write would change the file

    def dump_that_dies(obj, f):
        f.write(b"half a pickle")
        raise OSError("disk full")

    monkeypatch.setattr(pickle, "dump", dump_that_dies)
    with pytest.raises(OSError, match="disk full"):
        solver._save_checkpoint()
    assert [p.name for p in tmp_path.iterdir()] == ["ck_epoch_1.pkl"]
    assert (tmp_path / "ck_epoch_1.pkl").read_bytes() == before


@pytest.mark.parametrize("change, match", [
    ({"lr_decay": 0.5}, "lr_decay 0.9 \\(this solver: 0.5\\)"),
    ({"update_rule": "sgd"}, "update_rule 'adam' \\(this solver: 'sgd'\\)"),
    ({"optim_config": {"learning_rate": 1e-3}}, "optim_config"),
    ({"optim_config": {"learning_rate": 1e-2, "beta1": 0.8}}, "optim_config"),
    ({"seed": None}, "seed 0 \\(this solver: None\\)"),
    ({"seed": 1}, "seed 0 \\(this solver: 1\\)"),
    ({"batch_size": 8}, "batch_size 16 \\(this solver: 8\\)"),
    ({"num_train_samples": 10}, "num_train_samples"),
    ({"num_epochs": 2}, "after epoch 3, beyond this solver's num_epochs=2"),
])
def test_resuming_with_other_settings_is_refused(tmp_path, change, match):
    run(seed=0, checkpoint_name=str(tmp_path / "ck"))
    options = {"update_rule": "adam", "optim_config": {"learning_rate": 1e-2}, "batch_size": 16,
               "num_epochs": 3, "lr_decay": 0.9, "verbose": False, "seed": 0, **change}
    solver = Solver(small_net(normalization="batchnorm"), blob_data(), **options)
    with pytest.raises(ValueError, match=match):
        solver.load_checkpoint(tmp_path / "ck_epoch_3.pkl")


def test_resuming_with_more_epochs_continues_the_run(tmp_path):
    run(seed=0, checkpoint_name=str(tmp_path / "ck"))
    solver = Solver(small_net(normalization="batchnorm"), blob_data(), update_rule="adam",
                    optim_config={"learning_rate": 1e-2}, batch_size=16, num_epochs=4, lr_decay=0.9,
                    verbose=False, seed=0)
    solver.load_checkpoint(tmp_path / "ck_epoch_3.pkl")
    solver.train()
    assert len(solver.val_acc_history) == 5 and len(solver.loss_history) == 4 * (60 // 16)


# ---------------------------------------------------------------- a small net overfits a small set

def test_small_net_overfits_50_examples():
    rng = np.random.RandomState(0)
    X, y = rng.randn(50, 75), rng.randint(8, size=50)
    model = FullyConnectedNet([100, 100], input_dim=75, num_classes=8, weight_scale=5e-2, seed=0)
    solver = Solver(model, {"X_train": X, "y_train": y, "X_val": X[:10], "y_val": y[:10]}, update_rule="adam",
                    optim_config={"learning_rate": 1e-2}, batch_size=25, num_epochs=10, verbose=False, seed=0)
    solver.train()
    assert solver.train_acc_history[-1] == 1.0


# ---------------------------------------------------------------- bad input

NAN_AT_4_1 = r"data\['X_val'\] contains NaN or inf \(first at index \(4, 1\)"


@pytest.mark.parametrize("change, match", [
    (lambda d: d.pop("y_val"), "missing y_val"),
    (lambda d: d.update(X_train=d["X_train"][:0], y_train=d["y_train"][:0]), r"data\['X_train'\] is empty"),
    (lambda d: d.update(y_train=d["y_train"][:-1]), r"data\['y_train'\] has shape \(59,\); need shape \(60,"),
    (lambda d: d.update(y_val=d["y_val"].astype(float)), "integer labels"),
    (lambda d: d["y_train"].__setitem__(7, 3), r"data\['y_train'\]\[7\] = 3 is outside 0..2"),
    (lambda d: d["X_val"].__setitem__((4, 1), np.nan), NAN_AT_4_1),
])
def test_bad_data_is_rejected(change, match):
    data = blob_data()
    change(data)
    with pytest.raises(ValueError, match=match):
        Solver(small_net(), data)


@pytest.mark.parametrize("kwargs, match", [
    ({"learning_rate": 1e-3}, "Unrecognized arguments learning_rate"),
    ({"update_rule": "adagrad"}, "invalid update_rule 'adagrad'"),
    ({"update_rule": "np"}, "invalid update_rule 'np'"),
    ({"update_rule": 3}, "a name or a function"),
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"optim_config": {"learning_rat": 1e-3}}, r"\['learning_rat'\] that update_rule 'sgd' does not use"),
    ({"update_rule": "adam", "optim_config": {"momentum": 0.9}}, r"\['momentum'\] that update_rule 'adam'"),
    ({"update_rule": optim.sgd_momentum, "optim_config": {"beta1": 0.9}}, "update_rule 'sgd_momentum'"),
    ({"optim_config": {"learning_rate": "1e-3"}}, r"optim_config\['learning_rate'\] must be a finite number"),
    ({"optim_config": [("learning_rate", 1e-3)]}, "optim_config must be a dict, got list"),
    ({"lr_decay": "0.9"}, "lr_decay must be a number > 0"),
    ({"lr_decay": 0}, "lr_decay must be a number > 0"),
    ({"lr_decay": -0.5}, "lr_decay must be a number > 0"),
    ({"lr_decay": float("nan")}, "lr_decay must be a number > 0"),
    ({"num_epochs": 0}, "num_epochs must be a positive integer"),
    ({"print_every": 0}, "print_every must be a positive integer or None"),
    ({"num_train_samples": 0}, "num_train_samples must be a positive integer or None"),
    ({"num_val_samples": 2.5}, "num_val_samples must be a positive integer or None"),
    ({"update_rule": lambda w, dw, config: (w, config), "lr_decay": 0.9},
     r"lr_decay=0.9 multiplies optim_config\['learning_rate'\], which this update_rule's optim_config lacks"),
])
def test_bad_options_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Solver(small_net(), blob_data(), **kwargs)


def test_every_optim_rule_is_accepted_by_name():
    for name in ("sgd", "sgd_momentum", "rmsprop", "adam"):
        assert Solver(small_net(), blob_data(), update_rule=name).update_rule is getattr(optim, name)


def test_documented_keyword_arguments_are_explicit():
    parameters = inspect.signature(Solver).parameters
    expected = {"update_rule": "sgd", "optim_config": None, "lr_decay": 1.0, "batch_size": 100,
                "num_epochs": 10, "num_train_samples": 1000, "num_val_samples": None, "checkpoint_name": None,
                "print_every": 10, "verbose": True, "seed": None}
    for name, default in expected.items():
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY and parameters[name].default == default


def test_built_in_rules_get_their_defaults_and_a_custom_rule_without_learning_rate_is_fine_without_decay():
    solver = Solver(small_net(), blob_data(), update_rule="rmsprop", optim_config={"decay_rate": 0.9})
    assert solver.optim_config == {"learning_rate": 1e-2, "decay_rate": 0.9, "epsilon": 1e-8}
    calls = []

    def keep(w, dw, config):
        calls.append(dict(config))
        return w, config

    Solver(Counter(peak=99), counter_data(val_label=0), update_rule=keep, optim_config={"scale": 2},
           batch_size=4, num_epochs=2, verbose=False).train()
    assert calls == [{"scale": 2}] * 2


class Diverging(Counter):
    """Counter whose loss becomes NaN once w reaches 2."""

    def loss(self, X, y=None):
        if y is None:
            return super().loss(X)
        return (np.nan if self.params["w"][0] >= 2 else 1.0), {"w": -np.ones(1)}


def test_a_loss_that_becomes_nan_stops_training():
    model = Diverging(peak=99)
    solver = Solver(model, counter_data(val_label=0), optim_config={"learning_rate": 1.0}, batch_size=4,
                    num_epochs=5, verbose=False)
    with pytest.raises(ValueError, match=r"loss became nan at iteration 3 \(epoch 3\)"):
        solver.train()
    assert solver.loss_history == [1.0, 1.0]
    assert model.params["w"][0] == 2  # the step with the NaN loss was not applied


def test_check_accuracy_refuses_labels_that_do_not_match_the_data():
    solver = Solver(small_net(), blob_data(), verbose=False)
    X, y = blobs(10)
    with pytest.raises(ValueError, match=r"Solver.check_accuracy: y has shape \(9,\); need shape \(10,\)"):
        solver.check_accuracy(X, y[:9])
    with pytest.raises(ValueError, match="num_samples must be a positive integer"):
        solver.check_accuracy(X, y, num_samples=0)


def test_training_goes_through_the_models_fast_path_and_print_every_none_prints_epochs_only(capsys):
    model = small_net()
    calls = {"loss": 0, "loss_unchecked": 0}
    for name in calls:
        method = getattr(model, name)

        def counted(*args, name=name, method=method):
            calls[name] += 1
            return method(*args)

        setattr(model, name, counted)
    Solver(model, blob_data(), batch_size=20, num_epochs=2, print_every=None, num_train_samples=None).train()
    assert calls["loss"] == 3 * 2  # the accuracy checks (train and val, before training and per epoch)
    assert calls["loss_unchecked"] == 2 * 3 + calls["loss"]  # every training step, and inside loss
    assert [line.split(")")[0] for line in capsys.readouterr().out.splitlines()] == [
        "(Epoch 0 / 2", "(Epoch 1 / 2", "(Epoch 2 / 2"]
