"""Looking inside a trained network: its filters, feature maps, saliency and embeddings.

Chapter 5 shows each of these for the shipped model.
"""

from __future__ import annotations

import keras
import numpy as np

from . import config
from .preprocess import to_model_input

#: Layers that belong to the convolution before them: its normalisation and activation.
_BLOCK_FOLLOWERS = (keras.layers.BatchNormalization, keras.layers.Activation, keras.layers.ReLU)


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

    A block is a convolution with the batch norm and activations right after it (as in
    ``build_cnn``); its map is taken at the block's end, so it shows what is passed on.
    """
    x = keras.ops.convert_to_tensor(to_model_input(image)[:1])
    maps: list[tuple[str, np.ndarray]] = []
    in_block = False
    for layer in _inference_layers(model):
        x = layer(x, training=False)
        if isinstance(layer, keras.layers.Conv2D):
            maps.append((layer.name, keras.ops.convert_to_numpy(x)[0]))
            in_block = True
        elif in_block and isinstance(layer, _BLOCK_FOLLOWERS):
            maps[-1] = (maps[-1][0], keras.ops.convert_to_numpy(x)[0])
        else:
            in_block = False
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


def embed_2d(features: np.ndarray, method: str = "pca", seed: int = config.SEED) -> np.ndarray:
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
