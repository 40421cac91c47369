"""Layers as pure NumPy functions: forward returns ``(out, cache)``, backward takes ``(dout, cache)``.

Conventions shared by every layer here:
- inputs are never modified (only ``bn_param`` gets its running statistics written back);
- each gradient has exactly the shape and dtype of the array it differentiates;
- a float32 input stays float32 all the way through;
- bad shapes or labels raise a ``ValueError`` that names the layer, the argument and the shapes.
"""
import math

import numpy as np


def _shape_error(layer, message):
    return ValueError(f"{layer}: {message}")


def _require(layer, param, name, keys):
    """Raise ValueError naming the layer unless the dict param (called name) holds every key in keys."""
    missing = [key for key in keys if key not in param]
    if missing:
        raise _shape_error(layer, f"{name} lacks the key(s) {missing}")


def is_count(value, minimum=1):
    """True if value is an integer (a Python or NumPy int, not a bool) of at least minimum."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= minimum


def check_labels(where, y, num_classes, num_examples=None, name="y"):
    """Return y as an array after checking that it holds integer class labels in 0..num_classes-1.

    Shared by softmax_loss, FullyConnectedNet.loss and the Solver's data checks.

    Inputs:
    - where: The name of the caller, for the error messages
    - y: Array-like of labels, of shape (N,)
    - num_classes: C, the number of classes, or None to skip the range check
    - num_examples: If not None, the N that y must have
    - name: How the error messages call y

    Returns:
    - y: y as a numpy array of shape (N,); a ValueError naming the problem is raised otherwise
    """
    y = np.asarray(y)
    if y.ndim != 1 or (num_examples is not None and y.shape[0] != num_examples):
        expected = "(N,)" if num_examples is None else f"({num_examples},)"
        raise _shape_error(where, f"{name} has shape {y.shape}; need shape {expected}, one label per example")
    if y.dtype.kind not in "iu":
        raise _shape_error(where, f"{name} must hold integer labels, got dtype {y.dtype}")
    # Viewed as unsigned, a negative label becomes huge: one reduction checks both ends of 0..C-1.
    if num_classes is not None and y.size and y.view(f"u{y.dtype.itemsize}").max() >= num_classes:
        bad = int(np.flatnonzero((y < 0) | (y >= num_classes))[0])
        raise _shape_error(where, f"{name}[{bad}] = {y[bad]} is outside 0..{num_classes - 1} "
                                  f"({num_classes} classes)")
    return y


def affine_forward(x, w, b):
    """Compute the forward pass for an affine (fully connected) layer.

    The input x has shape (N, d_1, ..., d_k); each example is flattened to a vector of
    D = d_1 * ... * d_k numbers and mapped to M outputs.

    Inputs:
    - x: A numpy array containing input data, of shape (N, d_1, ..., d_k)
    - w: A numpy array of weights, of shape (D, M)
    - b: A numpy array of biases, of shape (M,)

    Returns a tuple of:
    - out: output, of shape (N, M)
    - cache: (x, w) for the backward pass
    """
    if x.ndim < 2 or w.ndim != 2 or b.shape != (w.shape[1],):
        raise _shape_error("affine_forward", f"need x (N, d_1, ..., d_k), w (D, M), b (M,); got "
                                             f"x {x.shape}, w {w.shape}, b {b.shape}")
    features = math.prod(x.shape[1:])
    if features != w.shape[0]:
        raise _shape_error("affine_forward", f"x {x.shape} has {features} features per example "
                                             f"but w {w.shape} expects {w.shape[0]}")
    return affine_forward_unchecked(x, w, b)


def affine_forward_unchecked(x, w, b):
    """affine_forward without checking the shapes, for callers that have (FullyConnectedNet.loss).

    Inputs and returns as affine_forward; shapes that do not fit give NumPy's errors, or for a b
    that broadcasts, a wrong result.
    """
    out = (x if x.ndim == 2 else x.reshape(x.shape[0], -1)) @ w
    out += b
    return out, (x, w)


def affine_backward(dout, cache, *, input_grad=True):
    """Compute the backward pass for an affine (fully connected) layer.

    Inputs:
    - dout: Upstream derivative, of shape (N, M)
    - cache: (x, w) from affine_forward, x of shape (N, d_1, ..., d_k) and w of shape (D, M)
    - input_grad: If False, skip the product for dx and return None in its place (the first
      layer of a network needs no gradient for its data)

    Returns a tuple of:
    - dx: Gradient with respect to x, of shape (N, d_1, ..., d_k)
    - dw: Gradient with respect to w, of shape (D, M)
    - db: Gradient with respect to b, of shape (M,)
    """
    x, w = cache
    _check_dout("affine_backward", dout, (x.shape[0], w.shape[1]))
    return affine_backward_unchecked(dout, cache, input_grad=input_grad)


def affine_backward_unchecked(dout, cache, *, input_grad=True):
    """affine_backward without checking dout's shape, for callers that have (FullyConnectedNet.loss).

    Inputs and returns as affine_backward.
    """
    x, w = cache
    x_flat = x if x.ndim == 2 else x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape) if input_grad else None
    dw = x_flat.T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


# The course calls the same layer "fc"; these are the same function objects, not copies.
fc_forward = affine_forward
fc_backward = affine_backward


def relu_forward(x):
    """Compute the forward pass for a layer of rectified linear units, max(0, x).

    Inputs:
    - x: Inputs, of any shape

    Returns a tuple of:
    - out: Output, of the same shape as x
    - cache: out, for the backward pass
    """
    out = np.maximum(x, 0)
    return out, out


def relu_backward(dout, cache):
    """Compute the backward pass for a layer of ReLUs; the gradient is zero wherever the input was <= 0.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: out from relu_forward, of the same shape as dout

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    out = cache
    _check_dout("relu_backward", dout, out.shape)
    return dout * (out > 0)


def leaky_relu_forward(x, negative_slope=0.01):
    """Compute the forward pass for leaky ReLUs: x where x > 0, negative_slope * x elsewhere.

    Inputs:
    - x: Inputs, of any shape
    - negative_slope: Scalar slope for x <= 0 (default 0.01, as torch.nn.functional.leaky_relu); read
      as a Python float, so a NumPy scalar does not promote a float32 x

    Returns a tuple of:
    - out: Output, of the same shape as x
    - cache: (x, negative_slope), for the backward pass
    """
    negative_slope = float(negative_slope)
    out = np.where(x > 0, x, negative_slope * x)
    return out, (x, negative_slope)


def leaky_relu_backward(dout, cache):
    """Compute the backward pass for leaky ReLUs; the gradient never vanishes (it is >= negative_slope).

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: (x, negative_slope) from leaky_relu_forward

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    x, negative_slope = cache
    _check_dout("leaky_relu_backward", dout, x.shape)
    return np.where(x > 0, dout, negative_slope * dout)


def sigmoid_forward(x):
    """Compute the forward pass for the logistic sigmoid, 1 / (1 + exp(-x)), without overflow.

    Inputs:
    - x: Inputs, of any shape

    Returns a tuple of:
    - out: Output in (0, 1), of the same shape as x
    - cache: out, for the backward pass
    """
    # sigmoid(x) = (1 + tanh(x / 2)) / 2 is exact and never overflows, even at |x| = 1e4.
    out = np.tanh(x * 0.5)
    out += 1
    out *= 0.5
    return out, out


def sigmoid_backward(dout, cache):
    """Compute the backward pass for the sigmoid; its local gradient out * (1 - out) <= 1/4 vanishes.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: out from sigmoid_forward

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    out = cache
    _check_dout("sigmoid_backward", dout, out.shape)
    return dout * out * (1 - out)


def tanh_forward(x):
    """Compute the forward pass for the hyperbolic tangent.

    Inputs:
    - x: Inputs, of any shape

    Returns a tuple of:
    - out: Output in (-1, 1), of the same shape as x
    - cache: out, for the backward pass
    """
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    """Compute the backward pass for tanh; the local gradient 1 - out**2 <= 1 vanishes for large |x|.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: out from tanh_forward

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    out = cache
    _check_dout("tanh_backward", dout, out.shape)
    return dout * (1 - out * out)


def softmax_loss(x, y):
    """Compute the mean softmax cross-entropy loss and its gradient, via a stable log-softmax.

    The scores are shifted by their row maximum and the loss is built from log-probabilities, so
    scores of +-1e4 (in float32 or float64) give a finite loss and gradient. (exp of a very negative
    shifted score underflows to 0, its correct value; NumPy ignores underflow by default.)

    Inputs:
    - x: Input data, of shape (N, C) where x[i, j] is the score for the jth class for the ith input;
      integer scores are computed in float64
    - y: Vector of integer labels, of shape (N,) where 0 <= y[i] < C

    Returns a tuple of:
    - loss: Scalar (python float) giving the mean loss over the N examples
    - dx: Gradient of the loss with respect to x, of shape (N, C), of x's dtype (float64 for integer x)
    """
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[0] == 0:
        raise _shape_error("softmax_loss", f"scores x must have shape (N, C) with N > 0, got {x.shape}")
    if x.dtype.kind in "iu":
        x = x.astype(np.float64)
    elif x.dtype.kind != "f":
        raise _shape_error("softmax_loss", f"scores x must be real numbers, got dtype {x.dtype}")
    y = check_labels("softmax_loss", y, x.shape[1], num_examples=x.shape[0])
    return softmax_loss_unchecked(x, y)


def softmax_loss_unchecked(x, y):
    """softmax_loss without checking its inputs, for callers that have (FullyConnectedNet.loss).

    Inputs:
    - x: Floating-point scores, of shape (N, C) with N > 0
    - y: Integer labels, of shape (N,), each in 0..C-1 (not checked: a label out of range raises
      IndexError or, if negative, silently reads the wrong class)

    Returns a tuple of:
    - loss: Scalar (python float) giving the mean loss over the N examples
    - dx: Gradient of the loss with respect to x, of shape (N, C)
    """
    N = x.shape[0]
    # log p[i, j] = shifted[i, j] - log(sum_j exp(shifted[i, j])), with shifted = x - max_j x[i, j] <= 0.
    shifted = x - x.max(axis=1, keepdims=True)
    rows = np.arange(N)
    correct_shifted = shifted[rows, y]
    dx = np.exp(shifted, out=shifted)
    sum_exp = dx.sum(axis=1, keepdims=True)
    loss = float(np.log(sum_exp).sum() - correct_shifted.sum()) / N
    # dx = (softmax - one_hot(y)) / N
    sum_exp *= N
    dx /= sum_exp
    dx[rows, y] -= 1 / N
    return loss, dx


def dropout_forward(x, dropout_param):
    """Compute the forward pass for inverted dropout.

    In training, each unit is kept with probability keep_prob and scaled by 1 / keep_prob, so that
    the expected output equals x and test mode needs no rescaling. In test mode the layer is the
    exact identity and draws no random numbers.

    Inputs:
    - x: Input data, of any shape
    - dropout_param: A dictionary with the following keys:
      - keep_prob: Probability of KEEPING each unit, in (0, 1]. (The course has used a key 'p' for
        both keeping and dropping in different years; 'p' is refused to avoid that ambiguity.)
      - mode: 'test' or 'train'
      - seed: Optional seed; if given, the mask comes from np.random.RandomState(seed), the same
        mask on every call (what gradient checks need).
      - rng: Optional np.random.RandomState to draw the mask from when there is no seed (a seeded
        FullyConnectedNet passes its own); if neither is given, np.random's global state.

    Returns a tuple of:
    - out: Array of the same shape as x
    - cache: (dropout_param, mask, x.shape); mask (of x's shape and dtype) is None in test mode
    """
    if "p" in dropout_param:
        raise ValueError("dropout_forward: dropout_param has a key 'p', which course years read as keep "
                         "OR drop probability; use 'keep_prob' (the probability of keeping a unit)")
    _require("dropout_forward", dropout_param, "dropout_param", ("keep_prob", "mode"))
    keep_prob = float(dropout_param["keep_prob"])
    mode = dropout_param["mode"]
    if not 0 < keep_prob <= 1:
        raise ValueError(f"dropout_forward: keep_prob must be in (0, 1], got {keep_prob}")
    if mode == "test":
        return x.copy(), (dropout_param, None, x.shape)
    if mode != "train":
        raise ValueError(f"dropout_forward: mode must be 'train' or 'test', got {mode!r}")
    seed = dropout_param.get("seed")
    rng = np.random.RandomState(seed) if seed is not None else dropout_param.get("rng") or np.random
    mask = (rng.random_sample(x.shape) < keep_prob).astype(x.dtype)
    mask /= keep_prob
    return x * mask, (dropout_param, mask, x.shape)


def dropout_backward(dout, cache):
    """Compute the backward pass for inverted dropout.

    Inputs:
    - dout: Upstream derivatives, of any shape
    - cache: (dropout_param, mask, x_shape) from dropout_forward

    Returns:
    - dx: Gradient with respect to x, of the same shape as dout
    """
    _, mask, x_shape = cache
    _check_dout("dropout_backward", dout, x_shape)
    if mask is None:
        return dout.copy()
    return dout * mask


def batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass for batch normalization.

    In training, each feature is normalized with the minibatch mean and (biased) variance, and the
    running averages are updated as
        running_mean = momentum * running_mean + (1 - momentum) * sample_mean
        running_var = momentum * running_var + (1 - momentum) * sample_var
    At test time the running averages normalize the data instead.

    Inputs:
    - x: Data of shape (N, D)
    - gamma: Scale parameter of shape (D,)
    - beta: Shift parameter of shape (D,)
    - bn_param: Dictionary with the following keys:
      - mode: 'train' or 'test'; required
      - eps: Constant for numeric stability (default 1e-5)
      - momentum: Constant for running mean / variance (default 0.9)
      - running_mean: Array of shape (D,) giving running mean of features (default zeros)
      - running_var: Array of shape (D,) giving running variance of features (default ones)
      running_mean and running_var are written back into bn_param, in x's dtype. eps and momentum
      are read as Python floats, so NumPy scalars do not promote a float32 x.

    Returns a tuple of:
    - out: of shape (N, D)
    - cache: (x_hat, gamma, inv_std, mode) for the backward pass: x_hat (N, D), inv_std (D,)
    """
    if x.ndim != 2 or gamma.shape != (x.shape[1],) or beta.shape != (x.shape[1],):
        raise _shape_error("batchnorm_forward", f"need x (N, D), gamma (D,), beta (D,); got x {x.shape}, "
                                                f"gamma {gamma.shape}, beta {beta.shape}")
    _require("batchnorm_forward", bn_param, "bn_param", ("mode",))
    mode = bn_param["mode"]
    eps = float(bn_param.get("eps", 1e-5))
    momentum = float(bn_param.get("momentum", 0.9))
    D = x.shape[1]
    running_mean = np.asarray(bn_param.get("running_mean", np.zeros(D)), dtype=x.dtype)
    running_var = np.asarray(bn_param.get("running_var", np.ones(D)), dtype=x.dtype)
    if mode == "train":
        if x.shape[0] < 2:
            raise _shape_error("batchnorm_forward", f"training needs at least 2 examples, got x {x.shape}")
        mean = x.mean(axis=0)
        centered = x - mean
        var = np.einsum("ij,ij->j", centered, centered) / x.shape[0]
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mean
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        centered = x - running_mean
        var = running_var
        bn_param["running_mean"], bn_param["running_var"] = running_mean, running_var
    else:
        raise ValueError(f"batchnorm_forward: mode must be 'train' or 'test', got {mode!r}")
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = centered * inv_std
    out = x_hat * gamma
    out += beta
    return out, (x_hat, gamma, inv_std, mode)


def batchnorm_backward(dout, cache):
    """Backward pass for batch normalization (through the batch statistics in training mode).

    Inputs:
    - dout: Upstream derivatives, of shape (N, D)
    - cache: (x_hat, gamma, inv_std, mode) from batchnorm_forward

    Returns a tuple of:
    - dx: Gradient with respect to inputs x, of shape (N, D)
    - dgamma: Gradient with respect to scale parameter gamma, of shape (D,)
    - dbeta: Gradient with respect to shift parameter beta, of shape (D,)
    """
    x_hat, gamma, inv_std, mode = cache
    _check_dout("batchnorm_backward", dout, x_hat.shape)
    dbeta = dout.sum(axis=0)
    dgamma = np.einsum("ij,ij->j", dout, x_hat)
    scale = gamma * inv_std
    if mode == "test":
        return dout * scale, dgamma, dbeta
    N = dout.shape[0]
    # dx = gamma / std * (dout - mean(dout) - x_hat * mean(dout * x_hat))
    dx = dout - (dbeta / N + x_hat * (dgamma / N))
    dx *= scale
    return dx, dgamma, dbeta


# --- Convolution and pooling (cross-correlation, as in CS231n and torch.nn.functional.conv2d) ---
# Dtypes: the forward output has np.result_type of the inputs (x, w, b; x for pooling); every gradient
# has the dtype of the array it differentiates (dx of x, dw of w, db of b), whatever dout's dtype. It is
# accumulated in the wider of the types involved and cast once at the end.


def _window_count(layer, axis, size, window, stride, pad=None):
    """Number of window positions along one axis; raises ValueError unless the windows tile it exactly.

    pad is the zero padding of a convolution, None for pooling (which has none).
    """
    padded = pad is not None
    pad = pad if padded else 0
    if not is_count(stride) or (padded and not is_count(pad, 0)):
        rule, got = "stride must be an integer >= 1", f"stride={stride!r}"
        if padded:
            rule, got = f"{rule} and pad an integer >= 0", f"{got}, pad={pad!r}"
        raise _shape_error(layer, f"{rule}, got {got}")
    span = size + 2 * pad - window
    if span < 0 or span % stride:
        where = f"{axis} {size} with pad {pad}" if padded else f"{axis} {size}"
        formula = f"{axis} + 2*pad - window" if padded else f"{axis} - window"
        raise _shape_error(layer, f"{where} is not tiled exactly by windows of {window} at stride {stride}: "
                                  f"{formula} = {span} must be a non-negative multiple of the stride")
    return 1 + span // stride


def _conv_shapes(layer, x, w, b, conv_param):
    """Validate the inputs of a conv layer; returns (stride, pad, H_out, W_out)."""
    _require(layer, conv_param, "conv_param", ("pad", "stride"))
    if x.ndim != 4 or w.ndim != 4 or x.shape[1] != w.shape[1] or b.shape != (w.shape[0],):
        raise _shape_error(layer, f"need x (N, C, H, W), w (F, C, HH, WW), b (F,); got "
                                  f"x {x.shape}, w {w.shape}, b {b.shape}")
    stride, pad = conv_param["stride"], conv_param["pad"]
    H_out = _window_count(layer, "height", x.shape[2], w.shape[2], stride, pad)
    W_out = _window_count(layer, "width", x.shape[3], w.shape[3], stride, pad)
    return stride, pad, H_out, W_out


def _check_dout(layer, dout, shape):
    """Raise ValueError unless the upstream gradient has the shape of the layer's output."""
    if dout.shape != shape:
        raise _shape_error(layer, f"dout has shape {dout.shape} but the forward output had {shape}")


def _pool_shapes(layer, x, pool_param):
    """Validate the inputs of a max-pool layer; returns (pool_height, pool_width, stride, H_out, W_out)."""
    _require(layer, pool_param, "pool_param", ("pool_height", "pool_width", "stride"))
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    if x.ndim != 4 or not all(is_count(v) for v in (ph, pw)):
        raise _shape_error(layer, f"need x (N, C, H, W) and integer pool sizes >= 1; got x {x.shape}, "
                                  f"pool_height={ph!r}, pool_width={pw!r}")
    H_out = _window_count(layer, "height", x.shape[2], ph, stride)
    W_out = _window_count(layer, "width", x.shape[3], pw, stride)
    return ph, pw, stride, H_out, W_out


def conv_forward_naive(x, w, b, conv_param):
    """Forward pass of a convolutional layer (cross-correlation), with explicit loops.

    The input has N data points, each with C channels, height H and width W. Each of the F filters
    spans all C channels and has height HH and width WW. The input is zero-padded by 'pad' pixels
    on every side of both spatial axes.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - w: Filter weights of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - conv_param: A dictionary with the following keys:
      - 'stride': The number of pixels between adjacent receptive fields in the
        horizontal and vertical directions.
      - 'pad': The number of pixels that will be used to zero-pad the input.

    The output size is H' = 1 + (H + 2 * pad - HH) / stride and W' = 1 + (W + 2 * pad - WW) / stride;
    a ValueError is raised when either division is not exact.

    Returns a tuple of:
    - out: Output data, of shape (N, F, H', W'), dtype np.result_type(x, w, b)
    - cache: (x, w, b, conv_param)
    """
    stride, pad, H_out, W_out = _conv_shapes("conv_forward_naive", x, w, b, conv_param)
    N, F, HH, WW = x.shape[0], w.shape[0], w.shape[2], w.shape[3]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w, b))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    """Backward pass of a convolutional layer, with explicit loops.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H', W')
    - cache: A tuple of (x, w, b, conv_param) as in conv_forward_naive

    Returns a tuple of (each with the dtype of the array it differentiates):
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    - dw: Gradient with respect to w, of shape (F, C, HH, WW)
    - db: Gradient with respect to b, of shape (F,)
    """
    x, w, b, conv_param = cache
    stride, pad, H_out, W_out = _conv_shapes("conv_backward_naive", x, w, b, conv_param)
    N, F, HH, WW = x.shape[0], w.shape[0], w.shape[2], w.shape[3]
    H, W = x.shape[2], x.shape[3]
    _check_dout("conv_backward_naive", dout, (N, F, H_out, W_out))
    dtype = np.result_type(dout, x, w)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros(xp.shape, dtype=dtype)
    dw = np.zeros(w.shape, dtype=dtype)
    db = dout.sum(axis=(0, 2, 3), dtype=np.result_type(dout, b)).astype(b.dtype, copy=False)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    rows = slice(i * stride, i * stride + HH)
                    cols = slice(j * stride, j * stride + WW)
                    dw[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += dout[n, f, i, j] * w[f]
    return dxp[:, :, pad:pad + H, pad:pad + W].astype(x.dtype), dw.astype(w.dtype, copy=False), db


def max_pool_forward_naive(x, pool_param):
    """Forward pass of a max-pooling layer, with explicit loops.

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - pool_param: dictionary with the following keys:
      - 'pool_height': The height of each pooling region
      - 'pool_width': The width of each pooling region
      - 'stride': The distance between adjacent pooling regions

    No padding. H' = 1 + (H - pool_height) / stride and W' = 1 + (W - pool_width) / stride; a
    ValueError is raised when either division is not exact (no input row or column is silently dropped).

    Returns a tuple of:
    - out: Output data, of shape (N, C, H', W')
    - cache: (x, pool_param)
    """
    ph, pw, stride, H_out, W_out = _pool_shapes("max_pool_forward_naive", x, pool_param)
    N, C = x.shape[:2]
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, c, i, j] = np.max(x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw])
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    """Backward pass of a max-pooling layer, with explicit loops.

    Each window passes its upstream gradient to its maximum; on ties, to the first maximum in
    row-major order (as PyTorch does). Where windows overlap, the gradients add up.

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - cache: A tuple of (x, pool_param) as in max_pool_forward_naive

    Returns:
    - dx: Gradient with respect to x, of shape (N, C, H, W), with x's dtype
    """
    x, pool_param = cache
    ph, pw, stride, H_out, W_out = _pool_shapes("max_pool_backward_naive", x, pool_param)
    N, C = x.shape[:2]
    _check_dout("max_pool_backward_naive", dout, (N, C, H_out, W_out))
    dx = np.zeros(x.shape, dtype=np.result_type(dout, x))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    r, s = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + r, j * stride + s] += dout[n, c, i, j]
    return dx.astype(x.dtype, copy=False)


def _windows(x, HH, WW, stride):
    """Strided view of every (HH, WW) window over the last two axes of x (..., H, W).

    Returns a read-only view of shape (..., H', W', HH, WW); nothing is copied.
    """
    view = np.lib.stride_tricks.sliding_window_view(x, (HH, WW), axis=(-2, -1))
    return view[..., ::stride, ::stride, :, :]


def _window_slices(size, window, stride, pad, out_size):
    """Pair, for each kernel offset (r, s), the output positions with the input pixels they read there.

    Window (i, j) covers the input pixels (i * stride + r - pad, j * stride + s - pad); the positions
    whose pixel lies in the zero padding are left out, so no padded copy of the input is needed.

    Inputs:
    - size: (H, W) of the input; window: (HH, WW); stride, pad: as in conv_param; out_size: (H', W')

    Returns a list of (r, s, out_rows, out_cols, in_rows, in_cols), the last four being slices.
    """
    def axis(offset, n_in, n_out):
        lo = max(0, -(-(pad - offset) // stride))            # first output reading a real pixel
        hi = min(n_out, (n_in - 1 + pad - offset) // stride + 1)
        start = lo * stride + offset - pad
        return (slice(lo, hi), slice(start, start + stride * (hi - lo - 1) + 1, stride)) if hi > lo else None

    pairs = []
    for r in range(window[0]):
        for s in range(window[1]):
            rows, cols = axis(r, size[0], out_size[0]), axis(s, size[1], out_size[1])
            if rows and cols:
                pairs.append((r, s, rows[0], cols[0], rows[1], cols[1]))
    return pairs


def _im2col(x, cols, slices):
    """Copy the windows of x (..., H, W) into zeroed cols (..., HH, WW, H', W'): cols[..., r, s, i, j] is
    the pixel at offset (r, s) of window (i, j). slices come from _window_slices."""
    for r, s, out_rows, out_cols, in_rows, in_cols in slices:
        cols[..., r, s, out_rows, out_cols] = x[..., in_rows, in_cols]


def _col2im(dcols, dx, slices):
    """Adjoint of _im2col: add dcols (..., HH, WW, H', W') onto dx (..., H, W) in place, one vectorised
    strided add per kernel offset, so overlapping windows accumulate."""
    for r, s, out_rows, out_cols, in_rows, in_cols in slices:
        dx[..., in_rows, in_cols] += dcols[..., r, s, out_rows, out_cols]


def conv_forward_fast(x, w, b, conv_param):
    """Vectorised forward pass of a convolutional layer: im2col and one matrix product per image.

    Same contract and same numbers as conv_forward_naive. Each image's columns are built (no padded
    copy of x: _window_slices leaves the padding out) and multiplied while they are still in cache; the
    products land directly in the (N, F, H' * W') output, so no transpose is copied.

    Inputs:
    - x: Input data of shape (N, C, H, W)
    - w: Filter weights of shape (F, C, HH, WW)
    - b: Biases, of shape (F,)
    - conv_param: A dictionary with the keys 'stride' and 'pad' (see conv_forward_naive)

    Returns a tuple of:
    - out: Output data, of shape (N, F, H', W'), dtype np.result_type(x, w, b)
    - cache: (x, w, b, conv_param, cols), cols being the im2col array of shape (N, C, HH, WW, H', W')
      (dtype of x)
    """
    stride, pad, H_out, W_out = _conv_shapes("conv_forward_fast", x, w, b, conv_param)
    (N, C, H, W), (F, _, HH, WW) = x.shape, w.shape
    slices = _window_slices((H, W), (HH, WW), stride, pad, (H_out, W_out))
    cols = np.zeros((N, C, HH, WW, H_out, W_out), dtype=x.dtype)
    out = np.empty((N, F, H_out * W_out), dtype=np.result_type(x, w, b))
    w_rows = w.reshape(F, C * HH * WW)
    for n in range(N):
        _im2col(x[n], cols[n], slices)
        np.matmul(w_rows, cols[n].reshape(C * HH * WW, H_out * W_out), out=out[n])
    out += b[:, None]
    return out.reshape(N, F, H_out, W_out), (x, w, b, conv_param, cols)


def conv_backward_fast(dout, cache):
    """Vectorised backward pass of a convolutional layer: matrix products and col2im, image by image.

    Inputs:
    - dout: Upstream derivatives, of shape (N, F, H', W')
    - cache: A tuple of (x, w, b, conv_param, cols) as in conv_forward_fast

    Returns a tuple of (each with the dtype of the array it differentiates):
    - dx: Gradient with respect to x, of shape (N, C, H, W)
    - dw: Gradient with respect to w, of shape (F, C, HH, WW)
    - db: Gradient with respect to b, of shape (F,)
    """
    x, w, b, conv_param, cols = cache
    stride, pad, H_out, W_out = _conv_shapes("conv_backward_fast", x, w, b, conv_param)
    (N, C, H, W), (F, _, HH, WW) = x.shape, w.shape
    _check_dout("conv_backward_fast", dout, (N, F, H_out, W_out))
    K, P = C * HH * WW, H_out * W_out
    dout_rows = dout.reshape(N, F, P)
    db = dout.sum(axis=(0, 2, 3), dtype=np.result_type(dout, b)).astype(b.dtype, copy=False)
    dw = np.matmul(dout_rows, cols.reshape(N, K, P).transpose(0, 2, 1)).sum(axis=0)
    w_cols = w.reshape(F, K).T
    slices = _window_slices((H, W), (HH, WW), stride, pad, (H_out, W_out))
    dx = np.zeros(x.shape, dtype=np.result_type(dout, w))
    for n in range(N):  # each image's column gradients are added back while they are in cache
        _col2im((w_cols @ dout_rows[n]).reshape(C, HH, WW, H_out, W_out), dx[n], slices)
    return dx.astype(x.dtype, copy=False), dw.reshape(w.shape).astype(w.dtype, copy=False), db


def max_pool_forward_fast(x, pool_param):
    """Vectorised forward pass of a max-pooling layer over a strided window view.

    Same contract and same numbers as max_pool_forward_naive.

    Inputs:
    - x: Input data, of shape (N, C, H, W)
    - pool_param: dictionary with the keys 'pool_height', 'pool_width' and 'stride'

    Returns a tuple of:
    - out: Output data, of shape (N, C, H', W')
    - cache: (x.shape, x.dtype, argmax, pool_param), argmax of shape (N, C, H', W') holding the
      row-major position of each window's first maximum
    """
    ph, pw, stride, H_out, W_out = _pool_shapes("max_pool_forward_fast", x, pool_param)
    flat = _windows(x, ph, pw, stride).reshape(*x.shape[:2], H_out, W_out, ph * pw)
    argmax = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, argmax[..., None], axis=-1)[..., 0]
    return out, (x.shape, x.dtype, argmax, pool_param)


def max_pool_backward_fast(dout, cache):
    """Vectorised backward pass of a max-pooling layer (same routing as max_pool_backward_naive).

    Inputs:
    - dout: Upstream derivatives, of shape (N, C, H', W')
    - cache: A tuple of (x_shape, x_dtype, argmax, pool_param) as in max_pool_forward_fast

    Returns:
    - dx: Gradient with respect to x, of shape (N, C, H, W), with x's dtype
    """
    x_shape, x_dtype, argmax, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    _check_dout("max_pool_backward_fast", dout, argmax.shape)
    dflat = np.zeros((*argmax.shape, ph * pw), dtype=np.result_type(dout, x_dtype))
    np.put_along_axis(dflat, argmax[..., None], dout[..., None], axis=-1)
    dx = np.zeros(x_shape, dtype=dflat.dtype)
    slices = _window_slices(x_shape[2:], (ph, pw), stride, 0, argmax.shape[2:])
    _col2im(dflat.reshape(*argmax.shape, ph, pw).transpose(0, 1, 4, 5, 2, 3), dx, slices)
    return dx.astype(x_dtype, copy=False)
