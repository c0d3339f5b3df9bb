"""Penalties: values, smooth parts, proximal operators and minimal-norm
subgradients, the latter two against brute-force minimisation."""

import numpy as np
import pytest
import scipy.optimize

from softmax_regression._penalty import (
    ElasticNetPenalty,
    GroupElasticNetPenalty,
    L2Penalty,
    make_penalty,
    penalty_name,
)


def test_value_gradient_hessp():
    coef = np.random.default_rng(0).normal(size=(3, 4))
    penalty = L2Penalty(0.3)
    assert penalty.value(coef) == pytest.approx(0.15 * np.sum(coef**2))
    np.testing.assert_allclose(penalty.gradient(coef), 0.3 * coef)
    np.testing.assert_allclose(penalty.hessp(coef), 0.3 * coef)
    assert L2Penalty(0.0).value(coef) == 0.0


def test_negative_strength_is_rejected():
    with pytest.raises(ValueError, match="strength must be >= 0"):
        L2Penalty(-1.0)


# -- non-smooth penalties: prox and minimal-norm subgradient ---------------

N_CLASSES, N_FEATURES = 3, 4


def _penalties():
    return {
        "l2": L2Penalty(0.4),
        "l1": ElasticNetPenalty(0.8, 1.0),
        "elasticnet": ElasticNetPenalty(0.8, 0.5),
        "group": GroupElasticNetPenalty(0.8, 0.7, N_CLASSES),
        "group-lasso": GroupElasticNetPenalty(0.8, 1.0, N_CLASSES),
    }


def _brute_force_prox(penalty, v, step):
    """``argmin_x ||x - v||^2 / (2 step) + penalty(x)`` by a derivative-free
    search from several starts (the problem is strongly convex)."""

    def h(x):
        return 0.5 * np.sum((x - v) ** 2) / step + penalty.value(x)

    best = None
    for start in (v, np.zeros_like(v), 0.5 * v):
        result = scipy.optimize.minimize(
            h, start, method="Powell", options={"xtol": 1e-12, "ftol": 1e-15}
        )
        if best is None or result.fun < best.fun:
            best = result
    return best.x, best.fun, h


@pytest.mark.parametrize("name", sorted(_penalties()))
@pytest.mark.parametrize("seed", [0, 1])
def test_prox_is_the_minimiser_of_the_proximal_problem(name, seed):
    penalty = _penalties()[name]
    rng = np.random.default_rng(seed)
    v = rng.normal(size=N_CLASSES * N_FEATURES)
    v[rng.random(v.shape) < 0.3] *= 0.05  # entries below the threshold
    v[: N_CLASSES * N_FEATURES : N_FEATURES] *= 0.05  # a small column
    step = 0.7
    x = penalty.prox(v, step)
    brute, brute_value, h = _brute_force_prox(penalty, v, step)
    assert h(x) <= brute_value + 1e-12
    np.testing.assert_allclose(x, brute, atol=1e-5)
    # first-order optimality of the proximal problem at x, exactly
    residual = penalty.min_norm_subgradient(x, (x - v) / step)
    np.testing.assert_allclose(residual, 0.0, atol=1e-12)


def test_prox_sets_exact_zeros_entrywise_or_by_column():
    v = np.array(
        [[0.5, -0.05, 2.0, 0.1], [-0.3, 0.02, 0.1, -0.1], [0.1, 0.0, 0.0, 0.1]]
    )
    entrywise = ElasticNetPenalty(1.0, 1.0).prox(v.ravel(), 0.2).reshape(v.shape)
    np.testing.assert_array_equal(entrywise == 0, np.abs(v) <= 0.2)
    np.testing.assert_allclose(entrywise[0, 0], 0.3)
    grouped = GroupElasticNetPenalty(1.0, 1.0, 3).prox(v.ravel(), 0.2).reshape(v.shape)
    kept = np.linalg.norm(v, axis=0) > 0.2
    np.testing.assert_array_equal(np.any(grouped != 0, axis=0), kept)
    np.testing.assert_array_equal(grouped[:, ~kept], 0.0)


def _brute_force_min_norm_subgradient(penalty, coef, loss_grad):
    """Project zero onto ``loss_grad + dR(coef)`` by minimising over the
    subgradients ``s`` of the non-smooth term, each group in its ball."""
    smooth = loss_grad + penalty.strength * coef
    columns = coef.reshape(N_CLASSES, -1)
    grouped = isinstance(penalty, GroupElasticNetPenalty)
    if grouped:
        norms = np.linalg.norm(columns, axis=0)
        fixed = np.where(norms > 0, columns / np.where(norms > 0, norms, 1), 0.0)
        free = np.broadcast_to(norms == 0, columns.shape).ravel()
    else:
        fixed = np.sign(coef).reshape(columns.shape)
        free = coef == 0

    def residual(s_free):
        s = fixed.ravel().copy()
        s[free] = s_free
        return smooth + penalty.l1_strength * s

    def squared_norm(s_free):
        return np.sum(residual(s_free) ** 2)

    start = np.zeros(int(free.sum()))
    if grouped:  # each free group's s in the unit ball
        n_groups = len(start) // N_CLASSES
        balls = [
            {"type": "ineq", "fun": lambda s, j=j: 1 - np.sum(s[j::n_groups] ** 2)}
            for j in range(n_groups)
        ]
        result = scipy.optimize.minimize(
            squared_norm,
            start,
            method="SLSQP",
            constraints=balls,
            options={"ftol": 1e-14},
        )
    else:  # each free entry's s in [-1, 1]
        result = scipy.optimize.minimize(
            squared_norm,
            start,
            method="L-BFGS-B",
            bounds=[(-1, 1)] * len(start),
            options={"ftol": 1e-15, "gtol": 1e-12},
        )
    return residual(result.x)


@pytest.mark.parametrize("name", ["l1", "elasticnet", "group", "group-lasso"])
def test_min_norm_subgradient_matches_a_brute_force_projection(name):
    penalty = _penalties()[name]
    rng = np.random.default_rng(3)
    coef = rng.normal(size=(N_CLASSES, N_FEATURES))
    coef[rng.random(coef.shape) < 0.4] = 0.0
    coef[:, 1] = 0.0
    coef = coef.ravel()
    loss_grad = rng.normal(scale=0.6, size=coef.shape)
    ours = penalty.min_norm_subgradient(coef, loss_grad)
    brute = _brute_force_min_norm_subgradient(penalty, coef, loss_grad)
    np.testing.assert_allclose(ours, brute, atol=1e-6)
    assert np.linalg.norm(ours) <= np.linalg.norm(brute) + 1e-9


def test_values_split_into_smooth_and_non_smooth_parts():
    coef = np.random.default_rng(4).normal(size=N_CLASSES * N_FEATURES)
    columns = coef.reshape(N_CLASSES, N_FEATURES)
    enet = ElasticNetPenalty(0.8, 0.25)
    assert enet.value(coef) == pytest.approx(
        0.8 * (0.375 * np.sum(coef**2) + 0.25 * np.sum(np.abs(coef)))
    )
    np.testing.assert_allclose(enet.gradient(coef), 0.6 * coef)  # the L2 part
    group = GroupElasticNetPenalty(0.8, 0.25, N_CLASSES)
    assert group.value(coef) == pytest.approx(
        0.8 * (0.375 * np.sum(coef**2) + 0.25 * np.linalg.norm(columns, axis=0).sum())
    )
    assert not enet.smooth and not group.smooth and L2Penalty(1.0).smooth


def test_a_column_on_its_threshold_up_to_rounding_stays_zero():
    # alpha * l1_ratio * step = 1 * 1 * 0.5: the first column's norm is the
    # threshold to within rounding, the second's clearly above it
    column = np.array([0.3, -0.4, 0.0])  # norm 0.5
    v = np.stack([column * (1 + 2e-16), column * 1.01], axis=1)
    shrunk = GroupElasticNetPenalty(1.0, 1.0, 3).prox(v.ravel(), 0.5).reshape(v.shape)
    np.testing.assert_array_equal(shrunk[:, 0], 0.0)
    np.testing.assert_allclose(shrunk[:, 1], column * 0.01, rtol=1e-12, atol=1e-15)


def test_make_penalty_by_name():
    assert type(make_penalty("l2", 0.5, 0.0, 3)) is L2Penalty
    assert make_penalty("l1", 0.5, 1.0, 3).name == "l1"
    assert make_penalty("elasticnet", 0.5, 0.5, 3).name == "elasticnet"
    group = make_penalty("group", 0.5, 0.5, 3)
    assert group.name == "group" and group.n_classes == 3


@pytest.mark.parametrize("l1_ratio", [-0.1, 1.5])
def test_l1_ratio_outside_the_unit_interval_is_rejected(l1_ratio):
    with pytest.raises(ValueError, match=r"l1_ratio must be in \[0, 1\]"):
        ElasticNetPenalty(1.0, l1_ratio)


@pytest.mark.parametrize("name", sorted(_penalties()))
def test_prox_with_a_diagonal_metric_solves_its_weighted_problem(name):
    """One step per entry (equal over a feature's classes): ``x`` minimises
    ``sum_i (x_i - v_i)^2 / (2 step_i) + penalty(x)``."""
    penalty = _penalties()[name]
    rng = np.random.default_rng(5)
    v = rng.normal(size=N_CLASSES * N_FEATURES)
    step = np.tile(rng.uniform(0.1, 2.0, N_FEATURES), N_CLASSES)
    x = penalty.prox(v, step)
    residual = penalty.min_norm_subgradient(x, (x - v) / step)
    np.testing.assert_allclose(residual, 0.0, atol=1e-12)
    np.testing.assert_allclose(
        penalty.prox(v, np.full_like(v, 0.7)), penalty.prox(v, 0.7)
    )


def test_penalty_names():
    assert penalty_name(1e-4, 0.0) == "l2"
    assert penalty_name(0.0, 0.7) == "l2"  # no penalty at all
    assert penalty_name(1e-4, 1.0) == "l1"
    assert penalty_name(1e-4, 0.3) == "elasticnet"
    assert penalty_name(1e-4, 0.3, "group") == "group"
    assert penalty_name(1e-4, 1.0, "group") == "group"
    assert penalty_name(1e-4, 0.0, "group") == "l2"


@pytest.mark.parametrize(
    "penalty, uniform",
    [
        (L2Penalty(0.3, n_classes=3), 0.3),
        (L2Penalty(0.3, factor=np.full(4, 2.0), n_classes=3), 0.6),
        (L2Penalty(0.3, factor=np.array([1.0, 2.0, 1.0, 1.0]), n_classes=3), None),
        (ElasticNetPenalty(0.3, 0.1, n_classes=3), 0.27),  # its L2 part
    ],
)
def test_uniform_curvature_is_the_smooth_part_on_every_coefficient(penalty, uniform):
    coef = np.random.default_rng(0).normal(size=12)
    diagonal = penalty.hessian_diagonal(coef)
    if uniform is None:
        assert penalty.uniform_curvature is None
        assert np.ptp(diagonal) > 0
        return
    assert penalty.uniform_curvature == pytest.approx(uniform)
    np.testing.assert_allclose(diagonal, uniform)
    np.testing.assert_allclose(penalty.gradient(coef), uniform * coef)
    if penalty.l1_strength == 0:
        assert penalty.value(coef) == pytest.approx(0.5 * uniform * coef @ coef)
