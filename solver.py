"""Solver: trains a classification model with minibatch gradient descent and the rules in optim.py."""
import copy
import math
import numbers
import pickle

import numpy as np

import optim
from atomic import atomic_open
from layers import check_labels, is_count

# The Solver's own state that a checkpoint saves and load_checkpoint restores (beside the model and RNGs).
_RESUMED_ATTRIBUTES = ("epoch", "optim_configs", "best_val_acc", "best_params", "best_bn_params",
                       "loss_history", "train_acc_history", "val_acc_history")


def _is_number(value):
    """True if value is a finite real number (a Python or NumPy one, not a bool)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _require_counts(where, values, optional=()):
    """Raise ValueError unless every value in the dict values is a positive integer (or None, where its
    name is in optional)."""
    for name, value in values.items():
        if not (is_count(value) or (name in optional and value is None)):
            allowed = "a positive integer or None" if name in optional else "a positive integer"
            raise ValueError(f"{where}: {name} must be {allowed}, got {value!r}")


def _same(a, b):
    """Whether two saved settings are equal: dicts key by key, arrays element by element."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b


class Solver:
    """Train a classification model with minibatch stochastic gradient descent.

    The model must have:
    - model.params: a dictionary mapping parameter names to numpy arrays;
    - model.loss(X, y=None): with y, a training-time forward and backward pass returning
      (loss, grads) with grads.keys() == params.keys(); without y, the test-time scores (N, C).
    Optional attributes: model.dtype (the data are cast to it), model.num_classes (labels are
    checked against it) and, with both of those, model.loss_unchecked(X, y): loss without the
    per-call input checks. The Solver checks its whole training set once, at construction (cast to
    model.dtype, finite, labels in range; do not modify it afterwards), and then trains through
    loss_unchecked when the model has it (FullyConnectedNet does), so the checks are not repeated on
    every minibatch. check_accuracy always calls model.loss.

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
    entries: before training and after each epoch) hold the run's history. A loss that becomes NaN
    or inf stops training with a ValueError (the parameters are those from before that step).

    Of epochs with equal validation accuracy the earliest is kept: a later epoch replaces the best
    only if it does strictly better (``>``, as in CS231n's Solver and in Keras's and Lightning's
    best-checkpoint callbacks), and epoch 0, the net before training, is a candidate too. So where
    val_acc reaches its maximum early and stays there (1.0 from epoch 2 on an easy problem), the
    parameters are that early epoch's, though later epochs, trained longer, may be more confident.
    best_val_acc holds that accuracy and val_acc_history.index(best_val_acc) its epoch.
    """

    def __init__(self, model, data, *, update_rule="sgd", optim_config=None, lr_decay=1.0, batch_size=100,
                 num_epochs=10, num_train_samples=1000, num_val_samples=None, checkpoint_name=None,
                 print_every=10, verbose=True, seed=None, **kwargs):
        """Construct a new Solver instance.

        Inputs:
        - model: A model object conforming to the API described in the class docstring
        - data: A dictionary of training and validation data containing:
          - 'X_train': Array, shape (N_train, d_1, ..., d_k) of training data
          - 'y_train': Array, shape (N_train,) of integer labels for training data
          - 'X_val': Array, shape (N_val, d_1, ..., d_k) of validation data
          - 'y_val': Array, shape (N_val,) of integer labels for validation data

        Optional keyword arguments (any other raises ValueError('Unrecognized arguments ...')):
        - update_rule: The name of an update rule in optim.py ('sgd', 'sgd_momentum', 'rmsprop',
          'adam'), or a function update(w, dw, config) -> (next_w, config). Default 'sgd'.
        - optim_config: A dictionary of hyperparameters for the update rule (default None: {}); each
          parameter gets its own (deep) copy. For a built-in rule, missing hyperparameters get
          optim.DEFAULTS and a key the rule does not know (say 'learning_rat') raises ValueError.
        - lr_decay: A number > 0; optim_config's learning_rate is multiplied by it after each epoch
          (a function update_rule then needs a 'learning_rate' in optim_config, unless lr_decay is 1).
        - batch_size: Size of minibatches used to compute loss and gradient during training.
        - num_epochs: The number of epochs to run for during training, >= 1.
        - num_train_samples: Number of training samples used to check training accuracy (default
          1000; None to use the entire training set).
        - num_val_samples: Number of validation samples to use to check val accuracy (default None,
          the entire validation set).
        - checkpoint_name: If not None, save a checkpoint to f"{checkpoint_name}_epoch_{epoch}.pkl"
          after every epoch (written atomically); load_checkpoint resumes from it.
        - print_every: Training losses are printed every print_every iterations (None: never).
        - verbose: If False, print nothing during training.
        - seed: If not None, draw the minibatch order and accuracy subsets from
          np.random.RandomState(seed) instead of np.random's global state.
        """
        if kwargs:
            raise ValueError(f"Solver: Unrecognized arguments {', '.join(sorted(kwargs))}")
        self.model = model
        self.update_rule, self._rule_name = self._resolve_rule(update_rule)
        self.optim_config = self._check_optim_config(optim_config, lr_decay)
        _require_counts("Solver", {"batch_size": batch_size, "num_epochs": num_epochs,
                                   "num_train_samples": num_train_samples, "num_val_samples": num_val_samples,
                                   "print_every": print_every},
                        optional=("num_train_samples", "num_val_samples", "print_every"))
        self.lr_decay = float(lr_decay)
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.num_train_samples = num_train_samples
        self.num_val_samples = num_val_samples
        self.checkpoint_name = checkpoint_name
        self.print_every = print_every
        self.verbose = verbose
        self.seed = seed

        self.X_train, self.y_train = self._check_split(data, "train")
        self.X_val, self.y_val = self._check_split(data, "val")
        fast = getattr(model, "loss_unchecked", None)
        checked = hasattr(model, "dtype") and hasattr(model, "num_classes")
        self._train_loss = fast if fast is not None and checked else model.loss
        self._rng = np.random if seed is None else np.random.RandomState(seed)
        self._reset()

    @staticmethod
    def _resolve_rule(update_rule):
        """Return (the update function, its name: a built-in's or the function's module.qualname)."""
        if isinstance(update_rule, str):
            if update_rule not in optim.DEFAULTS:
                raise ValueError(f"Solver: invalid update_rule {update_rule!r}; use one of "
                                 f"{', '.join(map(repr, optim.DEFAULTS))} or pass a function")
            return getattr(optim, update_rule), update_rule
        if not callable(update_rule):
            raise ValueError(f"Solver: update_rule must be a name or a function, got {update_rule!r}")
        for name in optim.DEFAULTS:
            if update_rule is getattr(optim, name):
                return update_rule, name
        qualname = getattr(update_rule, "__qualname__", type(update_rule).__qualname__)
        return update_rule, f"{getattr(update_rule, '__module__', '')}.{qualname}"

    def _check_optim_config(self, optim_config, lr_decay):
        """Return a copy of optim_config, with a built-in rule's defaults filled in, after checking it."""
        if optim_config is None:
            optim_config = {}
        if not isinstance(optim_config, dict):
            raise ValueError(f"Solver: optim_config must be a dict, got {type(optim_config).__name__}")
        if not (_is_number(lr_decay) and lr_decay > 0):
            raise ValueError(f"Solver: lr_decay must be a number > 0, got {lr_decay!r}")
        defaults = optim.DEFAULTS.get(self._rule_name)
        if defaults is None:
            if lr_decay != 1 and "learning_rate" not in optim_config:
                raise ValueError(f"Solver: lr_decay={lr_decay} multiplies optim_config['learning_rate'], "
                                 f"which this update_rule's optim_config lacks")
            return copy.deepcopy(optim_config)
        known = [*defaults, *optim.STATE_KEYS[self._rule_name]]
        unknown = sorted(set(optim_config) - set(known))
        if unknown:
            raise ValueError(f"Solver: optim_config has key(s) {unknown} that update_rule "
                             f"'{self._rule_name}' does not use; it takes {known}")
        bad = [key for key in defaults if key in optim_config and not _is_number(optim_config[key])]
        if bad:
            raise ValueError(f"Solver: optim_config[{bad[0]!r}] must be a finite number, "
                             f"got {optim_config[bad[0]]!r}")
        return {**defaults, **copy.deepcopy(optim_config)}

    def _check_split(self, data, split):
        """Return data['X_<split>'], data['y_<split>'] after checking them, in the model's dtype."""
        x_key, y_key = f"X_{split}", f"y_{split}"
        missing = [k for k in (x_key, y_key) if k not in data]
        if missing:
            raise ValueError(f"Solver: data is missing {', '.join(missing)} "
                             "(need X_train, y_train, X_val, y_val)")
        with np.errstate(over="ignore"):  # overflow gives inf, reported below
            X = np.asarray(data[x_key], dtype=getattr(self.model, "dtype", None))
        if X.ndim == 0 or X.shape[0] == 0:
            raise ValueError(f"Solver: data['{x_key}'] is empty (shape {X.shape})")
        y = check_labels("Solver", data[y_key], getattr(self.model, "num_classes", None),
                         num_examples=X.shape[0], name=f"data['{y_key}']")
        if X.dtype.kind == "f" and not np.isfinite(X).all():  # after the cast, which can overflow
            index = tuple(int(i) for i in np.argwhere(~np.isfinite(X))[0])
            raise ValueError(f"Solver: data['{x_key}'] contains NaN or inf (first at index {index}, "
                             f"in {X.dtype})")
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
        self.optim_configs = {p: copy.deepcopy(self.optim_config) for p in self.model.params}

    def _step(self, X_batch, y_batch):
        """Make a single gradient update on one minibatch; raise ValueError if the loss is not finite."""
        loss, grads = self._train_loss(X_batch, y_batch)
        if not math.isfinite(loss):
            raise ValueError(f"Solver: loss became {loss} at iteration {len(self.loss_history) + 1} "
                             f"(epoch {self.epoch + 1}); training stopped with the parameters from before "
                             f"that step. Try a smaller learning rate or weight_scale")
        self.loss_history.append(loss)
        params, configs, update = self.model.params, self.optim_configs, self.update_rule
        for p, w in params.items():
            params[p], configs[p] = update(w, grads[p], configs[p])

    def _settings(self):
        """The options that change what a run computes; load_checkpoint compares them."""
        return {"update_rule": self._rule_name, "optim_config": self.optim_config, "lr_decay": self.lr_decay,
                "batch_size": self.batch_size, "num_train_samples": self.num_train_samples,
                "num_val_samples": self.num_val_samples, "seed": self.seed,
                "X_train shape": self.X_train.shape, "X_val shape": self.X_val.shape}

    def _checkpoint_state(self):
        state = {key: getattr(self, key) for key in _RESUMED_ATTRIBUTES}
        state.update(model=self.model, settings=self._settings(), num_epochs=self.num_epochs,
                     rng_state=None if self.seed is None else self._rng.get_state(),
                     global_rng_state=np.random.get_state())
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
        the Solver with the same data and options as the interrupted run: a checkpoint written with
        another update_rule, optim_config, lr_decay, batch_size, num_train_samples, num_val_samples,
        seed or data shape raises ValueError naming the difference. num_epochs may differ (to run
        longer), but not be below the checkpoint's epoch.

        Inputs:
        - filename: Path of a checkpoint written by this class (f"{checkpoint_name}_epoch_{epoch}.pkl")
        """
        with open(filename, "rb") as f:
            state = pickle.load(f)
        if "settings" not in state:
            raise ValueError(f"Solver.load_checkpoint: {filename} holds no settings (not written by this "
                             f"version of the Solver)")
        saved = state["settings"]
        mismatches = [f"{key} {saved.get(key)!r} (this solver: {value!r})"
                      for key, value in self._settings().items() if not _same(saved.get(key), value)]
        if mismatches:
            raise ValueError(f"Solver.load_checkpoint: {filename} was written with "
                             f"{'; '.join(mismatches)}; resuming would not continue that run")
        if state["epoch"] > self.num_epochs:
            raise ValueError(f"Solver.load_checkpoint: {filename} was written after epoch {state['epoch']}, "
                             f"beyond this solver's num_epochs={self.num_epochs}")
        vars(self.model).update(vars(state["model"]))
        for key in _RESUMED_ATTRIBUTES:
            setattr(self, key, state[key])
        if self.seed is not None:  # else self._rng is np.random, restored next
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
        X, y = np.asarray(X), np.asarray(y)
        N = X.shape[0] if X.ndim else 0
        if N == 0:
            raise ValueError("Solver.check_accuracy: X is empty")
        y = check_labels("Solver.check_accuracy", y, None, num_examples=N)
        _require_counts("Solver.check_accuracy", {"num_samples": num_samples, "batch_size": batch_size},
                        optional=("num_samples",))
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
        print_every = self.print_every if self.verbose else None
        X_train, y_train, batch_size, step = self.X_train, self.y_train, self.batch_size, self._step
        if not self.val_acc_history:
            self._record_accuracy()
        while self.epoch < self.num_epochs:
            order = self._rng.permutation(num_train)
            for start in range(0, iterations_per_epoch * batch_size, batch_size):
                batch = order[start:start + batch_size]
                step(X_train.take(batch, axis=0), y_train.take(batch))  # take: X_train[batch], faster
                if print_every:
                    t = len(self.loss_history)
                    if (t - 1) % print_every == 0:
                        print(f"(Iteration {t} / {num_iterations}) loss: {self.loss_history[-1]:f}")
            self.epoch += 1
            if self.lr_decay != 1:
                for config in self.optim_configs.values():
                    config["learning_rate"] *= self.lr_decay
            self._record_accuracy()
            self._save_checkpoint()
        self.model.params = {k: v.copy() for k, v in self.best_params.items()}
        if self.best_bn_params is not None:
            self.model.bn_params = copy.deepcopy(self.best_bn_params)
