"""The practical advice chapter 9 measures, as changes to chapter 3's BNN.

A :class:`Change` edits the book's binarized model (:func:`bnnbook.models.binary_model`)
in one or more ways the survey or Larq's guide recommends, and says how it is trained
(a :class:`bnnbook.training.Recipe`). Everything it does not name stays as in chapter 3,
so each change is measured against chapter 3's model alone.
"""

from __future__ import annotations

import dataclasses

import larq as lq
import tensorflow as tf

from bnnbook.models import binary_model
from bnnbook.training import Recipe


@dataclasses.dataclass(frozen=True)
class Change:
    """Chapter 3's BNN with some of the advice applied.

    Attributes:
        name: artifact name, unique.
        label: how tables and figures name it.
        recipe: how it is trained (optimizer, distillation, epochs).
        width: channel multiplier of every layer but the last (1: chapter 3's).
        real_last_layer: the final dense layer keeps float32 weights and float
            inputs (the hidden layer's batch-normalised outputs, no sign).
        no_batch_norm_after: indices (0-based, in layer order) of the weight layers
            whose batch normalisation is removed, so the next layer's sign sees their
            raw sums.
        batch_norm_momentum: every batch normalisation's momentum; ``None`` keeps
            Keras's 0.99.
        from_float: initialise from the trained float twin's weights (same shapes)
            instead of at random.
    """

    name: str
    label: str
    recipe: Recipe
    width: int = 1
    real_last_layer: bool = False
    no_batch_norm_after: tuple[int, ...] = ()
    batch_norm_momentum: float | None = None
    from_float: bool = False

    def key(self) -> dict:
        """What the trained model depends on beyond its recipe: its artifact key (as
        JSON stores it, so that a saved key compares equal)."""
        fields = dataclasses.asdict(self)
        fields["no_batch_norm_after"] = list(self.no_batch_norm_after)
        return {k: v for k, v in fields.items() if k not in ("label", "recipe")}

    def build(self, float_weights: list | None = None) -> tf.keras.Sequential:
        """A fresh model with this change (seed first for reproducible initial
        weights); with ``from_float``, ``float_weights`` (the float twin's
        ``get_weights()``, at width 1) are its initial weights."""
        base = binary_model(self.width)
        weighted = (lq.layers.QuantConv2D, lq.layers.QuantDense)
        last = [layer for layer in base.layers if isinstance(layer, weighted)][-1]
        layers, weight_layer = [], -1
        for layer in base.layers:
            config = layer.get_config()
            kind = type(layer)
            if kind in weighted:
                weight_layer += 1
                if self.real_last_layer and layer is last:
                    config.update(input_quantizer=None, kernel_quantizer=None,
                                  kernel_constraint=None)  # fmt: skip
            elif kind is tf.keras.layers.BatchNormalization:
                if weight_layer in self.no_batch_norm_after:
                    continue
                if self.batch_norm_momentum is not None:
                    config["momentum"] = self.batch_norm_momentum
            layers.append(kind.from_config(config))
        model = tf.keras.Sequential([tf.keras.Input(base.input_shape[1:]), *layers],
                                    name=self.name)  # fmt: skip
        if self.from_float:
            if float_weights is None:
                raise ValueError(
                    f"{self.name} starts from the float twin: pass its weights, "
                    "build(float_weights=float_net.get_weights())"
                )
            model.set_weights(float_weights)
        return model
