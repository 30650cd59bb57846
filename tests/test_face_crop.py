"""The face preprocessing that training and serving share."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from emotion_core.face.face_crop import FACE_SIZE, Views, crop, face_input, square_box, to_gray, view_inputs, warp
from emotion_core.model_set import FaceInput


def test_square_box_is_widened_by_the_margin_and_lifted():
    x, y, side, side2 = square_box((100, 50, 40, 60), margin=0.25, lift=0.1)
    assert side == side2 == 90  # the longer side, 60, plus 25 % on each side
    assert (x + side / 2, y + side / 2) == pytest.approx((120, 80 - 6), abs=0.5)


def test_crop_outside_the_image_repeats_the_edge_and_keeps_the_size():
    gray = np.arange(100, dtype=np.uint8).reshape(10, 10)
    piece = crop(gray, (-3, 7, 6, 6))  # rows 7..12, columns -3..2 of a 10 x 10 image
    assert piece.shape == (6, 6)
    assert (piece[:3, 3:] == gray[7:10, :3]).all()  # the part inside, in place
    assert (piece[3:] == piece[2]).all()  # rows past the bottom repeat the last row
    assert (piece[:, :3] == piece[:, 3:4]).all()  # columns before 0 repeat the first column


def test_face_input_is_standardised_and_sized_for_the_model():
    rng = np.random.default_rng(0)
    assert face_input(rng.integers(0, 256, (120, 90), dtype=np.uint8)).shape == (FACE_SIZE, FACE_SIZE, 1)
    x = face_input(rng.integers(0, 256, (FACE_SIZE, FACE_SIZE), dtype=np.uint8))
    assert x.dtype == np.float32
    assert abs(float(x.mean())) < 1e-4 and 0.85 < float(x.std()) < 1.0  # std / (std + 8), std ~ 74


def test_face_input_ignores_exposure_and_keeps_the_pattern_under_lower_contrast():
    rng = np.random.default_rng(1)
    face = rng.integers(60, 180, (FACE_SIZE, FACE_SIZE)).astype(np.uint8)
    brighter = face + np.uint8(50)
    assert np.abs(face_input(face) - face_input(brighter)).max() < 1e-4
    flatter = (face.astype(np.float32) * 0.5).astype(np.uint8)
    assert np.corrcoef(face_input(face).ravel(), face_input(flatter).ravel())[0, 1] > 0.99


def test_smoothing_removes_pixel_level_detail_but_keeps_face_scale_shading():
    rows, cols = np.indices((FACE_SIZE, FACE_SIZE))
    checker = np.where((rows + cols) % 2, 200, 50).astype(np.uint8)  # the finest detail there is
    shading = (rows * 4 + 20).astype(np.uint8)  # a slow gradient, like light across a face
    assert float(face_input(checker).std()) > 0.9
    assert float(face_input(checker, 0.8).std()) < 0.1
    assert np.corrcoef(face_input(shading).ravel(), face_input(shading, 0.8).ravel())[0, 1] > 0.99


def test_to_gray_accepts_gray_rgb_and_rgba_and_rejects_others():
    rgb = np.zeros((20, 20, 3), np.uint8)
    rgb[..., 1] = 200
    assert to_gray(rgb).shape == (20, 20) and to_gray(rgb)[0, 0] == round(0.587 * 200)
    assert (to_gray(np.dstack([rgb, np.zeros((20, 20), np.uint8)])) == to_gray(rgb)).all()
    assert (to_gray(rgb[..., 1]) == 200).all()
    with pytest.raises(ValueError):
        to_gray(np.zeros((20, 20, 2), np.uint8))


def test_views_default_to_the_single_plain_crop_and_round_trip_through_the_manifest():
    face = np.random.default_rng(1).integers(0, 256, (60, 60), dtype=np.uint8)
    (only,) = view_inputs(face, Views())
    assert np.array_equal(only, face_input(face))
    plain = FaceInput.from_dict({"tensor": "face", "tensors": {"face": [48, 48, 1]}, "crop": "the box"})
    assert Views.from_manifest(plain) == Views()
    views = Views(mirror=True, smoothing=0.6, warps=((1.0, 0.0), (1.1, 0.0), (1.0, -8.0)))
    named = FaceInput.from_dict(replace(plain, **views.to_manifest()).to_dict())
    assert Views.from_manifest(named) == views


def test_view_inputs_hold_every_warp_and_its_mirror_image():
    face = np.tile(np.linspace(0, 255, FACE_SIZE, dtype=np.float32), (FACE_SIZE, 1)).astype(np.uint8)
    views = Views(mirror=True, smoothing=0.0, warps=((1.0, 0.0), (1.2, 0.0), (1.0, 10.0)))
    tensors = view_inputs(face, views)
    assert len(tensors) == views.passes == 6
    assert all(t.shape == (FACE_SIZE, FACE_SIZE, 1) for t in tensors)
    assert np.array_equal(tensors[3], tensors[0][:, ::-1])  # the mirrored plain view
    assert not np.allclose(tensors[1], tensors[0])  # the zoomed view differs


def test_warp_zooms_about_the_centre():
    face = np.zeros((FACE_SIZE, FACE_SIZE), np.uint8)
    face[20:28, 20:28] = 255  # an 8-pixel square at the centre
    assert np.array_equal(warp(face, 1.0, 0.0), face)
    zoomed = warp(face, 1.5, 0.0)
    bright = np.argwhere(zoomed > 127)
    assert bright.min(axis=0).tolist() == [18, 18] and bright.max(axis=0).tolist() == [29, 29]
