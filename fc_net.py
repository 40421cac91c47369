"""A fully connected network of any depth, composed from the layers in layers.py.

loss() checks its input once and then runs the layers through their *_unchecked variants (the same
code without the per-call shape checks); ReLU is applied in place to the net's own intermediate
arrays (never to the caller's X).
"""
import numpy as np

from layers import (
    affine_backward_unchecked,
    affine_forward_unchecked,
    batchnorm_backward,
    batchnorm_forward,
    check_labels,
    dropout_backward,
    dropout_forward,
    is_count,
    softmax_loss_unchecked,
)


class FullyConnectedNet:
    """A fully connected network with ReLU nonlinearities and a softmax loss.

    The architecture is, for L layers (L - 1 hidden ones):

        {affine - [batch norm] - relu - [dropout]} x (L - 1) - affine - softmax

    Learnable parameters live in self.params: 'W1'..'WL' and 'b1'..'bL', plus 'gamma1'..'gamma{L-1}'
    and 'beta1'..'beta{L-1}' with batch normalization. A two-layer net is FullyConnectedNet([H], ...).
    Dropout and batch norm keep their mode in self.dropout_param and self.bn_params (one dict per
    hidden layer, holding the running statistics), as in the course.
    """

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        """Initialize a new FullyConnectedNet.

        Weights are drawn in the order W1, W2, ... as weight_scale * randn(fan_in, fan_out); biases and
        betas are zero and gammas one.

        Inputs:
        - hidden_dims: A list of integers giving the size of each hidden layer.
        - input_dim: An integer giving the size of the input (features per example), >= 1.
        - num_classes: An integer giving the number of classes to classify, >= 2.
        - dropout_keep_ratio: Scalar in (0, 1] giving the probability of KEEPING a unit in dropout;
          1 means no dropout.
        - normalization: None (no normalization) or 'batchnorm'.
        - reg: Scalar >= 0 giving L2 regularization strength; the loss gets 0.5 * reg * sum(W**2) over
          the weights (not biases, gammas or betas).
        - weight_scale: Scalar giving the standard deviation for random initialization of the weights.
        - dtype: A numpy floating-point datatype; all computations use it. float32 is fast; use float64
          for numeric gradient checking.
        - seed: If None, the weights and the dropout masks come from np.random's global state (so
          np.random.seed(...) reproduces the course's published numbers). If an integer, both come
          from the net's own np.random.RandomState(seed) (kept in dropout_param['rng']): the same seed
          gives the same weights and the same sequence of masks, a fresh mask for every layer on every
          training pass, and np.random is left alone. For fixed masks (gradient checks), set
          dropout_param['seed'] = s: hidden layer l then uses the seed s + l - 1 on every pass.
        """
        hidden_dims = list(hidden_dims)
        if not all(is_count(h) for h in hidden_dims):
            raise ValueError(f"FullyConnectedNet: hidden_dims must be positive integers, got {hidden_dims}")
        if not is_count(input_dim):
            raise ValueError(f"FullyConnectedNet: input_dim must be a positive integer, got {input_dim!r}")
        if not is_count(num_classes, 2):
            raise ValueError(f"FullyConnectedNet: num_classes must be an integer >= 2 (a softmax over one "
                             f"class has loss 0), got {num_classes!r}")
        if np.dtype(dtype).kind != "f":
            raise ValueError(f"FullyConnectedNet: dtype must be a floating-point type such as np.float32 "
                             f"or np.float64, got {np.dtype(dtype)}")
        if not 0 < dropout_keep_ratio <= 1:
            raise ValueError(f"FullyConnectedNet: dropout_keep_ratio (probability of keeping a unit) "
                             f"must be in (0, 1], got {dropout_keep_ratio}")
        if normalization not in (None, "batchnorm"):
            raise ValueError(f"FullyConnectedNet: normalization must be None or 'batchnorm', "
                             f"got {normalization!r}")
        if not reg >= 0:
            raise ValueError(f"FullyConnectedNet: reg must be >= 0, got {reg}")
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = float(reg)
        self.num_layers = 1 + len(hidden_dims)
        self.input_dim = input_dim
        self.num_classes = num_classes
        self.dtype = dtype

        rng = np.random if seed is None else np.random.RandomState(seed)
        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for l, (fan_in, fan_out) in enumerate(zip(dims[:-1], dims[1:], strict=True), start=1):
            self.params[f"W{l}"] = (weight_scale * rng.randn(fan_in, fan_out)).astype(dtype)
            self.params[f"b{l}"] = np.zeros(fan_out, dtype=dtype)
            if normalization == "batchnorm" and l < self.num_layers:
                self.params[f"gamma{l}"] = np.ones(fan_out, dtype=dtype)
                self.params[f"beta{l}"] = np.zeros(fan_out, dtype=dtype)
        self._shapes = {name: value.shape for name, value in self.params.items()}  # loss() checks them
        # The parameter names, built once rather than on every pass: (W, b, gamma, beta) of each hidden
        # layer, and (W, b) of the output layer.
        self._hidden_names = [(f"W{l}", f"b{l}", f"gamma{l}", f"beta{l}") for l in range(1, self.num_layers)]
        self._output_names = (f"W{self.num_layers}", f"b{self.num_layers}")

        # Dropout and batch norm keep their mode (and running statistics) in these dicts.
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "keep_prob": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["rng"] = rng  # the masks continue the weights' stream
        self.bn_params = []
        if normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]

    def _check_input(self, X):
        """Return X as an (N, input_dim) array of self.dtype, or raise a ValueError naming the problem."""
        X = np.asarray(X)
        if X.ndim < 2:
            raise ValueError(f"FullyConnectedNet.loss: X must have shape (N, d_1, ..., d_k), one row per "
                             f"example; got shape {X.shape} (for a single example x, pass x[None])")
        if X.shape[0] == 0:
            raise ValueError(f"FullyConnectedNet.loss: X is empty (shape {X.shape}), need >= 1 example")
        if X.ndim != 2:
            X = X.reshape(X.shape[0], -1)
        if X.shape[1] != self.input_dim:
            raise ValueError(f"FullyConnectedNet.loss: X has {X.shape[1]} features per example but the net "
                             f"has input_dim={self.input_dim}")
        with np.errstate(over="ignore"):  # overflow gives inf, reported just below
            cast = X.astype(self.dtype, copy=False)
        if not np.isfinite(cast).all():  # checked after the cast, which can overflow (1e39 in float32)
            row, col = np.argwhere(~np.isfinite(cast))[0]
            dtype = np.dtype(self.dtype)
            detail = "" if cast is X else f", {X[row, col].item()!r} before the cast to {dtype}"
            raise ValueError(f"FullyConnectedNet.loss: X contains NaN or inf (first at X[{row}, {col}] = "
                             f"{cast[row, col]}{detail})")
        return cast

    def _check_params(self):
        """Raise a ValueError unless self.params has the names and shapes given at construction."""
        if self.params.keys() != self._shapes.keys():
            raise ValueError(f"FullyConnectedNet.loss: params has the keys {sorted(self.params)}, expected "
                             f"{sorted(self._shapes)}")
        for name, shape in self._shapes.items():
            if np.shape(self.params[name]) != shape:
                raise ValueError(f"FullyConnectedNet.loss: params['{name}'] has shape "
                                 f"{np.shape(self.params[name])}, expected {shape}")

    def loss(self, X, y=None):
        """Compute loss and gradient for the fully connected net, after validating X, y and the params.

        Inputs:
        - X: Array of input data of shape (N, d_1, ..., d_k) with d_1 * ... * d_k = input_dim; it is
          cast to self.dtype and must then be finite
        - y: Array of integer labels, of shape (N,); y[i] gives the label for X[i], 0 <= y[i] < C.

        Returns:
        If y is None, run a test-time forward pass (dropout off, batch norm on running statistics) and
        return:
        - scores: Array of shape (N, C) giving classification scores, where scores[i, c] is the
          classification score for X[i] and class c.

        If y is not None, run a training-time forward and backward pass and return a tuple of:
        - loss: Scalar value giving the loss
        - grads: Dictionary with the same keys as self.params, mapping parameter names to gradients
          of the loss with respect to those parameters (each of the parameter's shape).
        Bad input (or a parameter of the wrong shape) raises a ValueError naming the problem.
        """
        self._check_params()
        X = self._check_input(X)
        if y is not None:
            y = check_labels("FullyConnectedNet.loss", y, self.num_classes, num_examples=X.shape[0])
        return self.loss_unchecked(X, y)

    def loss_unchecked(self, X, y=None):
        """Compute what loss(X, y) computes, without validating X and y.

        The fast path for data validated once beforehand: the Solver checks its whole training set
        (dtype, finiteness, labels) when it is constructed and calls this for every minibatch. Input
        (or parameters) that loss() would refuse give an unhelpful error or a wrong result here: the
        layers are called through their *_unchecked variants.

        Inputs:
        - X: A finite array of self.dtype, of shape (N, d_1, ..., d_k) with d_1 * ... * d_k = input_dim
        - y: None, or integer labels of shape (N,), each in 0..C-1

        Returns:
        - As loss: the scores (N, C) if y is None, else a tuple of (loss, grads).
        """
        train = y is not None
        mode = "train" if train else "test"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        bn_params = self.bn_params
        for bn_param in bn_params:
            bn_param["mode"] = mode
        dropout_params = self._dropout_params() if train and self.use_dropout else None
        params = self.params

        out = X
        caches = []
        for l, (W, b, gamma, beta) in enumerate(self._hidden_names):
            out, affine_cache = affine_forward_unchecked(out, params[W], params[b])
            bn_cache = dropout_cache = None
            if bn_params:
                out, bn_cache = batchnorm_forward(out, params[gamma], params[beta], bn_params[l])
            # relu_forward, in place: out is this method's own new array, which no cache refers to.
            relu_out = np.maximum(out, 0, out=out)
            if dropout_params:
                out, dropout_cache = dropout_forward(out, dropout_params[l])
            caches.append((affine_cache, bn_cache, relu_out, dropout_cache))
        W, b = self._output_names
        scores, last_cache = affine_forward_unchecked(out, params[W], params[b])
        if not train:
            return scores

        loss, dout = softmax_loss_unchecked(scores, y)
        grads = {}
        dout, grads[W], grads[b] = affine_backward_unchecked(dout, last_cache)
        for l in range(len(caches) - 1, -1, -1):
            W, b, gamma, beta = self._hidden_names[l]
            affine_cache, bn_cache, relu_out, dropout_cache = caches[l]
            if dropout_cache is not None:
                dout = dropout_backward(dout, dropout_cache)
            # relu_backward, in place: dout is a new array from the layer above.
            dout *= relu_out > 0
            if bn_cache is not None:
                dout, grads[gamma], grads[beta] = batchnorm_backward(dout, bn_cache)
            dout, grads[W], grads[b] = affine_backward_unchecked(dout, affine_cache, input_grad=l > 0)

        if self.reg:
            for l in range(1, self.num_layers + 1):
                w = params[f"W{l}"]
                loss += 0.5 * self.reg * float(np.vdot(w, w))
                grads[f"W{l}"] += self.reg * w
        return loss, grads

    def _dropout_params(self):
        """Return the dropout_param of each hidden layer for one training pass (a list of L - 1 dicts).

        Without dropout_param['seed'], every layer shares self.dropout_param, and the masks come one
        after the other from dropout_param['rng'] (a seeded net) or np.random: each layer and each
        pass gets a fresh mask. With dropout_param['seed'] = s, layer l gets the seed s + l - 1.
        """
        seed = self.dropout_param.get("seed")
        if seed is None:
            return [self.dropout_param] * (self.num_layers - 1)
        return [dict(self.dropout_param, seed=seed + l) for l in range(self.num_layers - 1)]
