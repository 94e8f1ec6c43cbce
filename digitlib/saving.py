"""Saving and loading models: portable weights, and a model card that says what they are.

Chapter 4 shows the shipped model's card; chapters 5 to 7 load the model with ``load()``.

A trained model is two files side by side:

- ``digit_cnn.weights.h5``: the weights, in Keras's own weights format;
- ``digit_cnn.json``: the model card. It names the ``digitlib.models`` builder and its options,
  so the network is rebuilt from this library's code, and records how it was trained, on what,
  and how well it reads.

Why not one ``.keras`` file? A ``.keras`` file stores the architecture as the configuration of
the Keras version that saved it, and older Kerases refuse newer configurations (Colab's Keras is
often a few releases behind). Weights are plain arrays that every Keras 3 reads; the
architecture comes from code that runs everywhere. Saved networks carry no training-only layers
(augmentation lives in ``digitlib.training``), so they also export as they are.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import config

WEIGHTS_SUFFIX = ".weights.h5"


class ModelNotFoundError(FileNotFoundError):
    """No trained model where one was expected; the message says how to make one."""


class ModelLoadError(ValueError):
    """A model file or its card is there but cannot be read; the message says which and why."""


@dataclass
class ModelCard:
    """What a saved model is (``model``, ``options``), how it was made and how well it reads.

    ``model`` and ``options`` rebuild the network: ``digitlib.models.build(model, **options)``.
    The other fields are the record of its training run, filled by ``python -m digitlib.cli``.
    """

    model: str
    options: dict[str, Any] = field(default_factory=dict)
    parameters: int | None = None
    architecture: list[dict[str, Any]] = field(default_factory=list)
    augment: bool | str = False  # True: the geometric augmentation; or its kind, "robust"
    epochs_run: int | None = None
    best_epoch: int | None = None
    averaged_epochs: list[int] | None = None
    training_seconds: float | None = None
    cpu_cores: int | None = None
    platform: str | None = None
    validation_accuracy: float | None = None
    test_accuracy: float | None = None
    test_examples: int | None = None
    per_class_accuracy: dict[str, float] = field(default_factory=dict)
    quick: bool = False
    data: str | None = None
    data_md5: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    date: str | None = None
    command: str | None = None
    #: Divides the network's scores before the softmax so its confidence means what it says;
    #: fitted on the validation split by ``python -m digitlib.calibration --write``.
    temperature: float = 1.0
    #: Test accuracy on each kind of disturbed digit in ``digitlib.robustness.CORRUPTIONS``,
    #: with their "mean" and the "clean" score; written by ``python -m digitlib.robustness
    #: --write``.
    robustness: dict[str, float] = field(default_factory=dict)
    input: str = "float32 (N, 28, 28, 1) in [0, 1], white ink on black (MNIST form)"
    output: str = "softmax probabilities over the digits 0-9"

    @staticmethod
    def path_for(weights: Path | str) -> Path:
        """The card that sits beside a weights file: ``x.weights.h5`` -> ``x.json``."""
        weights = Path(weights)
        name = weights.name
        stem = name[: -len(WEIGHTS_SUFFIX)] if name.endswith(WEIGHTS_SUFFIX) else weights.stem
        return weights.with_name(stem + ".json")

    @classmethod
    def read(cls, weights: Path | str) -> ModelCard:
        """Read the card beside ``weights``; a missing or malformed card is a ModelLoadError."""
        path = cls.path_for(weights)
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            raise ModelLoadError(
                f"{path.name} is missing: a model's card must sit beside its weights "
                f"({Path(weights).name}), since it says which network to rebuild."
            ) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ModelLoadError(f"{path.name} is not a readable model card ({e}).") from None
        known = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(raw, dict) or not isinstance(raw.get("model"), str):
            raise ModelLoadError(f'{path.name} does not name its model (no "model" field).')
        return cls(**{k: v for k, v in raw.items() if k in known})

    def write(self, weights: Path | str) -> Path:
        """Write this card beside ``weights`` and return its path."""
        path = self.path_for(weights)
        path.write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n")
        return path


def save(model, weights: Path | str, card: ModelCard) -> Path:
    """Save ``model``'s weights to ``weights`` (``*.weights.h5``) and its card beside them."""
    weights = Path(weights)
    if not weights.name.endswith(WEIGHTS_SUFFIX):
        raise ValueError(f"weights files end in {WEIGHTS_SUFFIX}, not {weights.name!r}")
    weights.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(weights)
    card.write(weights)
    return weights


def load(weights: Path | str | None = None):
    """Rebuild a saved network from its card and load its weights (default: the shipped model).

    Raises ModelNotFoundError when there is no file, ModelLoadError when the file or its card
    cannot be read; both messages are one line and name files, not folders.
    """
    return load_with_card(weights)[0]


def load_with_card(weights: Path | str | None = None) -> tuple[Any, ModelCard]:
    """``load``, and the card it read: what a caller needs beside the network (its temperature)."""
    from . import models

    weights = Path(weights) if weights is not None else config.shipped_model_path()
    if not weights.is_file():
        raise ModelNotFoundError(
            f"No trained model at {weights.name}. Train one with `make train` (see "
            "models/README.md), or pass the path of a .weights.h5 file beside its .json card."
        )
    card = ModelCard.read(weights)
    try:
        model = models.build(card.model, **card.options)
    except (TypeError, ValueError) as e:
        raise ModelLoadError(f"{ModelCard.path_for(weights).name}: cannot rebuild ({e}).") from None
    try:
        model.load_weights(weights)
    except Exception as e:  # h5py and Keras raise many kinds for a damaged or foreign file
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        reason = reason.replace(str(weights.resolve().parent) + "/", "")  # no server paths
        raise ModelLoadError(
            f"{weights.name} is not readable as the weights of {card.model!r} ({reason})."
        ) from None
    return model, card
