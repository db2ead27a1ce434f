"""The probe measures of a metrics line: loss, accuracy and confusion matrix of class scores.

The same definition as the TypeScript engine's (src/analysis/predictions.ts): float32 logits are
softmaxed row by row in float64 (exp of each value minus the row's maximum, divided by the row's
sequential sum: a confident row's small loss keeps its digits); the loss is the mean of
``-ln max(p(label), 1e-7)`` (natural log; the clamp is contract.json's), summed in input order; the
prediction is the first class of highest score. tests/test_contract.py holds both to the known
answers the TypeScript definition computes (contract.json ``knownAnswers.predictions``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .contract import CONTRACT

LOSS_EPSILON = CONTRACT["loss"]["epsilon"]


def softmax_rows(values: ArrayLike) -> np.ndarray:
    """Row-wise softmax of float32 `[n, classes]` values, float64 (the TypeScript softmaxRows)."""
    values = np.asarray(values, dtype=np.float32).astype(np.float64)
    exps = np.exp(values - values.max(axis=1, keepdims=True))
    sums = np.zeros(values.shape[0])
    for c in range(values.shape[1]):
        sums += exps[:, c]
    return exps / sums[:, None]


def prediction_measures(scores: ArrayLike, labels: ArrayLike, classes: int) -> tuple[float | None, float, list[list[int]]]:
    """(loss or None, accuracy, confusion) of class scores `[n, classes]` (float32 or float64) against int labels."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    n = labels.shape[0]
    confusion = np.zeros((classes, classes), dtype=np.int64)
    if n == 0:
        return None, 0.0, confusion.tolist()
    finite = np.isfinite(scores).all(axis=1)
    predicted = np.argmax(np.where(np.isfinite(scores), scores, -np.inf), axis=1)
    np.add.at(confusion, (labels, predicted), 1)
    accuracy = float((predicted == labels).sum()) / n
    if not finite.all():
        return None, accuracy, confusion.tolist()
    chosen = scores[np.arange(n), labels].astype(np.float64)
    losses = -np.log(np.maximum(chosen, LOSS_EPSILON))
    loss = float(np.cumsum(losses)[-1]) / n
    return loss, accuracy, confusion.tolist()
