"""Looking inside a network: filters, feature maps, saliency, embeddings."""

from __future__ import annotations

import pytest

from digitlib import interpret, models


@pytest.fixture(scope="module")
def model():
    return models.build_cnn()  # untrained: the shapes and the bookkeeping are what is tested


def test_filters_and_feature_maps_follow_the_convolutions(model, test_digits):
    x, _ = test_digits
    convs = interpret.conv_layers(model)
    assert interpret.first_conv_filters(model).shape == (convs[0].filters, 5, 5)
    maps = interpret.feature_maps(model, x[0])
    assert [name for name, _ in maps] == [c.name for c in convs]
    # each map is taken after its block's batch norm and ReLU: what is passed on, never negative
    assert all(m.ndim == 3 and m.min() >= 0 for _, m in maps)
    assert [m.shape[-1] for _, m in maps] == [c.filters for c in convs]


def test_feature_maps_of_a_plain_network_end_at_its_activations(test_digits):
    x, _ = test_digits
    maps = interpret.feature_maps(models.build_seed_cnn(), x[0])
    assert [name for name, _ in maps] == ["conv1", "conv2"]
    assert all(m.min() >= 0 for _, m in maps)  # after relu1 and relu2


def test_saliency_is_scaled_to_one(model, test_digits):
    x, _ = test_digits
    sal = interpret.saliency(model, x[0])
    assert sal.shape == (28, 28) and sal.min() >= 0 and sal.max() == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_embedding_of_the_last_layer(model, test_digits, method):
    x, _ = test_digits
    feats = interpret.penultimate(model, x[:120])
    assert feats.shape[0] == 120 and feats.ndim == 2
    assert interpret.embed_2d(feats, method).shape == (120, 2)
    with pytest.raises(ValueError, match="'pca' or 'tsne'"):
        interpret.embed_2d(feats, "umap")
