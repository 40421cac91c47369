"""The experiments of starter_code.ipynb as plain functions, so that the notebook holds no logic.

- ``gradient_check_table``: every layer's analytic gradients against numerical ones;
- ``mds189_data`` / ``data_summary``: the Solver's data dict of MDS189 key-frame poses and its sizes;
- ``hyperparameter_search`` / ``compare_depths``: FullyConnectedNet + Solver on poses through the
  library's ``fc_training.train_fc`` (which the notebook also calls as ``experiments.train_fc``);
- ``gradient_norms_at_init``: per-layer gradient norms of deep sigmoid/tanh/ReLU/linear nets (vanishing
  gradients);
- ``vertical_edge_response``: the course's hand-designed vertical edge detector run by conv_forward_fast.
"""
import itertools

import numpy as np
import pandas as pd

import layers
from data_utils import load_mds189
from fc_net import FullyConnectedNet
from fc_training import train_fc
from gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from mds189_constants import KEYPOINT_DIM, NUM_CLASSES

_CONV = {"stride": 2, "pad": 1}
_POOL = {"pool_height": 3, "pool_width": 3, "stride": 2}
# name -> (forward taking the checked arrays in order, backward, {array name: shape}); float64 inputs.
LAYER_CHECKS = {
    "affine": (layers.affine_forward, layers.affine_backward, {"x": (4, 2, 3), "w": (6, 5), "b": (5,)}),
    "relu": (layers.relu_forward, layers.relu_backward, {"x": (4, 5)}),
    "leaky_relu": (layers.leaky_relu_forward, layers.leaky_relu_backward, {"x": (4, 5)}),
    "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward, {"x": (4, 5)}),
    "tanh": (layers.tanh_forward, layers.tanh_backward, {"x": (4, 5)}),
    "dropout (train, keep 0.7)": (
        lambda x: layers.dropout_forward(x, {"keep_prob": 0.7, "mode": "train", "seed": 0}),
        layers.dropout_backward, {"x": (4, 5)}),
    "batchnorm (train)": (
        lambda x, gamma, beta: layers.batchnorm_forward(x, gamma, beta, {"mode": "train"}),
        layers.batchnorm_backward, {"x": (6, 4), "gamma": (4,), "beta": (4,)}),
    "conv_naive": (lambda x, w, b: layers.conv_forward_naive(x, w, b, _CONV), layers.conv_backward_naive,
                   {"x": (2, 3, 5, 5), "w": (3, 3, 3, 3), "b": (3,)}),
    "conv_fast": (lambda x, w, b: layers.conv_forward_fast(x, w, b, _CONV), layers.conv_backward_fast,
                  {"x": (2, 3, 5, 5), "w": (3, 3, 3, 3), "b": (3,)}),
    "max_pool_naive": (lambda x: layers.max_pool_forward_naive(x, _POOL), layers.max_pool_backward_naive,
                       {"x": (2, 2, 5, 5)}),
    "max_pool_fast": (lambda x: layers.max_pool_forward_fast(x, _POOL), layers.max_pool_backward_fast,
                      {"x": (2, 2, 5, 5)}),
}
ACTIVATIONS = {
    "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward),
    "tanh": (layers.tanh_forward, layers.tanh_backward),
    "relu": (layers.relu_forward, layers.relu_backward),
    "linear": (lambda x: (x, None), lambda dout, cache: dout),
}
GRADIENT_TOLERANCE = 1e-5  # relative errors of correct gradients in gradient_check_table stay below
# The vertical edge detector of the course (a Sobel kernel): responds to left-right intensity changes.
VERTICAL_EDGE_KERNEL = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])


def _layer_errors(forward, backward, shapes, rng):
    """Relative errors between backward's gradients and numerical ones, one per checked array."""
    arrays = {name: rng.standard_normal(shape) for name, shape in shapes.items()}
    out, cache = forward(*arrays.values())
    dout = rng.standard_normal(out.shape)
    grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    errors = {}
    for (name, value), grad in zip(arrays.items(), grads, strict=True):
        def f(v, name=name):
            return forward(*(v if k == name else a for k, a in arrays.items()))[0]
        errors[name] = rel_error(grad, eval_numerical_gradient_array(f, value, dout))
    return errors


def gradient_check_table(seed=0):
    """Check the analytic gradients of every layer (and of FullyConnectedNet) against numerical ones.

    All in float64 on small random inputs drawn from np.random.default_rng(seed), with centred differences
    (h = 1e-5). Errors below 1e-5 mean a correct gradient (GRADIENT_TOLERANCE; most are 1e-7 or far
    smaller, but an entry of a whole net's gradient that is close to zero can show a few times 1e-6 from
    rounding alone, as the course notes); a wrong gradient gives errors near 1. The biases of a layer
    followed by batch norm are left out: the normalisation removes any shift, so their gradient is 0 and
    its relative error measures only rounding noise.

    Returns a DataFrame with the columns layer, gradient ('dx', 'dw', ... or a parameter name) and
    rel_error, one row per checked gradient.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for layer, (forward, backward, shapes) in LAYER_CHECKS.items():
        errors = _layer_errors(forward, backward, shapes, rng)
        rows += [(layer, f"d{name}", err) for name, err in errors.items()]
    scores, y = rng.standard_normal((10, 5)), rng.integers(5, size=10)
    dx = layers.softmax_loss(scores, y)[1]
    dx_num = eval_numerical_gradient(lambda v: layers.softmax_loss(v, y)[0], scores, verbose=False)
    rows.append(("softmax_loss", "dx", rel_error(dx, dx_num)))
    for normalization in (None, "batchnorm"):
        model = FullyConnectedNet([12, 9], input_dim=7, num_classes=5, normalization=normalization, reg=0.7,
                                  weight_scale=0.3, dtype=np.float64, seed=seed)
        X, y = rng.standard_normal((6, 7)), rng.integers(5, size=6)
        grads = model.loss(X, y)[1]
        label = f"FullyConnectedNet [12, 9], reg 0.7{', batchnorm' if normalization else ''}"
        def loss(_, model=model, X=X, y=y):
            return model.loss(X, y)[0]
        for name in sorted(grads):
            if normalization and name in {f"b{l}" for l in range(1, model.num_layers)}:
                continue  # a bias before batch norm: gradient 0 (see above)
            num = eval_numerical_gradient(loss, model.params[name], verbose=False)
            rows.append((label, name, rel_error(grads[name], num)))
    return pd.DataFrame(rows, columns=["layer", "gradient", "rel_error"])


def mds189_data(root, debug=False, normalize=False):
    """The Solver's data dict from MDS189 key-frame keypoints (data_utils.load_mds189).

    Inputs:
    - root: the data root
    - debug: use the Procrustes-aligned poses (a debugging aid) instead of the raw ones
    - normalize: centre and scale each pose by its own body (data_utils.normalize_poses)

    Returns a dict with X_train (N_train, 75), y_train, X_val (N_val, 75), y_val.
    """
    X_train, y_train, X_val, y_val = load_mds189(root, debug=debug, normalize=normalize)
    return {"X_train": X_train, "y_train": y_train, "X_val": X_val, "y_val": y_val}


def data_summary(data):
    """Sizes of the Solver's data dict: one row per split.

    Inputs:
    - data: dict with X_train (N, D), y_train (N,), X_val (M, D), y_val (M,)

    Returns a DataFrame with the columns split ('train', 'val'), poses, features and classes (the
    number of distinct labels). Raises ValueError if a split's X and y differ in length.
    """
    rows = []
    for split in ("train", "val"):
        X, y = np.asarray(data[f"X_{split}"]), np.asarray(data[f"y_{split}"])
        if len(X) != len(y):
            raise ValueError(f"X_{split} has {len(X)} rows but y_{split} has {len(y)} labels")
        rows.append({"split": split, "poses": len(X), "features": X.shape[1], "classes": len(np.unique(y))})
    return pd.DataFrame(rows)


def predict(model, X):
    """Predicted class indices of a model with a CS231n-style loss(X) (scores when y is None): shape (N,)."""
    return np.argmax(model.loss(X), axis=1)


def _summary(solver):
    return {"train_acc": solver.train_acc_history[int(np.argmax(solver.val_acc_history))],
            "val_acc": solver.best_val_acc, "final_loss": solver.loss_history[-1]}


def hyperparameter_search(data, space, num_trials, num_epochs=20, seed=0):
    """Random search over a grid of hyper-parameters of a two-layer net (one hidden layer).

    Inputs:
    - data: the Solver's data dict
    - space: dict with lists of values for learning_rate, lr_decay, batch_size, hidden_dim, weight_scale
    - num_trials: how many distinct grid points to train (all of them if the grid is smaller)
    - num_epochs: epochs per trial
    - seed: seeds the choice of grid points and every trial's training

    Returns a tuple of:
    - table: DataFrame, one row per trial sorted by validation accuracy (best first), with the five
      hyper-parameters, train_acc (at the best validation epoch), val_acc and final_loss
    - best: the Solver of the best trial
    """
    keys = ("learning_rate", "lr_decay", "batch_size", "hidden_dim", "weight_scale")
    missing = [k for k in keys if not space.get(k)]
    if missing or set(space) - set(keys):
        raise ValueError(f"space needs non-empty lists for exactly {', '.join(keys)}; missing or empty: "
                         f"{missing}, unknown: {sorted(set(space) - set(keys))}")
    grid = list(itertools.product(*(space[k] for k in keys)))
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(grid), size=min(num_trials, len(grid)), replace=False)
    rows, solvers = [], []
    for i in chosen:
        params = dict(zip(keys, grid[i], strict=True))
        solver = train_fc(data, [params["hidden_dim"]], learning_rate=params["learning_rate"],
                          lr_decay=params["lr_decay"], batch_size=params["batch_size"],
                          weight_scale=params["weight_scale"], num_epochs=num_epochs, seed=seed)
        rows.append({**params, **_summary(solver)})
        solvers.append(solver)
    table = pd.DataFrame(rows).sort_values("val_acc", ascending=False, kind="stable")
    return table.reset_index(drop=True), solvers[table.index[0]]


def compare_depths(data, depths=(1, 2, 3, 4), hidden_dim=100, **train_kwargs):
    """Train nets with 1..4 hidden layers of the same width and compare their accuracies.

    Inputs:
    - data: the Solver's data dict
    - depths: numbers of hidden layers
    - hidden_dim: width of every hidden layer
    - train_kwargs: passed to train_fc (learning_rate, num_epochs, seed, ...)

    Returns a tuple of:
    - table: DataFrame with hidden_layers, hidden_dims, train_acc, val_acc, final_loss, one row per depth
    - solvers: dict '<depth> hidden' -> trained Solver
    """
    rows, solvers = [], {}
    for depth in depths:
        solver = train_fc(data, [hidden_dim] * depth, **train_kwargs)
        solvers[f"{depth} hidden"] = solver
        rows.append({"hidden_layers": depth, "hidden_dims": str([hidden_dim] * depth), **_summary(solver)})
    return pd.DataFrame(rows), solvers


def gradient_norms_at_init(activations=tuple(ACTIVATIONS), depth=10, width=100, gain=1.0, X=None, y=None,
                           batch_size=64, seed=0):
    """Per-layer gradient norms of a deep fully connected net at initialisation, for several activations.

    The net is {affine - activation} x depth - affine - softmax, weights drawn as
    gain * randn(fan_in, fan_out) / sqrt(fan_in) (the same draws for every activation), biases zero.
    One forward and backward pass on a batch gives ||dL/dW_l|| (Frobenius) for every layer l.

    Inputs:
    - activations: names from ACTIVATIONS ('sigmoid', 'tanh', 'relu', 'linear')
    - depth: number of hidden layers
    - width: units per hidden layer
    - gain: multiplies the 1/sqrt(fan_in) weight scale
    - X, y: a batch of inputs (N, D) and labels (N,) in 0..7; None for a standard normal batch of
      batch_size x 75 with random labels of the 8 classes
    - seed: seeds the weights (and the batch when X is None)

    Returns a DataFrame with the columns activation, layer (1 = nearest the input, depth + 1 = the
    output layer) and grad_norm.
    """
    unknown = [a for a in activations if a not in ACTIVATIONS]
    if unknown:
        raise ValueError(f"unknown activations {unknown}; expected some of {', '.join(ACTIVATIONS)}")
    rng = np.random.default_rng(seed)
    if (X is None) != (y is None):
        raise ValueError("gradient_norms_at_init: give both X and y, or neither")
    if X is None:
        X, y = rng.standard_normal((batch_size, KEYPOINT_DIM)), rng.integers(NUM_CLASSES, size=batch_size)
    dims = [X.shape[1]] + [width] * depth + [NUM_CLASSES]
    weights = [gain * rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
               for fan_in, fan_out in zip(dims[:-1], dims[1:], strict=True)]
    rows = []
    for name in activations:
        forward, backward = ACTIVATIONS[name]
        h, caches = X, []
        for l, W in enumerate(weights):
            h, affine_cache = layers.affine_forward(h, W, np.zeros(W.shape[1]))
            act_cache = None
            if l < depth:
                h, act_cache = forward(h)
            caches.append((affine_cache, act_cache))
        dh = layers.softmax_loss(h, y)[1]
        norms = []
        for l in reversed(range(len(weights))):
            affine_cache, act_cache = caches[l]
            if l < depth:
                dh = backward(dh, act_cache)
            dh, dW, _ = layers.affine_backward(dh, affine_cache)
            norms.append(np.linalg.norm(dW))
        rows += [(name, l + 1, norm) for l, norm in enumerate(reversed(norms))]
    return pd.DataFrame(rows, columns=["activation", "layer", "grad_norm"])


def vertical_edge_response(image, pad=0):
    """Apply the course's vertical edge detector to an image with conv_forward_fast.

    The image is turned to grey levels in [0, 1] (the mean of R, G and B; integer images are divided by
    255, float images are taken as they are) and correlated with VERTICAL_EDGE_KERNEL at stride 1. With
    pad=0 only windows inside the image count, so the response shows the image's own edges; pad=1
    zero-pads the image to keep its size, which paints a false edge along any border that is not black.
    The response is positive where the image gets darker from left to right and negative where it gets
    brighter.

    Inputs:
    - image: array of shape (H, W, 3) or (H, W), integer (0..255, e.g. uint8) or float (0..1)
    - pad: zero padding, 0 or 1

    Returns:
    - response: float64 array of shape (H - 2 + 2 * pad, W - 2 + 2 * pad)
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] != 3):
        raise ValueError(f"vertical_edge_response: need an image of shape (H, W) or (H, W, 3), "
                         f"got {image.shape}")
    if pad not in (0, 1):
        raise ValueError(f"vertical_edge_response: pad must be 0 or 1, got {pad!r}")
    gray = image.mean(axis=2) if image.ndim == 3 else image.astype(np.float64)
    if np.issubdtype(image.dtype, np.integer):
        gray = gray / 255.0
    out, _ = layers.conv_forward_fast(gray[None, None], VERTICAL_EDGE_KERNEL[None, None], np.zeros(1),
                                      {"stride": 1, "pad": pad})
    return out[0, 0]
