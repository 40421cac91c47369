"""First-order update rules, each with the signature update(w, dw, config=None) -> (next_w, config).

- w: A numpy array giving the current weights.
- dw: A numpy array of the same shape as w giving the gradient of the loss with respect to w.
- config: A dictionary of hyperparameters (learning rate, decay rates, ...) that also holds the
  state the rule carries from one step to the next (velocity, caches, moments, step count).
  Missing keys are filled with the defaults named in each docstring, and the state is created on
  the first call. Pass the same config back on the next step.

The rules never modify w, dw or the arrays they are given in config: they return a new next_w and
store new state arrays in config. Every rule keeps the dtype of w.
"""
import math

import numpy as np


def _with_defaults(config, **defaults):
    """Return config (a new dict if None) with every missing hyperparameter set to its default."""
    config = {} if config is None else config
    for key, value in defaults.items():
        config.setdefault(key, value)
    return config


def _state(config, key, w):
    """Return the state array config[key], or zeros shaped like w before the first step."""
    state = config.get(key)
    return np.zeros_like(w) if state is None else state


def sgd(w, dw, config=None):
    """Perform vanilla stochastic gradient descent: next_w = w - learning_rate * dw.

    config format:
    - learning_rate: Scalar learning rate (default 1e-2).

    Returns a tuple of:
    - next_w: The updated weights, of the shape of w
    - config: The config dictionary
    """
    config = _with_defaults(config, learning_rate=1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    """Perform stochastic gradient descent with classical (not Nesterov) momentum.

        v = momentum * v - learning_rate * dw
        next_w = w + v

    config format:
    - learning_rate: Scalar learning rate (default 1e-2).
    - momentum: Scalar between 0 and 1 giving the momentum value (default 0.9);
      momentum = 0 reduces to sgd.
    - velocity: A numpy array of the shape of w, a moving average of the gradients (zeros at first).

    Returns a tuple of:
    - next_w: The updated weights, of the shape of w
    - config: The config dictionary, with the new velocity
    """
    config = _with_defaults(config, learning_rate=1e-2, momentum=0.9)
    v = config["momentum"] * _state(config, "velocity", w)  # a new array, so -= below is safe
    v -= config["learning_rate"] * dw
    config["velocity"] = v
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
    - cache: Moving average of second moments of gradients, of the shape of w (zeros at first).

    Returns a tuple of:
    - next_w: The updated weights, of the shape of w
    - config: The config dictionary, with the new cache
    """
    config = _with_defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    decay_rate = config["decay_rate"]
    cache = decay_rate * _state(config, "cache", w) + (1 - decay_rate) * (dw * dw)
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


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
    - m: Moving average of gradient, of the shape of w (zeros at first).
    - v: Moving average of squared gradient, of the shape of w (zeros at first).
    - t: Iteration number (default 0; the first update uses t = 1).

    Returns a tuple of:
    - next_w: The updated weights, of the shape of w
    - config: The config dictionary, with the new m, v and t
    """
    config = _with_defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, t=0)
    beta1, beta2 = config["beta1"], config["beta2"]
    t = config["t"] + 1
    m = beta1 * _state(config, "m", w)  # new arrays, so += below is safe
    m += (1 - beta1) * dw
    v = beta2 * _state(config, "v", w)
    v += (1 - beta2) * (dw * dw)
    config["m"], config["v"], config["t"] = m, v, t
    # The formula above with both bias corrections folded into two scalars (two array passes fewer).
    root_correction = math.sqrt(1 - beta2**t)
    step = config["learning_rate"] * root_correction / (1 - beta1**t)
    denominator = np.sqrt(v)
    denominator += config["epsilon"] * root_correction
    return w - step * m / denominator, config
