"""``partial_fit``: one pass of the streaming optimiser over a batch.

:class:`PartialFitMixin` gives :class:`~softmax_regression.SoftmaxRegression`
its ``partial_fit`` (absent where the streaming optimiser cannot minimise
the problem: a non-smooth penalty, bounds, or a cross-validated search).
It validates and encodes the batch (:mod:`._validation`) and hands it to
:mod:`._streaming`; the estimator keeps the fitted attributes
(``_fit_config``, ``_previous_fit`` and ``_set_fitted`` are its own).
"""

from __future__ import annotations

from dataclasses import replace

from sklearn.utils._available_if import available_if

from ._fitting import fitted_parameters, in_memory_objective, start_point
from ._streaming import (
    StreamingConfig,
    partial_fit_pass,
    penalty_streams,
    resume,
)
from ._validation import (
    any_finite,
    check_feature_scale_for_sgd,
    encode_targets,
    stream_classes,
    validate_X_y,
    weighted_targets,
)


class PartialFitMixin:
    """``partial_fit`` for an estimator with the fitting core's attributes."""

    #: Whether :meth:`partial_fit` exists (not for the cross-validated
    #: subclass, whose fit is a search).
    _streams = True

    def _penalty_streams(self) -> bool:
        """Whether the streaming optimiser can minimise this penalty without
        bounds; if not, there is no :meth:`partial_fit`, and the
        AttributeError says why."""
        if any_finite(self.lower_bound) or any_finite(self.upper_bound):
            raise AttributeError(
                "partial_fit is not available with lower_bound / upper_bound: "
                "the streaming optimiser cannot keep to bounds. Use fit."
            )
        penalty = self._fit_config().make_penalty(2)
        if penalty_streams(penalty):
            return True
        raise AttributeError(
            f"partial_fit is not available with the {penalty.name!r} penalty "
            f"(l1_ratio={self.l1_ratio}): the streaming optimiser only handles "
            "l1_ratio=0. Set l1_ratio=0 to stream, or use fit with "
            "solver='fista' or solver='prox-newton'."
        )

    @available_if(lambda self: self._streams and self._penalty_streams())
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One pass of mini-batch SGD over a batch of data.

        Always uses the streaming optimiser of ``solver="sgd"`` (with
        ``batch_size``, ``sgd_update`` and the learning-rate schedule),
        whatever ``solver`` is, continuing from the current coefficients and
        optimiser state: after :meth:`fit` it refines that fit.  As in
        MLPClassifier, the optimiser is made with the settings of the first
        call (or of the first call after :meth:`fit`); changing them later
        with ``set_params`` takes effect at the next :meth:`fit`.
        ``early_stopping`` and ``max_iter`` do not apply; ``n_iter_``
        counts the calls.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A batch of data, with the features of the first call.
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Labels from ``classes`` (a batch may lack some of them), or rows
            of class probabilities over ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every label the stream may contain.  Required on the first call
            for labels (for probability rows it defaults to
            ``range(n_classes)``); later calls may omit it or repeat it.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; each mini-batch's weights are normalised
            to sum to one.

        Returns
        -------
        self
            The updated estimator.
        """
        self._validate_params()
        first_call = not hasattr(self, "classes_")
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' cannot be computed from one batch in "
                "partial_fit. Compute the weights over the whole stream, e.g. "
                "sklearn.utils.class_weight.compute_class_weight('balanced', "
                "classes=classes, y=y), and pass them as a dict."
            )
        X, y = validate_X_y(self, X, y, reset=first_call)
        classes = stream_classes(classes, y, None if first_call else self.classes_)
        classes, target = encode_targets(y, classes)
        target, weight = weighted_targets(
            target, sample_weight, X, classes, self.class_weight, self.label_smoothing
        )
        n_classes = classes.shape[0]
        check_feature_scale_for_sgd(X)
        config = self._fit_config()
        objective = in_memory_objective(
            config, X, target, weight, n_classes, by_rows=True
        )
        previous = None if first_call else self._previous_fit(always=True)
        optimizer, w = resume(
            StreamingConfig.from_params(self.get_params()),
            None if first_call else getattr(self, "_optimizer", None),
            start_point(objective.layout, classes, previous),
        )
        n_iter = 1 if first_call else self.n_iter_ + 1
        try:
            result = partial_fit_pass(objective, optimizer, w, self.tol, n_iter)
        except ValueError:
            self._optimizer = None  # diverged: the next call restarts from coef_
            raise
        fitted = fitted_parameters(classes, objective, result, "sgd")
        self._set_fitted(replace(fitted, converged=False), optimizer)
        return self
