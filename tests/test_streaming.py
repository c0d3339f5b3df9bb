"""The streaming optimiser's layer: its configuration, problem, resumption
and attributes (the SGD solver itself is tested in test_sgd.py)."""

import numpy as np
import pytest

from softmax_regression import SoftmaxRegression
from softmax_regression._fitting import FitConfig
from softmax_regression._penalty import make_penalty
from softmax_regression._streaming import (
    STREAMING_ATTRIBUTES,
    StreamingConfig,
    partial_fit_pass,
    penalty_streams,
    resume,
    sgd_problem,
    streaming_attributes,
)


def test_config_reads_the_sgd_parameters():
    params = SoftmaxRegression(batch_size=32, momentum=0.5, alpha=3.0).get_params()
    streaming = StreamingConfig.from_params(params)
    assert streaming.batch_size == 32 and streaming.momentum == 0.5
    optimizer = streaming.new_optimizer(np.random.RandomState(0))
    assert optimizer.batch_size == 32 and optimizer.momentum == 0.5


def test_only_smooth_penalties_stream():
    assert penalty_streams(make_penalty("elasticnet", 1e-3, 0.0, 3))
    assert not penalty_streams(make_penalty("elasticnet", 1e-3, 0.5, 3))
    assert not penalty_streams(make_penalty("group", 1e-3, 1.0, 3))


def test_early_stopping_holds_out_a_stratified_split(iris_scaled):
    X, y = iris_scaled
    weight = np.ones(X.shape[0])
    streaming = StreamingConfig(early_stopping=True, random_state=0)
    objective, options = sgd_problem(FitConfig(), streaming, X, y, weight, 3)
    assert objective.n_samples == 135  # 10% of 150 held out
    score = options["validation_score"]
    assert 0.0 <= score(objective.layout.zeros()) <= 1.0
    too_small = StreamingConfig(early_stopping=True, validation_fraction=0.005)
    with pytest.raises(ValueError, match="validation set is too small"):
        sgd_problem(FitConfig(), too_small, X, y, weight, 3)


def test_a_pass_resumes_the_optimiser_and_records_its_state(iris_scaled):
    X, y = iris_scaled
    streaming = StreamingConfig(random_state=0)
    objective, _ = sgd_problem(FitConfig(), streaming, X, y, np.ones(150), 3)
    optimizer, w = resume(streaming, None, objective.layout.zeros())
    first = partial_fit_pass(objective, optimizer, w, tol=1e-4, n_iter=1)
    same, w_next = resume(streaming, optimizer, objective.layout.zeros())
    assert same is optimizer and w_next is optimizer.w
    partial_fit_pass(objective, optimizer, w_next, tol=1e-4, n_iter=2)
    attributes = streaming_attributes(optimizer)
    assert set(attributes) == set(STREAMING_ATTRIBUTES)
    assert len(attributes["loss_curve_"]) == 2 and attributes["t_"] == 300
    assert first.converged and first.n_iter == 1
