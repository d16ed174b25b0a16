"""DIET's intent prediction for one message, computed directly from its trained weights.

With sentence features only and no transformer layers (config.yml, sentence_only.py), what DIET
computes for a message's intent is a handful of matrix products: the sparse whole-message
features through a dense layer, the feed-forward layers, the embedding, and the similarity to
each intent's embedding. TensorFlow does that in microseconds, but Rasa wraps it in a batch of
one (a data generator, sparse tensors, a `tf.function` whose input signature is matched on every
call): a fifth of the Rasa server's CPU per message went there (docs/benchmarks.md, section 6).

`SentenceDIETClassifier` is Rasa's `DIETClassifier`, trained the same way, whose prediction does
those products with NumPy on the weights of the trained layers. It checks itself: for the first
`CHECKED_MESSAGES` messages of each process it also asks TensorFlow and compares every
confidence; one difference larger than `TOLERANCE` and it keeps to TensorFlow from then on (and
logs it). Any configuration it does not reproduce (transformer layers, dense or token features
reaching the intent, entity recognition) uses TensorFlow from the start.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import COSINE, SOFTMAX
from scipy.special import erf
from threadpoolctl import threadpool_limits

logger = logging.getLogger(__name__)

CHECKED_MESSAGES = 20
TOLERANCE = 1e-4


def _gelu(x: np.ndarray) -> np.ndarray:
    """TensorFlow's `tf.nn.gelu` (exact, not the tanh approximation)."""
    return 0.5 * x * (1.0 + erf(x / np.float32(np.sqrt(2.0))))


@dataclass(frozen=True)
class _Dense:
    kernel: np.ndarray
    bias: np.ndarray | None
    gelu: bool

    def __call__(self, x: Any) -> np.ndarray:
        out = np.asarray(x @ self.kernel)
        if self.bias is not None:
            out = out + self.bias
        return _gelu(out) if self.gelu else out


def _dense(layer: Any, mask: Any = None) -> _Dense:
    """One Keras dense layer (or Rasa's DenseForSparse / RandomlyConnectedDense) as NumPy."""
    import tensorflow as tf

    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", "")
    linear = activation is None or activation is tf.keras.activations.linear or name == "linear"
    if not linear and name != "gelu":
        raise ValueError(f"activation {name} of {layer.name}")
    kernel = layer.kernel.numpy()
    if mask is not None:
        kernel = kernel * mask.numpy()
    bias = layer.bias.numpy() if getattr(layer, "use_bias", False) else None
    return _Dense(kernel, bias, gelu=not linear)


@dataclass(frozen=True)
class IntentWeights:
    """The trained layers from the whole-message features to the intents' confidences."""

    to_dense: _Dense
    unify: _Dense | None
    hidden: tuple[_Dense, ...]
    embed: _Dense
    labels: np.ndarray  # (intents, embedding size)
    cosine: bool
    softmax: bool
    sparse_size: int

    @classmethod
    def from_model(cls, model: Any) -> IntentWeights:
        """Read off a trained DIET model; ValueError for anything this does not reproduce."""
        import tensorflow as tf

        if model.config.get("entity_recognition"):
            raise ValueError("entity recognition needs the token features")
        sequence_layer = model._tf_layers[f"sequence_layer.{TEXT}"]
        if sequence_layer._has_transformer:
            raise ValueError("transformer layers mix the tokens into the intent")
        combining = sequence_layer._tf_layers["feature_combining"]
        sentence = combining._tf_layers.get("sparse_dense.sentence")
        if sentence is None:
            raise ValueError("no whole-message features")
        if set(sentence._tf_layers) - {"sparse_to_dense", "sparse_dropout", "dense_dropout"}:
            raise ValueError(f"sentence features combine through {sorted(sentence._tf_layers)}")
        to_dense = sentence._tf_layers["sparse_to_dense"]
        unify = combining._tf_layers.get("unify_dims_before_seq_sent_concat.sentence")
        hidden = []
        for layer in sequence_layer._tf_layers["ffnn"]._ffn_layers:
            if isinstance(layer, tf.keras.layers.Dropout):
                continue
            hidden.append(_dense(layer, getattr(layer, "kernel_mask", None)))
        embed = model._tf_layers[f"embed.{TEXT}"]._dense
        loss = model._tf_layers["loss.label"]
        if model.all_labels_embed is None:
            model.prepare_for_predict()
        return cls(
            to_dense=_dense(to_dense),
            unify=_dense(unify) if unify is not None else None,
            hidden=tuple(hidden),
            embed=_dense(embed),
            labels=np.asarray(model.all_labels_embed.numpy()),
            cosine=loss.similarity_type == COSINE,
            softmax=loss.model_confidence == SOFTMAX,
            sparse_size=int(to_dense.kernel.shape[0]),
        )

    def sparse_to_dense(self, parts: list[scipy.sparse.spmatrix]) -> np.ndarray:
        """The first dense layer on the featurizers' whole-message features side by side, without
        building the side-by-side matrix: each part's non-zero columns pick rows of the kernel."""
        kernel = self.to_dense.kernel
        out = np.zeros((1, kernel.shape[1]), dtype=np.float32)
        offset = 0
        for part in parts:
            coo = part.tocoo()
            data = coo.data.astype(np.float32, copy=False)
            out[0] += data @ kernel[offset + coo.col]
            offset += part.shape[-1]
        if self.to_dense.bias is not None:
            out = out + self.to_dense.bias
        return _gelu(out) if self.to_dense.gelu else out

    def confidences(self, parts: list[scipy.sparse.spmatrix]) -> np.ndarray:
        """The intents' confidences (DIET's `i_scores`, shape (1, intents)) for one message, from
        its whole-message features, each featurizer's part in order."""
        x = self.sparse_to_dense(parts)
        if self.unify is not None:
            x = self.unify(x)
        for layer in self.hidden:
            x = layer(x)
        embedded = self.embed(x)
        labels = self.labels
        if self.cosine:
            embedded = embedded / max(np.linalg.norm(embedded), 1e-12)
            labels = labels / np.maximum(np.linalg.norm(labels, axis=-1, keepdims=True), 1e-12)
        similarities = embedded @ labels.T
        if not self.softmax:
            return similarities
        shifted = np.exp(similarities - similarities.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class SentenceDIETClassifier(DIETClassifier):
    """`DIETClassifier` whose per-message intent prediction runs in NumPy (module docstring)."""

    _weights: IntentWeights | None = None
    _weights_failed: bool = False
    _checked: int = 0

    def _intent_weights(self) -> IntentWeights | None:
        if self._weights is None and not self._weights_failed and self.model is not None:
            try:
                self._weights = IntentWeights.from_model(self.model)
            except (ValueError, KeyError, AttributeError) as error:
                logger.warning("intent prediction stays with TensorFlow: %s", error)
                self._weights_failed = True
            else:
                # The products are tiny and a server classifies one message at a time: OpenBLAS's
                # worker threads would only spin after each one (measured: 110 ms of CPU per
                # message at one user, against 25 ms for the whole message without them).
                threadpool_limits(limits=1, user_api="blas")
        return self._weights

    def _sentence_features(self, message: Message) -> list[scipy.sparse.spmatrix] | None:
        """The message's whole-message features as DIET gets them, each featurizer's part in the
        order `Message.get_sparse_features` puts them side by side (without doing it: scipy's
        stacking of 1-row matrices cost more than the rest of the prediction); None if there is
        anything else (dense features) or nothing."""
        featurizers = self.component_config.get("featurizers") or []
        parts = []
        for features in message.features:
            if features.attribute != TEXT or features.type != FEATURE_TYPE_SENTENCE:
                continue
            if featurizers and features.origin not in featurizers:
                continue
            if not features.is_sparse():
                return None
            if features.features.shape[0] != 1:
                return None
            parts.append(features.features)
        return parts or None

    def _predict(self, message: Message) -> dict[str, Any] | None:
        weights = self._intent_weights()
        if weights is None or not self.component_config.get("intent_classification", True):
            return super()._predict(message)
        sentence = self._sentence_features(message)
        if sentence is None or sum(part.shape[-1] for part in sentence) != weights.sparse_size:
            return super()._predict(message)
        scores = weights.confidences(sentence).astype(np.float32)
        if self._checked < CHECKED_MESSAGES:
            self._checked += 1
            expected = super()._predict(message)
            reference = None if expected is None else np.asarray(expected["i_scores"]).reshape(scores.shape)
            if reference is None or float(np.max(np.abs(reference - scores))) > TOLERANCE:
                logger.warning(
                    "NumPy intent confidences differ from TensorFlow's; using TensorFlow from now on"
                )
                self._weights, self._weights_failed = None, True
                return expected
        return {"i_scores": scores}
