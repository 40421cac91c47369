"""First-order update rules, each with the signature update(w, dw, config=None) -> (next_w, config).

- w: A numpy array giving the current weights.
- dw: A numpy array of the same shape (and dtype) as w giving the gradient of the loss with respect to w.
- config: A dictionary of hyperparameters (learning rate, decay rates, ...) that also holds the
  state the rule carries from one step to the next (velocity, caches, moments, step count).
  Missing hyperparameters are filled with the defaults in DEFAULTS (also named in each docstring),
  and the state is created on the first call. Pass the same config back on the next step.

In place or not: the rules never modify w or dw, and return a new next_w. The state arrays in
config (velocity, cache, m, v) belong to the config and ARE updated in place, step after step (a
state array given in config must have w's shape; one of another dtype or type is first copied to
w's dtype). Hyperparameters are read as Python floats, so NumPy scalars (np.float64(0.9)) cannot
promote a float32 w to float64: every rule keeps the dtype of w.
"""
import math

import numpy as np

# The hyperparameters each built-in rule reads from config, with the defaults it fills in.
DEFAULTS = {
    "sgd": {"learning_rate": 1e-2},
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
# The state each built-in rule keeps in config between steps.
STATE_KEYS = {"sgd": (), "sgd_momentum": ("velocity",), "rmsprop": ("cache",), "adam": ("m", "v", "t")}


def _state(config, key, w):
    """Return the state array config[key] for w, stored there as zeros (w's shape and dtype) at first."""
    state = config.get(key)
    if state is None:
        state = config[key] = np.zeros_like(w)
    elif not (isinstance(state, np.ndarray) and state.shape == w.shape and state.dtype == w.dtype):
        if np.shape(state) != w.shape:
            raise ValueError(f"optim: config['{key}'] has shape {np.shape(state)} but w has {w.shape}")
        state = config[key] = np.array(state, dtype=w.dtype)
    return state


def _hyperparameters(config, rule):
    """Return (config, *hyperparameters): config ({} for None) with the rule's missing
    hyperparameters filled from DEFAULTS[rule], and their values as floats, in DEFAULTS order."""
    config = {} if config is None else config
    values = [float(config.setdefault(key, default)) for key, default in DEFAULTS[rule].items()]
    return (config, *values)


def sgd(w, dw, config=None):
    """Perform vanilla stochastic gradient descent: next_w = w - learning_rate * dw.

    config format:
    - learning_rate: Scalar learning rate (default 1e-2).

    Returns a tuple of:
    - next_w: The updated weights, of the shape of w
    - config: The config dictionary
    """
    config, learning_rate = _hyperparameters(config, "sgd")
    return w - learning_rate * dw, config


def sgd_momentum(w, dw, config=None):
    """Perform stochastic gradient descent with classical (not Nesterov) momentum.

        v = momentum * v - learning_rate * dw
        next_w = w + v

    config format:
    - learning_rate: Scalar learning rate (default 1e-2).
    - momentum: Scalar between 0 and 1 giving the momentum value (default 0.9);
      momentum = 0 reduces to sgd.
    - velocity: A numpy array of the shape of w, a moving average of the gradients (zeros at first);
      updated in place.

    Returns a tuple of:
    - next_w: The updated weights, of the shape of w
    - config: The config dictionary, with the new velocity
    """
    config, learning_rate, momentum = _hyperparameters(config, "sgd_momentum")
    v = _state(config, "velocity", w)
    v *= momentum
    v -= learning_rate * dw
    return w + v, config


def rmsprop(w, dw, config=None):
    """Use the RMSProp update rule: a moving average of squared gradients sets per-parameter step sizes.

        cache = decay_rate * cache + (1 - decay_rate) * dw**2
        next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)

    config format:
    - learning_rate: Scalar learning rate (default 1e-2).
    - decay_rate: Scalar between 0 and 1 giving the decay rate for the squared gradient cache
      (default 0.99).
    - epsilon: Small scalar used for smoothing to avoid dividing by zero (default 1e-8).
    - cache: Moving average of second moments of gradients, of the shape of w (zeros at first);
      updated in place.

    Returns a tuple of:
    - next_w: The updated weights, of the shape of w
    - config: The config dictionary, with the new cache
    """
    config, learning_rate, decay_rate, epsilon = _hyperparameters(config, "rmsprop")
    cache = _state(config, "cache", w)
    cache *= decay_rate
    cache += (1 - decay_rate) * (dw * dw)
    denominator = np.sqrt(cache)
    denominator += epsilon
    return w - learning_rate * dw / denominator, config


def adam(w, dw, config=None):
    """Use the Adam update rule: moving averages of the gradient and its square, with bias correction.

        t = t + 1                      (incremented BEFORE the bias correction)
        m = beta1 * m + (1 - beta1) * dw
        v = beta2 * v + (1 - beta2) * dw**2
        next_w = w - learning_rate * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + epsilon)

    config format:
    - learning_rate: Scalar learning rate (default 1e-3).
    - beta1: Decay rate for moving average of first moment of gradient (default 0.9).
    - beta2: Decay rate for moving average of second moment of gradient (default 0.999).
    - epsilon: Small scalar used for smoothing to avoid dividing by zero (default 1e-8).
    - m: Moving average of gradient, of the shape of w (zeros at first); updated in place.
    - v: Moving average of squared gradient, of the shape of w (zeros at first); updated in place.
    - t: Iteration number (default 0; the first update uses t = 1).

    Returns a tuple of:
    - next_w: The updated weights, of the shape of w
    - config: The config dictionary, with the new m, v and t
    """
    config, learning_rate, beta1, beta2, epsilon = _hyperparameters(config, "adam")
    t = config["t"] = int(config.get("t", 0)) + 1
    m = _state(config, "m", w)
    m *= beta1
    m += (1 - beta1) * dw
    v = _state(config, "v", w)
    v *= beta2
    v += (1 - beta2) * (dw * dw)
    # The formula above with both bias corrections folded into two scalars (two array passes fewer).
    root_correction = math.sqrt(1 - beta2**t)
    step = learning_rate * root_correction / (1 - beta1**t)
    denominator = np.sqrt(v)
    denominator += epsilon * root_correction
    return w - step * m / denominator, config
