"""gradient_check.py: known gradients, x restored after probing, reproducible sparse checks, bad input."""
import numpy as np
import pytest

from gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)


def test_eval_numerical_gradient_of_a_known_function():
    x = np.random.RandomState(0).randn(3, 4)
    x_saved = x.copy()
    grad = eval_numerical_gradient(lambda v: np.sum(v**3), x, verbose=False)
    np.testing.assert_allclose(grad, 3 * x_saved**2, rtol=1e-8)
    np.testing.assert_array_equal(x, x_saved)  # every probe restored


def test_eval_numerical_gradient_verbose_prints_each_index(capsys):
    eval_numerical_gradient(lambda v: float(v.sum()), np.zeros(2))
    assert capsys.readouterr().out.splitlines() == ["(0,) 1.0", "(1,) 1.0"]


def test_eval_numerical_gradient_array_contracts_with_df():
    rng = np.random.RandomState(1)
    x, A, df = rng.randn(4), rng.randn(3, 4), rng.randn(3)
    x_saved = x.copy()
    grad = eval_numerical_gradient_array(lambda v: A @ v, x, df)
    np.testing.assert_allclose(grad, A.T @ df, rtol=1e-8)
    np.testing.assert_array_equal(x, x_saved)


def test_eval_numerical_gradient_array_copes_with_functions_returning_views():
    # f returns x itself: without copying f(x+h) the two probes would alias the same array
    x = np.arange(3.0)
    np.testing.assert_allclose(eval_numerical_gradient_array(lambda v: v, x, np.ones(3)), np.ones(3))


def test_x_is_restored_when_f_raises():
    x = np.ones(3)

    def f(v):
        if v[0] != 1:
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError, match="boom"):
        eval_numerical_gradient(f, x, verbose=False)
    np.testing.assert_array_equal(x, np.ones(3))


def test_grad_check_sparse_is_reproducible_and_small_for_a_correct_gradient(capsys):
    x = np.random.RandomState(2).randn(5, 6)
    errors = grad_check_sparse(lambda v: np.sum(np.sin(v)), x, np.cos(x), num_checks=4)
    first = capsys.readouterr().out
    again = grad_check_sparse(lambda v: np.sum(np.sin(v)), x, np.cos(x), num_checks=4)
    assert first == capsys.readouterr().out and len(first.splitlines()) == 4
    np.testing.assert_array_equal(errors, again)
    assert errors.max() < 1e-8
    state = np.random.get_state()[1].copy()
    grad_check_sparse(lambda v: np.sum(np.sin(v)), x, np.cos(x), num_checks=2, seed=5)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # numpy's global state untouched


def test_grad_check_sparse_flags_a_wrong_gradient():
    x = np.random.RandomState(3).randn(4, 4)
    assert grad_check_sparse(lambda v: np.sum(v**2), x, x, num_checks=3).min() > 0.3


@pytest.mark.parametrize("check", [
    lambda x: eval_numerical_gradient(lambda v: 0.0, x),
    lambda x: eval_numerical_gradient_array(lambda v: v, x, np.ones(3)),
    lambda x: grad_check_sparse(lambda v: 0.0, x, np.zeros(3)),
])
def test_integer_arrays_are_refused(check):
    with pytest.raises(TypeError, match="floating-point.*int64"):
        check(np.arange(3))


def test_rel_error():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0
    assert rel_error(1.0, 3.0) == pytest.approx(0.5)
    assert rel_error(0.0, 0.0) == 0  # the 1e-8 floor keeps 0/0 away
    with pytest.raises(ValueError, match="shapes differ"):
        rel_error(np.zeros(2), np.zeros(3))


def test_eval_numerical_gradient_array_refuses_a_df_of_another_shape():
    x = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"df has shape \(3, 1\) but f\(x\) has \(3, 2\)"):
        eval_numerical_gradient_array(lambda v: 2 * v, x, np.ones((3, 1)))  # would broadcast silently
    np.testing.assert_array_equal(x, np.ones((3, 2)))
