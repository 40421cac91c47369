"""Numerical gradients by centered differences, and the relative error used to compare gradients.

Every probe steps one entry of ``x`` by +-h in place and restores it afterwards, so ``x`` must be a
floating-point array (an integer array would truncate the step to zero) and should be float64:
with float32 rounding, h = 1e-5 swamps the difference.
"""
import numpy as np


def _check_float(x, caller):
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        kind = type(x).__name__ if not isinstance(x, np.ndarray) else f"array of dtype {x.dtype}"
        raise TypeError(f"{caller}: x must be a floating-point numpy array (the +-h step would be "
                        f"truncated otherwise), got {kind}; use x.astype(np.float64)")


def _probe(f, x, ix, h):
    """Return copies of f(x) with x[ix] stepped by +h and by -h; x[ix] is restored afterwards."""
    old_value = x[ix]
    try:
        x[ix] = old_value + h
        pos = np.array(f(x), copy=True)
        x[ix] = old_value - h
        neg = np.array(f(x), copy=True)
    finally:
        x[ix] = old_value
    return pos, neg


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """Evaluate the numerical gradient of a scalar function f at x by centered differences.

    Inputs:
    - f: A function that takes a single argument (x, which it may read in place) and returns a scalar
    - x: A floating-point numpy array of any shape, the point at which to evaluate the gradient
    - verbose: If True, print each index and its gradient entry
    - h: Step size

    Returns:
    - grad: Numerical gradient of f at x, of the same shape as x
    """
    _check_float(x, "eval_numerical_gradient")
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        fxph, fxmh = _probe(f, x, ix, h)
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Evaluate the numerical gradient of an array-valued function f at x, contracted with df.

    Inputs:
    - f: A function that takes a single argument x and returns a numpy array
    - x: A floating-point numpy array of any shape, the point at which to evaluate the gradient
    - df: Upstream gradient, of the shape of f(x)
    - h: Step size

    Returns:
    - grad: Numerical gradient of sum(f(x) * df) at x, of the same shape as x

    A df whose shape is not that of f(x) raises ValueError (broadcasting would hide the mistake).
    """
    _check_float(x, "eval_numerical_gradient_array")
    grad = np.zeros_like(x)
    for ix in np.ndindex(x.shape):
        pos, neg = _probe(f, x, ix, h)
        if pos.shape != np.shape(df):
            raise ValueError(f"eval_numerical_gradient_array: df has shape {np.shape(df)} but f(x) has "
                             f"{pos.shape}")
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=0):
    """Compare the analytic gradient with numerical ones at a few random entries of x.

    The entries are drawn with np.random.RandomState(seed), so the same call checks the same entries.

    Inputs:
    - f: A function that takes a single argument x and returns a scalar
    - x: A floating-point numpy array of any shape
    - analytic_grad: The analytic gradient of f at x, of the same shape as x
    - num_checks: Number of random entries to check
    - h: Step size
    - seed: Seed for choosing the entries

    Returns:
    - rel_errors: Array of shape (num_checks,) with the relative error at each checked entry
      (each check is also printed, as in the course)
    """
    _check_float(x, "grad_check_sparse")
    if analytic_grad.shape != x.shape:
        raise ValueError(f"grad_check_sparse: analytic_grad has shape {analytic_grad.shape}, x has {x.shape}")
    rng = np.random.RandomState(seed)
    rel_errors = np.empty(num_checks)
    for i in range(num_checks):
        ix = tuple(int(rng.randint(m)) for m in x.shape)
        fxph, fxmh = _probe(f, x, ix, h)
        grad_numerical = float(fxph - fxmh) / (2 * h)
        grad_analytic = analytic_grad[ix]
        rel_errors[i] = rel_error(grad_numerical, grad_analytic)
        print(f"numerical: {grad_numerical:f} analytic: {grad_analytic:f}, relative error: {rel_errors[i]:e}")
    return rel_errors


def rel_error(x, y):
    """Return the largest elementwise relative error |x - y| / max(1e-8, |x| + |y|).

    Inputs:
    - x, y: Numbers or numpy arrays of the same shape

    Returns:
    - error: A python float
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error: shapes differ, {x.shape} vs {y.shape}")
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))
