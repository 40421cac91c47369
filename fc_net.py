"""A fully connected network of any depth, composed from the layers in layers.py."""
import numpy as np

from layers import (
    affine_backward,
    affine_forward,
    batchnorm_backward,
    batchnorm_forward,
    dropout_backward,
    dropout_forward,
    relu_backward,
    relu_forward,
    softmax_loss,
)


class FullyConnectedNet:
    """A fully connected network with ReLU nonlinearities and a softmax loss.

    The architecture is, for L layers (L - 1 hidden ones):

        {affine - [batch norm] - relu - [dropout]} x (L - 1) - affine - softmax

    Learnable parameters live in self.params: 'W1'..'WL' and 'b1'..'bL', plus 'gamma1'..'gamma{L-1}'
    and 'beta1'..'beta{L-1}' with batch normalization. A two-layer net is FullyConnectedNet([H], ...).
    """

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        """Initialize a new FullyConnectedNet.

        Weights are drawn in the order W1, W2, ... as weight_scale * randn(fan_in, fan_out); biases and
        betas are zero and gammas one.

        Inputs:
        - hidden_dims: A list of integers giving the size of each hidden layer.
        - input_dim: An integer giving the size of the input (features per example).
        - num_classes: An integer giving the number of classes to classify.
        - dropout_keep_ratio: Scalar in (0, 1] giving the probability of KEEPING a unit in dropout;
          1 means no dropout.
        - normalization: None (no normalization) or 'batchnorm'.
        - reg: Scalar giving L2 regularization strength; the loss gets 0.5 * reg * sum(W**2) over
          the weights (not biases, gammas or betas).
        - weight_scale: Scalar giving the standard deviation for random initialization of the weights.
        - dtype: A numpy datatype object; all computations use it. float32 is fast; use float64
          for numeric gradient checking.
        - seed: If None, the weights come from np.random's global state (so np.random.seed(...)
          reproduces the course's published numbers) and dropout masks too. If an integer, the
          weights come from np.random.RandomState(seed) and the dropout layers get this seed, which
          makes them deterministic (the same mask on every call, as gradient checks need; as in the
          course). To train with fresh dropout masks each step, leave seed=None and seed np.random.
        """
        hidden_dims = list(hidden_dims)
        if any(int(h) != h or h < 1 for h in hidden_dims):
            raise ValueError(f"FullyConnectedNet: hidden_dims must be positive integers, got {hidden_dims}")
        if not 0 < dropout_keep_ratio <= 1:
            raise ValueError(f"FullyConnectedNet: dropout_keep_ratio (probability of keeping a unit) "
                             f"must be in (0, 1], got {dropout_keep_ratio}")
        if normalization not in (None, "batchnorm"):
            raise ValueError(f"FullyConnectedNet: normalization must be None or 'batchnorm', "
                             f"got {normalization!r}")
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
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

        # Dropout and batch norm keep their mode (and running statistics) in these dicts.
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "keep_prob": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = []
        if normalization == "batchnorm":
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]

    def _check_input(self, X):
        """Return X as an (N, input_dim) array of self.dtype, or raise a ValueError naming the problem."""
        X = np.asarray(X)
        if X.ndim < 1 or X.shape[0] == 0:
            raise ValueError(f"FullyConnectedNet.loss: X is empty (shape {X.shape}), need >= 1 example")
        if X.ndim != 2:
            X = X.reshape(X.shape[0], -1)
        if X.shape[1] != self.input_dim:
            raise ValueError(f"FullyConnectedNet.loss: X has {X.shape[1]} features per example but the net "
                             f"has input_dim={self.input_dim}")
        if not np.isfinite(X).all():
            row, col = np.argwhere(~np.isfinite(X))[0]
            raise ValueError(f"FullyConnectedNet.loss: X contains NaN or inf (first at X[{row}, {col}] = "
                             f"{X[row, col]})")
        return X.astype(self.dtype, copy=False)

    def loss(self, X, y=None):
        """Compute loss and gradient for the fully connected net.

        Inputs:
        - X: Array of input data of shape (N, d_1, ..., d_k) with d_1 * ... * d_k = input_dim
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
        """
        X = self._check_input(X)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        for bn_param in self.bn_params:
            bn_param["mode"] = mode
        params = self.params
        L = self.num_layers

        out = X
        caches = []
        for l in range(1, L):
            out, affine_cache = affine_forward(out, params[f"W{l}"], params[f"b{l}"])
            bn_cache = dropout_cache = None
            if self.bn_params:
                out, bn_cache = batchnorm_forward(out, params[f"gamma{l}"], params[f"beta{l}"],
                                                  self.bn_params[l - 1])
            out, relu_cache = relu_forward(out)
            if self.use_dropout and mode == "train":
                out, dropout_cache = dropout_forward(out, self.dropout_param)
            caches.append((affine_cache, bn_cache, relu_cache, dropout_cache))
        scores, last_cache = affine_forward(out, params[f"W{L}"], params[f"b{L}"])
        if y is None:
            return scores

        loss, dout = softmax_loss(scores, y)
        grads = {}
        dout, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dout, last_cache)
        for l in range(L - 1, 0, -1):
            affine_cache, bn_cache, relu_cache, dropout_cache = caches[l - 1]
            if dropout_cache is not None:
                dout = dropout_backward(dout, dropout_cache)
            dout = relu_backward(dout, relu_cache)
            if bn_cache is not None:
                dout, grads[f"gamma{l}"], grads[f"beta{l}"] = batchnorm_backward(dout, bn_cache)
            dout, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(dout, affine_cache, input_grad=l > 1)

        if self.reg:
            for l in range(1, L + 1):
                W = params[f"W{l}"]
                loss += 0.5 * self.reg * float(np.vdot(W, W))
                grads[f"W{l}"] += self.reg * W
        return loss, grads
