"""Solver: trains a classification model with minibatch gradient descent and the rules in optim.py."""
import copy
import math
import pickle

import numpy as np

import optim
from atomic import atomic_open

# The Solver's own state that a checkpoint saves and load_checkpoint restores (beside the model and RNGs).
_RESUMED_ATTRIBUTES = ("epoch", "optim_configs", "best_val_acc", "best_params", "best_bn_params",
                       "loss_history", "train_acc_history", "val_acc_history")


class Solver:
    """Train a classification model with minibatch stochastic gradient descent.

    The model must have:
    - model.params: a dictionary mapping parameter names to numpy arrays;
    - model.loss(X, y=None): with y, a training-time forward and backward pass returning
      (loss, grads) with grads.keys() == params.keys(); without y, the test-time scores (N, C).

    Example:
        data = {'X_train': ..., 'y_train': ..., 'X_val': ..., 'y_val': ...}
        model = FullyConnectedNet([100], input_dim=75, num_classes=8)
        solver = Solver(model, data, update_rule='sgd_momentum',
                        optim_config={'learning_rate': 1e-2}, lr_decay=0.95,
                        num_epochs=10, batch_size=100, print_every=100)
        solver.train()

    Minibatches: every epoch visits the training set in a fresh random order (a permutation, so no
    example repeats within an epoch); an epoch is max(num_train // batch_size, 1) iterations, and
    the num_train % batch_size examples left over at the end of each permutation sit that epoch out.
    Random numbers (the permutations and the subsets that check_accuracy draws) come from
    np.random's global state, like the course, or from np.random.RandomState(seed) given seed:
    the same seed (and model seed) gives the same run.

    After train(), model.params holds the parameters with the best validation accuracy (and
    model.bn_params, where the model has batch-norm running statistics, those of the same epoch), and
    loss_history (one entry per iteration), train_acc_history and val_acc_history (num_epochs + 1
    entries: before training and after each epoch) hold the run's history.
    """

    def __init__(self, model, data, **kwargs):
        """Construct a new Solver instance.

        Inputs:
        - model: A model object conforming to the API described in the class docstring
        - data: A dictionary of training and validation data containing:
          - 'X_train': Array, shape (N_train, d_1, ..., d_k) of training data
          - 'y_train': Array, shape (N_train,) of integer labels for training data
          - 'X_val': Array, shape (N_val, d_1, ..., d_k) of validation data
          - 'y_val': Array, shape (N_val,) of integer labels for validation data

        Optional arguments:
        - update_rule: The name of an update rule in optim.py ('sgd', 'sgd_momentum', 'rmsprop',
          'adam'), or a function update(w, dw, config) -> (next_w, config). Default 'sgd'.
        - optim_config: A dictionary of hyperparameters for the update rule (every rule needs
          'learning_rate'); each parameter gets its own copy.
        - lr_decay: The learning rate is multiplied by this after each epoch.
        - batch_size: Size of minibatches used to compute loss and gradient during training.
        - num_epochs: The number of epochs to run for during training.
        - num_train_samples: Number of training samples used to check training accuracy (default
          1000; None to use the entire training set).
        - num_val_samples: Number of validation samples to use to check val accuracy (default None,
          the entire validation set).
        - checkpoint_name: If not None, save a checkpoint to f"{checkpoint_name}_epoch_{epoch}.pkl"
          after every epoch (written atomically); load_checkpoint resumes from it.
        - print_every: Training losses are printed every print_every iterations.
        - verbose: If False, print nothing during training.
        - seed: If not None, draw the minibatch order and accuracy subsets from
          np.random.RandomState(seed) instead of np.random's global state.
        """
        self.model = model
        self.update_rule = kwargs.pop("update_rule", "sgd")
        self.optim_config = dict(kwargs.pop("optim_config", {}))
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.num_train_samples = kwargs.pop("num_train_samples", 1000)
        self.num_val_samples = kwargs.pop("num_val_samples", None)
        self.checkpoint_name = kwargs.pop("checkpoint_name", None)
        self.print_every = kwargs.pop("print_every", 10)
        self.verbose = kwargs.pop("verbose", True)
        seed = kwargs.pop("seed", None)
        if kwargs:
            raise ValueError(f"Solver: unrecognized arguments {', '.join(sorted(kwargs))}")
        if isinstance(self.update_rule, str):
            rule = getattr(optim, self.update_rule, None)
            if self.update_rule.startswith("_") or not callable(rule):
                raise ValueError(f"Solver: invalid update_rule {self.update_rule!r}; use one of 'sgd', "
                                 f"'sgd_momentum', 'rmsprop', 'adam' or pass a function")
            self.update_rule = rule
        elif not callable(self.update_rule):
            raise ValueError(f"Solver: update_rule must be a name or a function, got {self.update_rule!r}")
        if int(self.batch_size) != self.batch_size or self.batch_size < 1:
            raise ValueError(f"Solver: batch_size must be a positive integer, got {self.batch_size}")

        self.X_train, self.y_train = self._check_split(data, "train")
        self.X_val, self.y_val = self._check_split(data, "val")
        self._rng = np.random if seed is None else np.random.RandomState(seed)
        self._reset()

    def _check_split(self, data, split):
        """Return data['X_<split>'], data['y_<split>'] after checking them, in the model's dtype."""
        x_key, y_key = f"X_{split}", f"y_{split}"
        missing = [k for k in (x_key, y_key) if k not in data]
        if missing:
            raise ValueError(f"Solver: data is missing {', '.join(missing)} "
                             "(need X_train, y_train, X_val, y_val)")
        X = np.asarray(data[x_key], dtype=getattr(self.model, "dtype", None))
        y = np.asarray(data[y_key])
        if X.ndim == 0 or X.shape[0] == 0:
            raise ValueError(f"Solver: data['{x_key}'] is empty (shape {X.shape})")
        if y.shape != (X.shape[0],):
            raise ValueError(f"Solver: data['{y_key}'] has shape {y.shape}, expected ({X.shape[0]},) "
                             f"to match data['{x_key}'] {X.shape}")
        if y.dtype.kind not in "iu":
            raise ValueError(f"Solver: data['{y_key}'] must hold integer labels, got dtype {y.dtype}")
        num_classes = getattr(self.model, "num_classes", None)
        if num_classes is not None and (y.min() < 0 or y.max() >= num_classes):
            bad = int(np.flatnonzero((y < 0) | (y >= num_classes))[0])
            raise ValueError(f"Solver: data['{y_key}'][{bad}] = {y[bad]} is outside 0..{num_classes - 1} "
                             f"(the model has {num_classes} classes)")
        if X.dtype.kind == "f" and not np.isfinite(X).all():
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(X))[0])
            raise ValueError(f"Solver: data['{x_key}'] contains NaN or inf (first at index {index})")
        return X, y

    def _reset(self):
        """Set up book-keeping variables for optimization."""
        self.epoch = 0
        self.best_val_acc = -math.inf
        self.best_params = {}
        self.best_bn_params = None
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        self.optim_configs = {p: dict(self.optim_config) for p in self.model.params}

    def _step(self, X_batch, y_batch):
        """Make a single gradient update on one minibatch."""
        loss, grads = self.model.loss(X_batch, y_batch)
        self.loss_history.append(loss)
        params, configs, update = self.model.params, self.optim_configs, self.update_rule
        for p, w in params.items():
            params[p], configs[p] = update(w, grads[p], configs[p])

    def _checkpoint_state(self):
        state = {key: getattr(self, key) for key in _RESUMED_ATTRIBUTES}
        state.update(model=self.model, rng_state=self._rng.get_state(),
                     global_rng_state=np.random.get_state(), batch_size=self.batch_size,
                     num_epochs=self.num_epochs, lr_decay=self.lr_decay)
        return state

    def _save_checkpoint(self):
        if self.checkpoint_name is None:
            return
        filename = f"{self.checkpoint_name}_epoch_{self.epoch}.pkl"
        if self.verbose:
            print(f'Saving checkpoint to "{filename}"')
        with atomic_open(filename, "wb") as f:
            pickle.dump(self._checkpoint_state(), f)

    def load_checkpoint(self, filename):
        """Restore the state saved after an epoch, so that train() resumes where that run stopped.

        The model's attributes (params and any running statistics), the optimizer state, the
        histories, the best parameters and the random states (the solver's and np.random's global)
        are restored; a resumed run ends with the same parameters as an uninterrupted one. Construct
        the Solver with the same data and options as the interrupted run.

        Inputs:
        - filename: Path of a checkpoint written by this class (f"{checkpoint_name}_epoch_{epoch}.pkl")
        """
        with open(filename, "rb") as f:
            state = pickle.load(f)
        if state["batch_size"] != self.batch_size:
            raise ValueError(f"Solver.load_checkpoint: {filename} was written with batch_size "
                             f"{state['batch_size']}, this solver has {self.batch_size}")
        vars(self.model).update(vars(state["model"]))
        for key in _RESUMED_ATTRIBUTES:
            setattr(self, key, state[key])
        self._rng.set_state(state["rng_state"])
        np.random.set_state(state["global_rng_state"])

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """Check accuracy of the model on the provided data.

        Inputs:
        - X: Array of data, of shape (N, d_1, ..., d_k)
        - y: Array of labels, of shape (N,)
        - num_samples: If not None and N > num_samples, subsample the data (without replacement)
          and only test the model on num_samples datapoints.
        - batch_size: Split X and y into batches of this size to avoid using too much memory.

        Returns:
        - acc: Scalar giving the fraction of instances that were correctly classified by the model.
        """
        N = X.shape[0]
        if N == 0:
            raise ValueError("Solver.check_accuracy: X is empty")
        if num_samples is not None and N > num_samples:
            subset = self._rng.choice(N, num_samples, replace=False)
            X, y, N = X[subset], y[subset], num_samples
        y_pred = np.concatenate([np.argmax(self.model.loss(X[start:start + batch_size]), axis=1)
                                 for start in range(0, N, batch_size)])
        return float(np.mean(y_pred == y))

    def _record_accuracy(self):
        """Append train and val accuracy to the histories and keep the best parameters so far."""
        train_acc = self.check_accuracy(self.X_train, self.y_train, num_samples=self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        if self.verbose:
            print(f"(Epoch {self.epoch} / {self.num_epochs}) train acc: {train_acc:f}; val_acc: {val_acc:f}")
        if val_acc > self.best_val_acc:
            self.best_val_acc = val_acc
            self.best_params = {k: v.copy() for k, v in self.model.params.items()}
            self.best_bn_params = copy.deepcopy(getattr(self.model, "bn_params", None))

    def train(self):
        """Run optimization to train the model, from epoch self.epoch (0, or a loaded checkpoint's)."""
        num_train = self.X_train.shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch
        if not self.val_acc_history:
            self._record_accuracy()
        while self.epoch < self.num_epochs:
            order = self._rng.permutation(num_train)
            for start in range(0, iterations_per_epoch * self.batch_size, self.batch_size):
                batch = order[start:start + self.batch_size]
                self._step(self.X_train[batch], self.y_train[batch])
                t = len(self.loss_history)
                if self.verbose and (t - 1) % self.print_every == 0:
                    print(f"(Iteration {t} / {num_iterations}) loss: {self.loss_history[-1]:f}")
            self.epoch += 1
            for config in self.optim_configs.values():
                config["learning_rate"] *= self.lr_decay
            self._record_accuracy()
            self._save_checkpoint()
        self.model.params = {k: v.copy() for k, v in self.best_params.items()}
        if self.best_bn_params is not None:
            self.model.bn_params = copy.deepcopy(self.best_bn_params)
