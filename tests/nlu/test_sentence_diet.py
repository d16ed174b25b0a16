"""The intent computed in NumPy from DIET's trained weights (safeshare/nlu/sentence_diet.py) is
TensorFlow's, on the trained model, for every message of the development sets and odd input."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pytest
from rasa.nlu.classifiers.diet_classifier import DIETClassifier

from safeshare.nlu.sentence_diet import SentenceDIETClassifier
from safeshare.nlu.sentence_only import check_config
from tests.helpers import parse_dev_and_odd_texts

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def served(trained_model: Path) -> list[tuple[SentenceDIETClassifier, object, dict]]:
    """Every message the classifier saw while the trained model parsed the texts, with what it
    answered."""
    seen: list[tuple[SentenceDIETClassifier, object, dict]] = []
    original = SentenceDIETClassifier._predict

    def capture(self: SentenceDIETClassifier, message: object) -> dict:
        out = original(self, message)
        seen.append((self, message, out))
        return out

    SentenceDIETClassifier._predict = capture  # type: ignore[method-assign]
    try:
        parse_dev_and_odd_texts(trained_model)
    finally:
        SentenceDIETClassifier._predict = original  # type: ignore[method-assign]
    return seen


def test_the_trained_model_predicts_in_numpy(served):
    component = served[0][0]
    assert isinstance(component, SentenceDIETClassifier)
    # the first messages were checked against TensorFlow and none differed
    assert component._weights is not None and not component._weights_failed
    assert len(served) >= 1000


def test_numpy_gives_tensorflows_confidences_for_every_message(served):
    worst, compared = 0.0, 0
    for component, message, out in served:
        if out is None:
            continue
        reference = np.asarray(DIETClassifier._predict(component, message)["i_scores"]).reshape(-1)
        ours = np.asarray(out["i_scores"]).reshape(-1)
        assert int(np.argmax(ours)) == int(np.argmax(reference)), message.get("text")
        worst = max(worst, float(np.max(np.abs(ours - reference))))
        compared += 1
    assert compared >= 1000
    assert worst < 1e-5, worst


def test_a_difference_from_tensorflow_sends_it_back_to_tensorflow(served, caplog):
    component, message, _out = next(item for item in served if item[2] is not None)
    weights, checked = component._weights, component._checked
    try:
        # the same layers with the intents' embeddings reversed: wrong on purpose
        component._weights = dataclasses.replace(weights, labels=weights.labels[::-1].copy())
        component._checked = 0
        with caplog.at_level(logging.WARNING, logger="safeshare.nlu.sentence_diet"):
            out = component._predict(message)
        reference = DIETClassifier._predict(component, message)["i_scores"]
        np.testing.assert_allclose(np.asarray(out["i_scores"]), np.asarray(reference))
        assert component._weights_failed and component._weights is None
        assert "using TensorFlow from now on" in caplog.text
        # and it stays there
        again = component._predict(message)
        np.testing.assert_allclose(np.asarray(again["i_scores"]), np.asarray(reference))
    finally:
        component._weights, component._weights_failed, component._checked = weights, False, checked


def test_the_numpy_path_refuses_what_it_does_not_reproduce():
    with pytest.raises(ValueError, match="token features"):
        check_config(
            [
                {"name": "safeshare.nlu.sentence_only.SentenceFeaturesOnly"},
                {
                    "name": "safeshare.nlu.sentence_diet.SentenceDIETClassifier",
                    "number_of_transformer_layers": 1,
                },
            ]
        )


def test_blas_keeps_to_one_thread_once_the_classifier_serves(served):
    # its worker threads would spin after every tiny product, costing more than the message
    from threadpoolctl import threadpool_info

    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas), blas
