"""Keras definitions of the speech models: the seed's CNN (baseline), the net, and the sequence
nets over its frames (the GRU net ships)."""

from __future__ import annotations

import keras
from keras import layers

from emotion_core.labels import LABELS


def seed_cnn(n_mfcc: int, n_frames: int) -> keras.Model:
    """The seed prototype's CNN as written: one wide conv, a huge flatten, heavy dropout."""
    inp = keras.Input((n_mfcc, n_frames, 1), name="mfcc")
    x = layers.Conv2D(256, (4, 4), activation="relu")(inp)
    x = layers.MaxPooling2D((4, 4))(x)
    x = layers.BatchNormalization()(x)
    x = layers.Dropout(0.8)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Dense(32, activation="relu")(x)
    out = layers.Dense(len(LABELS), activation="softmax", name="probs")(x)
    return keras.Model(inp, {"probs": out}, name="seed_cnn")


def _conv_frames(image, widths: tuple[int, ...], pool_last: bool):
    """Convolutions over time with all coefficients as channels, each halving the frames after it
    (the last one too when `pool_last`)."""
    n_mfcc, n_frames, channels = image.shape[1:]
    x = layers.Permute((2, 1, 3))(image)
    x = layers.Reshape((n_frames, n_mfcc * channels))(x)
    for i, width in enumerate(widths):
        x = layers.Conv1D(width, 5, padding="same", use_bias=False, name=f"t{i}_conv")(x)
        x = layers.BatchNormalization(name=f"t{i}_bn")(x)
        x = layers.ReLU(name=f"t{i}_relu")(x)
        if pool_last or i < len(widths) - 1:
            x = layers.MaxPooling1D(2, name=f"t{i}_pool")(x)
    return x


def _conv1d_branch(image, widths: tuple[int, ...]):
    """The convolutions over time, then mean and max pooling."""
    x = _conv_frames(image, widths, pool_last=False)
    return layers.Concatenate(name="pool")([layers.GlobalAveragePooling1D()(x), layers.GlobalMaxPooling1D()(x)])


def _stats_branch_and_heads(image, stats, x, stats_width: int, name: str) -> keras.Model:
    """Join an image branch's pooled output `x` with the MLP over utterance statistics; the joint
    head "probs" and, for training only, a head on each branch alone."""
    x = layers.Dropout(0.3, name="image_dropout")(x)
    x = layers.Dense(64, activation="relu", name="image_dense")(x)
    s = layers.Dropout(0.2, name="stats_dropout")(stats)
    s = layers.Dense(stats_width, activation="relu", name="stats_dense1")(s)
    s = layers.Dropout(0.5, name="stats_dropout1")(s)
    s = layers.Dense(128, activation="relu", name="stats_dense2")(s)
    joint = layers.Dropout(0.5, name="joint_dropout")(layers.Concatenate(name="joint")([x, s]))
    s = layers.Dropout(0.5, name="stats_head_dropout")(s)
    return keras.Model([image, stats], {
        "probs": layers.Dense(len(LABELS), activation="softmax", name="probs")(joint),
        "image_probs": layers.Dense(len(LABELS), activation="softmax", name="image_probs")(x),
        "stats_probs": layers.Dense(len(LABELS), activation="softmax", name="stats_probs")(s),
    }, name=name)


def speech_net(n_mfcc: int, n_frames: int, n_stats: int, stats_width: int) -> keras.Model:
    """A compact CNN over MFCC+deltas (convolving over time) joined by an MLP over utterance
    statistics (MFCC statistics, prosody, spectral shape).

    Global pooling replaces the seed's flatten: thousands of weights at the head instead of
    millions, which is what let the seed memorise voices. The statistics branch carries the
    spectral envelope, pitch/energy and voice-quality cues that the per-window normalised image
    does not (`stats_width` 192; 256 measured no better).

    Outputs "probs" (the joint head, the only one exported) and, for training only, a head on each
    branch alone. Without its own head, and with dropout between it and the joint head, the image
    branch stayed near chance alone in screening runs and the net leant on the statistics; with
    it, each branch learns on its own (their heads are scored in speech_metrics.json) and the
    joint head gained on every fold.
    """
    image = keras.Input((n_mfcc, n_frames, 3), name="mfcc_image")
    stats = keras.Input((n_stats,), name="stats")
    return _stats_branch_and_heads(image, stats, _conv1d_branch(image, (64, 64, 96)), stats_width, "speech_net")


@keras.saving.register_keras_serializable(package="emotion_stream")
class AttentionPool(layers.Layer):
    """A learnt weighted mean over time: each frame scores itself, the scores are a softmax.

    Unlike mean and max pooling it can rest on the few frames that carry the emotion (a stressed
    syllable) and ignore pauses."""

    def build(self, input_shape):
        self.score = layers.Dense(1, name="score")
        self.score.build(input_shape)

    def call(self, x):
        weights = keras.ops.softmax(self.score(x), axis=1)
        return keras.ops.sum(weights * x, axis=1)


def speech_sequence_net(n_mfcc: int, n_frames: int, n_stats: int, stats_width: int, kind: str) -> keras.Model:
    """The net with a sequence model over the frames instead of pooling the convolutions at once.

    Two convolutions shorten the 151 frames to 37 steps; then `kind` "gru" runs a bidirectional
    GRU (the recurrent anchor in published speaker-independent work), "attention" one
    self-attention block with a feed-forward layer (no position code: the convolutions already
    give each step its neighbourhood). Attention pooling and max pooling sum the
    steps up; the statistics branch and the heads are the net's own."""
    image = keras.Input((n_mfcc, n_frames, 3), name="mfcc_image")
    stats = keras.Input((n_stats,), name="stats")
    x = _conv_frames(image, (64, 96), pool_last=True)
    if kind == "gru":
        x = layers.Bidirectional(layers.GRU(48, return_sequences=True), name="gru")(x)
    elif kind == "attention":
        a = layers.MultiHeadAttention(4, 24, dropout=0.1, name="attention")(x, x)
        x = layers.LayerNormalization(name="attention_norm")(x + a)
        f = layers.Dense(192, activation="relu", name="ffn1")(x)
        f = layers.Dense(x.shape[-1], name="ffn2")(layers.Dropout(0.1)(f))
        x = layers.LayerNormalization(name="ffn_norm")(x + f)
    else:
        raise ValueError(f"unknown sequence model {kind!r}")
    pooled = layers.Concatenate(name="pool")([AttentionPool(name="attention_pool")(x), layers.GlobalMaxPooling1D()(x)])
    return _stats_branch_and_heads(image, stats, pooled, stats_width, f"speech_{kind}_net")


def unrolled(model: keras.Model) -> keras.Model:
    """The same model with its GRUs unrolled over their fixed steps: TFLite has no int8 kernel for
    the loop a GRU is otherwise traced into, and the converter refuses its tensor lists. The
    weights are copied, so the outputs are the trained model's own; a model without a GRU comes
    back as it is."""
    if not any(isinstance(layer, layers.Bidirectional) for layer in model.layers):
        return model

    def clone(layer: layers.Layer) -> layers.Layer:
        config = layer.get_config()
        if isinstance(layer, layers.Bidirectional):
            for key in ("layer", "backward_layer"):
                if config.get(key):
                    config[key]["config"]["unroll"] = True
        return layer.__class__.from_config(config)

    twin = keras.models.clone_model(model, clone_function=clone)
    twin.set_weights(model.get_weights())
    return twin


def fold_ensemble(members: list[keras.Model]) -> keras.Model:
    """One graph that averages the fold models' probabilities: the shipped model.

    It also outputs every member's own probabilities, so that the shipped file can be checked on
    the actors each member never saw (member k held out fold k).
    """
    image = keras.Input(members[0].inputs[0].shape[1:], name="mfcc_image")
    stats = keras.Input(members[0].inputs[1].shape[1:], name="stats")
    renamed = [
        keras.Model(m.inputs, m.get_layer("probs").output, name=f"member{i}") for i, m in enumerate(members)
    ]
    outs = [m([image, stats]) for m in renamed]
    probs = layers.Average(name="probs")(outs)
    stacked = layers.Concatenate(axis=1, name="members")([layers.Reshape((1, len(LABELS)))(o) for o in outs])
    return keras.Model([image, stats], {"probs": probs, "members": stacked}, name="fold_ensemble")
