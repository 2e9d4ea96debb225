"""Optimizers that the papers describe and Keras does not ship."""

from __future__ import annotations

import keras
from keras import ops


def summed_over_replicas(grads) -> tuple[list, int]:
    """``(gradients summed over the replicas, replicas)`` under a ``tf.distribute`` strategy.

    Keras sums the replicas' gradients only in ``apply``'s last stage, after its own
    clipping and decay: a rule on the gradient (a clip, an L2 term) applied before that
    acts on each replica's share of the batch, so with R replicas the decay would be R
    times too strong and the clip bound R times too loose. This gives the whole batch's
    gradient first (each replica's loss is already divided by R). Elsewhere (one device,
    or JAX, whose data-parallel gradients are global already): ``(grads, 1)``.
    """
    if keras.backend.backend() != "tensorflow":
        return list(grads), 1
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    replicas = context.num_replicas_in_sync if context is not None else 1
    if replicas == 1:
        return list(grads), 1
    present = [g for g in grads if g is not None]
    summed = iter(context.all_reduce(tf.distribute.ReduceOp.SUM, present))
    return [None if g is None else next(summed) for g in grads], replicas


@keras.saving.register_keras_serializable(package="zoo")
class AdjustableClipSGD(keras.optimizers.SGD):
    """SGD with momentum, VDSR's adjustable gradient clipping and coupled L2 decay.

    Kim et al. 2016, Sec. 3.3 ("Adjustable Gradient Clipping"): every gradient
    element is clipped to ``[-theta / lr, theta / lr]`` where ``lr`` is the
    current learning rate, so that the step ``lr * g`` is bounded by ``theta``
    however large the learning rate; this is what lets VDSR train with a
    learning rate of 0.1. The paper does not state ``theta``; our default,
    1e-4, is the largest of the values we tried that keeps VDSR alive at lr
    0.1. Measured on CPU, full VDSR, batch 64, paper recipe: with 0.01, 74% of
    the ReLU channels were dead (zero on every pixel of five Set5 crops) after
    10 steps, and the crops' PSNR was 6 dB; with 1e-3, 34-56% were dead over 40
    steps; with 1e-4, 2-5%, and the PSNR was 34.3-35.2 dB. A command-line option.

    ``l2`` is weight decay as the paper's Caffe/MatConvNet-era training applies
    it: ``l2 * w`` added to the (clipped) gradient before momentum (Sec. 4.1:
    "weight decay 0.0001"), not the decoupled decay of Keras' ``weight_decay``
    (which would act about 1 / (1 - momentum) = 10 times more weakly). Biases are
    not decayed.

    ``clip_norm`` replaces the paper's rule by the one of twtygqyy/pytorch-vdsr
    (whose Set5 results are above the paper's): all gradients scaled together
    so that their global L2 norm is at most ``clip_norm`` (0.4 there), before
    the L2 decay is added, as ``torch.nn.utils.clip_grad_norm`` before
    ``torch.optim.SGD(weight_decay=...)`` does. ``theta`` is then unused.

    Under several replicas both rules act on the whole batch's gradient, as on one
    device (:func:`summed_over_replicas`).
    """

    def __init__(self, learning_rate=0.1, momentum=0.9, theta=1e-4, l2=1e-4, clip_norm=None,
                 name="adjustable_clip_sgd", **kwargs):
        super().__init__(learning_rate=learning_rate, momentum=momentum, name=name, **kwargs)
        self.theta = theta
        self.l2 = l2
        self.clip_norm = clip_norm

    def clipped(self, grads):
        """The gradients after clipping: per element by ``theta / lr``, or by global norm."""
        if self.clip_norm is None:
            bound = self.theta / ops.cast(self.learning_rate, "float32")
            return [None if g is None else ops.clip(g, -ops.cast(bound, g.dtype),
                                                     ops.cast(bound, g.dtype)) for g in grads]
        norm = ops.sqrt(sum(ops.sum(ops.square(ops.cast(g, "float32")))
                            for g in grads if g is not None))
        factor = ops.minimum(1.0, self.clip_norm / ops.maximum(norm, 1e-12))
        return [None if g is None else g * ops.cast(factor, g.dtype) for g in grads]

    def apply(self, grads, trainable_variables=None):
        variables = (trainable_variables if trainable_variables is not None
                     else self._trainable_variables)
        grads, replicas = summed_over_replicas(grads)
        new_grads = []
        for g, v in zip(self.clipped(grads), variables):
            if g is not None:
                if self.l2 and len(v.shape) > 1:  # kernels only
                    g = g + ops.cast(self.l2, g.dtype) * ops.cast(v, g.dtype)
                if replicas > 1:  # Keras sums over the replicas again
                    g = g / replicas
            new_grads.append(g)
        return super().apply(new_grads, trainable_variables)

    def get_config(self):
        config = super().get_config()
        config.update({"theta": self.theta, "l2": self.l2, "clip_norm": self.clip_norm})
        return config
