"""Faces in group photos and large photos: detection over tiles at several scales, merged by
non-maximum suppression (emotion_core/face/face_tiles.py), on photos built from real faces
(tests/group_photos.py)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.data import astronaut, chelsea, coffee

from emotion_core.face import face_tiles as ft
from group_photos import ASTRONAUT_FACE, GroupPhoto, background, group_photo, matched, one_face_in_a_large_photo, portrait


@pytest.fixture(scope="module")
def detector(analyzer):
    return analyzer.face_detector


@pytest.fixture
def passes(detector, monkeypatch) -> list[tuple[int, int]]:
    """The size of every image the detector's model is run on, in order."""
    seen: list[tuple[int, int]] = []
    real = detector._pass

    def counting(model, rgb):
        seen.append(rgb.shape[:2])
        return real(model, rgb)

    monkeypatch.setattr(detector, "_pass", counting)
    return seen


@pytest.mark.parametrize("size", [(640, 480), (2560, 2048), (4032, 3024), (7000, 4667), (1000, 120)])
def test_every_small_face_lies_whole_in_a_tile_of_its_level(size):
    width, height = size
    rng = np.random.default_rng(0)
    for side in ft.tile_sides(width, height):
        regions = ft.tiles(width, height, side)
        assert all(0 <= x and 0 <= y and x + w <= width and y + h <= height for x, y, w, h in regions)
        face = min(int(ft.OVERLAP * side), width, height)
        for _ in range(200):
            x, y = rng.integers(0, width - face + 1), rng.integers(0, height - face + 1)
            assert any(rx <= x and x + face <= rx + rw and ry <= y and y + face <= ry + rh for rx, ry, rw, rh in regions)


def test_levels_stop_once_the_smallest_face_searched_for_is_visible():
    assert ft.tile_sides(320, 240) == []  # a small image: one pass
    for width, height in [(640, 480), (2560, 2048), (4032, 3024)]:
        sides = ft.tile_sides(width, height)
        assert sides[-1] * ft.REL_MIN_FACE <= ft.min_face(width, height) < 2 * sides[-1] * ft.REL_MIN_FACE
    assert sum(len(ft.tiles(4032, 3024, side)) for side in ft.tile_sides(4032, 3024)) < 120


def test_suppression_keeps_the_best_of_overlapping_boxes_and_all_apart():
    boxes = [(100, 100, 50, 50), (105, 102, 48, 50), (300, 300, 60, 60), (110, 110, 20, 20)]
    # 0 and 1 are one face found twice; 3 lies inside it (a part of the face): one face, the best box.
    assert ft.suppress(boxes, [0.7, 0.9, 0.8, 0.6]) == [1, 2]
    assert ft.suppress([], []) == []


def test_a_box_cut_by_an_inner_tile_edge_is_dropped_but_not_at_the_image_edge():
    region, image = (500, 0, 500, 500), (2000, 500)
    assert ft.cut_by_tile((500, 100, 60, 60), region, image)  # on the tile's left edge, inside the image
    assert ft.cut_by_tile((950, 100, 50, 60), region, image)  # on its right edge
    assert not ft.cut_by_tile((600, 0, 60, 60), region, image)  # on the image's top edge
    assert not ft.cut_by_tile((600, 100, 60, 60), region, image)


def test_webcam_and_video_frames_stay_one_pass(detector, passes):
    frame = np.ascontiguousarray(background(640, 480))
    frame[40:440, 120:520] = portrait(astronaut(), ASTRONAUT_FACE, 400, 0.5)  # a 200 px face, as at a webcam
    for short_range in (True, False):
        passes.clear()
        faces = detector.detect(frame, short_range=short_range)
        assert len(faces) == 1 and passes == [(480, 640)]


ASTRONAUTS = GroupPhoto(np.tile(astronaut(), (3, 3, 1)), [(c * 512, r * 512, 512, 512) for r in range(3) for c in range(3)])


@pytest.mark.parametrize(
    ("photo", "at_least", "strays"),
    [
        # The same face nine times at 100 px in 1536 x 1536: one pass finds none of them.
        (ASTRONAUTS, 9, 0),
        # Twenty different real faces of about 150 px in 2560 x 2048: one pass finds 3.
        (group_photo(5, 4, 512, 0.35), 16, 0),
        # Twenty-four of about 140 px in a 12 MP photo: one pass finds none.
        (group_photo(6, 4, 672, 0.25), 15, 1),
    ],
    ids=["astronaut_3x3", "group_of_20", "group_of_24_12MP"],
)
def test_a_group_photo_finds_its_faces(detector, photo, at_least, strays):
    one_pass = matched([d.box for d in detector.detect(photo.rgb)], photo)[0]
    found, stray = matched([d.box for d in detector.detect(photo.rgb, tiled=True)], photo)
    assert found >= at_least and found > one_pass and stray <= strays, (one_pass, found, stray)


def test_one_face_in_a_large_photo_is_found_where_it_is(detector):
    photo = one_face_in_a_large_photo(7000, 4667, 512)
    (face,) = detector.detect(photo.rgb, tiled=True)
    x, y, w, h = photo.cells[0]
    assert x < face.box[0] and face.box[0] + face.box[2] < x + w and y < face.box[1] and face.box[1] + face.box[3] < y + h
    assert 400 <= face.box[2] <= 640


@pytest.mark.parametrize("picture", [coffee, chelsea], ids=["coffee", "cat"])
def test_a_large_photo_without_a_face_stays_without(detector, picture):
    import cv2

    assert detector.detect(cv2.resize(picture(), (4000, 3000)), tiled=True) == []


def test_photos_are_tiled_and_snapshots_not(analyzer, passes):
    photo = group_photo(5, 4, 512, 0.35)
    assert len(analyzer.analyze_image(photo.rgb).faces) >= 16
    assert len(passes) > 1
    passes.clear()
    analyzer.analyze_image(photo.rgb, webcam=True)
    assert len(passes) == 1
