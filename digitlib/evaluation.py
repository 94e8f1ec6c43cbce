"""Evaluation: how good a model is, where it fails, and what it looks at."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from .preprocess import to_model_input


def predict_proba(model: keras.Model, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Probabilities (N, 10) for uint8 or model-ready images."""
    return model.predict(to_model_input(images), batch_size=batch_size, verbose=0)


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Counts: row = true digit, column = predicted digit."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return cm


def per_class_report(cm: np.ndarray) -> dict[str, np.ndarray]:
    """Precision, recall, F1 and support of each digit, from a confusion matrix."""
    tp = np.diag(cm).astype(float)
    predicted = cm.sum(axis=0)
    support = cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, support, out=np.zeros_like(tp), where=support > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


@dataclass
class Evaluation:
    """A model's answers on a labelled set, and the numbers the chapters report."""

    y_true: np.ndarray
    probabilities: np.ndarray

    @property
    def y_pred(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def confidence(self) -> np.ndarray:
        return self.probabilities.max(axis=1)

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.y_pred == self.y_true))

    @property
    def confusion(self) -> np.ndarray:
        return confusion_matrix(self.y_true, self.y_pred)

    @property
    def report(self) -> dict[str, np.ndarray]:
        return per_class_report(self.confusion)

    @property
    def per_class_accuracy(self) -> np.ndarray:
        return self.report["recall"]

    def mistakes(self) -> np.ndarray:
        """Indices of the misclassified examples, the most confidently wrong first."""
        wrong = np.flatnonzero(self.y_pred != self.y_true)
        return wrong[np.argsort(-self.confidence[wrong], kind="stable")]


def evaluate(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Run ``model`` over a labelled set."""
    return Evaluation(y_true=np.asarray(labels), probabilities=predict_proba(model, images))


def conv_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's 2-D convolutions, in order."""
    return [layer for layer in _flat_layers(model) if isinstance(layer, keras.layers.Conv2D)]


def _flat_layers(model: keras.Model) -> list[keras.layers.Layer]:
    out = []
    for layer in model.layers:
        out.extend(_flat_layers(layer) if isinstance(layer, keras.Model) else [layer])
    return out


def first_conv_filters(model: keras.Model) -> np.ndarray:
    """The first convolution's kernels as (filters, height, width), first input channel."""
    kernel = conv_layers(model)[0].get_weights()[0]  # (h, w, in, out)
    return np.transpose(kernel[:, :, 0, :], (2, 0, 1))


def _inference_layers(model: keras.Model) -> list[keras.layers.Layer]:
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def feature_maps(model: keras.Model, image: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The activation of every convolution block for one image: (name, (H, W, C)) pairs.

    Where a convolution's own batch norm and ReLU follow it (named ``<conv>_bn`` and
    ``<conv>_relu``, as in ``build_cnn``), the map is taken after them, so it shows what is
    passed on; otherwise it is the convolution's raw output.
    """
    x = keras.ops.convert_to_tensor(to_model_input(image)[:1])
    wanted = {layer.name for layer in conv_layers(model)}
    maps = []
    pending = None
    for layer in _inference_layers(model):
        x = layer(x, training=False)
        if layer.name in wanted:
            pending = layer.name
            maps.append((pending, keras.ops.convert_to_numpy(x)[0]))
        elif pending and layer.name.startswith(pending):  # its BN and ReLU
            maps[-1] = (pending, keras.ops.convert_to_numpy(x)[0])
        else:
            pending = None
    return maps


def saliency(model: keras.Model, image: np.ndarray, digit: int | None = None) -> np.ndarray:
    """How much each pixel sways the score of ``digit`` (default: the predicted one).

    The absolute gradient of the class probability with respect to the input, scaled to [0, 1].
    """
    import tensorflow as tf

    x = tf.convert_to_tensor(to_model_input(image)[:1])
    with tf.GradientTape() as tape:
        tape.watch(x)
        probs = model(x, training=False)
        target = int(tf.argmax(probs[0])) if digit is None else int(digit)
        score = probs[0, target]
    grad = np.abs(tape.gradient(score, x).numpy()[0, :, :, 0])
    peak = grad.max()
    return grad / peak if peak > 0 else grad


def penultimate(model: keras.Model, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """What the classifier sees: the input of the final softmax layer, one row per image."""
    extractor = keras.Model(model.inputs, model.layers[-1].input)
    return extractor.predict(to_model_input(images), batch_size=batch_size, verbose=0)


def embed_2d(features: np.ndarray, method: str = "pca", seed: int = 42) -> np.ndarray:
    """Project features to 2-D with ``pca`` or ``tsne`` (scikit-learn)."""
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(features)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = min(30.0, max(5.0, (len(features) - 1) / 3))
        return TSNE(
            n_components=2, init="pca", perplexity=perplexity, random_state=seed
        ).fit_transform(features)
    raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
