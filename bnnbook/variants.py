"""The book's network with other quantizers: the methods that chapter 6 measures.

Each variant is one of the two twins of :mod:`bnnbook.models`, rebuilt layer by layer
with other quantizers: the binarized model (``sign`` between layers) for methods that
binarize activations, the float twin (ReLU between layers) for weights-only
binarization, which needs a real non-linearity. Everything else (layers, channels,
batch normalisation, softmax) stays as in :mod:`bnnbook.models`, so the methods differ
in their quantizers alone and train with the same recipe, seed and data split.

The methods, by their quantizers (Larq's, :mod:`larq.quantizers`): ``q`` is the
forward pass, ``dq/dx`` what the backward pass uses as its derivative, ``w`` a latent
weight, ``x`` an activation.

- ``ste_sign``, BinaryNet (:data:`BINARY`; every quantizer a variant does not
  change): ``q(x) = sign(x)``, +1 where ``x >= 0``, else -1; ``dq/dx = 1`` where
  ``|x| <= 1``, else 0 (the clipped straight-through estimator). Courbariaux, Hubara
  et al. 2016, "Binarized Neural Networks: Training Deep Neural Networks with
  Weights and Activations Constrained to +1 or -1" (arXiv:1602.02830).
- Weights only: ``ste_sign`` kernels, real activations through ReLU. BinaryConnect,
  Courbariaux, Bengio and David 2015, "BinaryConnect: Training Deep Neural Networks
  with binary weights during propagations" (NeurIPS). ``weight_clip`` keeps every
  latent weight in [-1, 1], where the gradient passes unchanged.
- Activations only: ``ste_sign`` inputs, float32 kernels, no constraint: BinaryNet
  with its weights left real, an ablation rather than a published method.
- ``magnitude_aware_sign`` (kernels; inputs stay ``ste_sign``):
  ``q(w) = a_c * sign(w)``, with ``a_c`` the mean of ``|w|`` over output channel
  ``c``'s kernel; ``dq/dw = a_c`` where ``|w| <= 1``, else 0 (``a_c`` is held
  constant in the backward pass). ``a_c`` is XNOR-Net's weight scaling factor:
  Rastegari, Ordonez, Redmon and Farhadi 2016, "XNOR-Net: ImageNet Classification
  Using Binary Convolutional Neural Networks" (ECCV). Larq implements it for Bi-Real
  Net's magnitude-aware gradient (Liu et al. 2018, section 3.3).
- ``approx_sign`` (inputs; kernels stay ``ste_sign``): ``q(x) = sign(x)`` as above;
  ``dq/dx = 2 - 2|x|`` where ``|x| <= 1``, else 0, the derivative of Bi-Real Net's
  piecewise quadratic approximation of sign (``2x + x^2`` on [-1, 0), ``2x - x^2`` on
  [0, 1)). Liu, Wu, Luo, Yang, Liu and Cheng 2018, "Bi-Real Net: Enhancing the
  Performance of 1-bit CNNs with Improved Representational Capability and Advanced
  Training Algorithm" (ECCV).
- ``ste_tern`` (kernels; activations stay ``ste_sign``): ``q(w)`` is +1 where
  ``w >= d``, -1 where ``w <= -d``, 0 between, with Larq's fixed threshold
  ``d = 0.05`` and no scaling factor (Ternary Weight Networks set
  ``d = 0.7 * mean(|w|)``, Larq's ``ternary_weight_networks=True``, not used here);
  ``dq/dw = 1`` where ``|w| <= 1``, else 0. Li, Zhang and Liu 2016, "Ternary Weight
  Networks" (arXiv:1605.04711).
- DoReFa at 2 bits (inputs and kernels, no constraint): 4 levels each, not binary;
  forward and backward in :func:`dorefa`. Zhou, Wu, Ni, Zhou, Wen and Zou 2016,
  "DoReFa-Net: Training Low Bitwidth Convolutional Neural Networks with Low
  Bitwidth Gradients" (arXiv:1606.06160).
"""

from __future__ import annotations

import dataclasses

import larq as lq
import tensorflow as tf

from bnnbook.models import binary_model, float_model

#: A Larq quantizer as ``QuantConv2D`` accepts it: a name (``"ste_sign"``), a
#: serialized quantizer (``{"class_name": "DoReFa", "config": {...}}``) or ``None``.
Quantizer = str | dict | None

#: Keras weight layers and the Larq layers that replace them.
_QUANT_LAYERS = {
    tf.keras.layers.Conv2D: lq.layers.QuantConv2D,
    lq.layers.QuantConv2D: lq.layers.QuantConv2D,
    tf.keras.layers.Dense: lq.layers.QuantDense,
    lq.layers.QuantDense: lq.layers.QuantDense,
}


def dorefa(k_bit: int, mode: str) -> dict:
    """Larq's DoReFa quantizer at ``k_bit`` bits, serialized (``mode``: ``"weights"``
    or ``"activations"``; activations are clipped to [0, 1] before quantizing).

    With ``n = 2**k_bit - 1`` and ``r(v) = round(n * v) / n`` (``n + 1`` levels in
    [0, 1]), the forward pass is, for activations, ``q(x) = r(clip(x, 0, 1))``, and for
    weights ``q(w) = 2 * r(tanh(w) / (2 * max|tanh(w)|) + 1/2) - 1``, in [-1, 1] (the
    maximum over the whole kernel). At 2 bits: {0, 1/3, 2/3, 1} and {-1, -1/3, 1/3, 1}.

    Backward: ``r`` passes the gradient straight through (derivative 1); the clip's
    derivative around it is 1 on [0, 1] and 0 outside, tanh's is its own, and
    ``max|tanh(w)|`` is held constant. Zhou et al. 2016, "DoReFa-Net: Training Low
    Bitwidth Convolutional Neural Networks with Low Bitwidth Gradients"
    (arXiv:1606.06160), section 2.3."""
    return {"class_name": "DoReFa", "config": {"k_bit": k_bit, "mode": mode}}


@dataclasses.dataclass(frozen=True)
class Variant:
    """One quantization method on the book's architecture.

    Attributes:
        name: artifact name (see :func:`bnnbook.artifacts.load_or_train`), unique.
        label: how tables and figures name it.
        base: ``"binary"`` or ``"float"``: which twin of :mod:`bnnbook.models` it
            rebuilds (``"float"`` keeps ReLU between layers).
        input_quantizer: quantizer of the input of every weight layer but the first
            (whose input is the image), ``None`` for real-valued activations.
        kernel_quantizer: quantizer of every weight layer's kernel, ``None`` for real
            (float32) weights.
        kernel_constraint: constraint on the latent weights of quantized kernels.
        method: the method and paper it stands for, in a few words.
    """

    name: str
    label: str
    base: str = "binary"
    input_quantizer: Quantizer = "ste_sign"
    kernel_quantizer: Quantizer = "ste_sign"
    kernel_constraint: str | None = "weight_clip"
    method: str = ""

    def build(self) -> tf.keras.Sequential:
        """A fresh, untrained model of this variant (seed first for reproducible
        initial weights)."""
        base = {"binary": binary_model, "float": float_model}[self.base]()
        return requantize(
            base,
            self.input_quantizer,
            self.kernel_quantizer,
            self.kernel_constraint,
            name=self.name,
        )


#: Chapter 3's BinaryNet: the reference every other variant changes one thing of.
BINARY = Variant(
    "binary",
    "BinaryNet (ste_sign)",
    method="BinaryNet: sign weights and activations, STE",
)

#: The methods chapter 6 trains, besides the float and BinaryNet models it reuses
#: (each one's forward, backward and paper: the module's docstring).
VARIANTS = (
    Variant(
        "weights_only",
        "weights binary, activations real",
        base="float",
        input_quantizer=None,
        method="BinaryConnect: sign weights, ReLU activations",
    ),
    Variant(
        "activations_only",
        "activations binary, weights real",
        kernel_quantizer=None,
        kernel_constraint=None,
        method="sign activations, float32 weights",
    ),
    Variant(
        "xnor",
        "sign weights, scaled per channel",
        kernel_quantizer="magnitude_aware_sign",
        method="XNOR-Net's weight scaling (mean magnitude per channel), Larq's "
        "Bi-Real weight quantizer",
    ),
    Variant(
        "bireal_approx",
        "ApproxSign activations",
        input_quantizer="approx_sign",
        method="Bi-Real Net's activation gradient, piecewise linear: 2 - 2 abs(x)",
    ),
    Variant(
        "ternary",
        "ternary weights (ste_tern)",
        kernel_quantizer="ste_tern",
        method="ternary weights {-1, 0, +1}, sign activations",
    ),
    Variant(
        "dorefa2",
        "DoReFa, 2-bit weights and activations",
        input_quantizer=dorefa(2, "activations"),
        kernel_quantizer=dorefa(2, "weights"),
        kernel_constraint=None,
        method="DoReFa-Net at 2 bits: not binary",
    ),
)


def requantize(
    model: tf.keras.Sequential,
    input_quantizer: Quantizer,
    kernel_quantizer: Quantizer,
    kernel_constraint: str | None,
    name: str | None = None,
) -> tf.keras.Sequential:
    """``model``, rebuilt with every weight layer a Larq layer with these quantizers.

    ``Conv2D``/``Dense`` (or their Larq versions) become ``QuantConv2D``/``QuantDense``;
    the first weight layer gets no input quantizer, since its input is the image. Every
    other layer is rebuilt from its configuration. Weights are not copied: the result
    is untrained.
    """
    layers, first = [], True
    for layer in model.layers:
        config = {k: v for k, v in layer.get_config().items() if k != "name"}
        quant = _QUANT_LAYERS.get(type(layer))
        if quant is None:
            layers.append(type(layer).from_config(config))
            continue
        config.update(
            input_quantizer=None if first else input_quantizer,
            kernel_quantizer=kernel_quantizer,
            kernel_constraint=kernel_constraint if kernel_quantizer else None,
        )
        layers.append(quant.from_config(config))
        first = False
    return tf.keras.Sequential(
        [tf.keras.Input(model.input_shape[1:]), *layers], name=name or model.name
    )


def parameter_bits(model: tf.keras.Model) -> dict[int, int]:
    """Parameters per bit width at inference, from Larq's profile: ``{1: n, 32: m}``
    for a BNN (binary kernels; batch normalisation and real kernels in float32)."""
    profile = lq.models.ModelProfile(model)
    return {
        bits: profile.weight_count(bitwidth=bits)
        for bits in sorted(profile.unique_param_bidtwidths)
    }


def packed_bytes(model: tf.keras.Model) -> float:
    """Bytes of the parameters at their bit widths, densely packed (Larq's memory
    count, 8 bits a byte): the size a deployment cannot beat."""
    return lq.models.ModelProfile(model).memory / 8
