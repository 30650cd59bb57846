"""The face pipeline on real faces, on images without any, and on every image shape users send."""

from __future__ import annotations

import numpy as np
import pytest

from emotion_core import Analyzer
from emotion_core.decode.image import ImageError, as_rgb, load_image
from emotion_core.labels import LABELS

FACE_LABELS = [label for label in LABELS if label != "calm"]
# Where BlazeFace puts the astronaut's face in skimage.data.astronaut() (x, y, w, h), +- TOLERANCE.
ASTRONAUT_FACE = (175, 75, 100, 100)
TOLERANCE = 15


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer().load()


def _near(box, expected, tolerance=TOLERANCE) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(box, expected))


@pytest.mark.parametrize("webcam", [False, True], ids=["full_range", "short_range"])
def test_finds_the_one_real_face_with_a_distribution(analyzer, face_images, webcam):
    result = analyzer.analyze_image(face_images.astronaut, webcam=webcam)
    assert len(result.faces) == 1
    face = result.faces[0]
    assert _near(face.box, ASTRONAUT_FACE), face.box
    assert face.score > 0.8
    assert list(face.probs) == FACE_LABELS
    assert sum(face.probs.values()) == pytest.approx(1.0, abs=1e-6)
    assert result.note is None


@pytest.mark.parametrize("name", ["jpeg", "png_gray", "png_rgba", "png_16bit", "webp", "exif_rotated"])
def test_every_format_and_orientation_finds_the_face_where_a_viewer_shows_it(analyzer, face_images, name):
    result = analyzer.analyze_image(face_images.files[name])
    assert (result.width, result.height) == (512, 512)
    assert len(result.faces) == 1 and _near(result.faces[0].box, ASTRONAUT_FACE), result.faces


def test_a_huge_photo_is_detected_shrunk_and_boxed_in_original_pixels(analyzer, face_images):
    result = analyzer.analyze_image(face_images.files["huge"])
    assert (result.width, result.height) == (6000, 4000)
    expected = tuple(round(v * 4) for v in ASTRONAUT_FACE)
    expected = (expected[0] + 3500, expected[1] + 1800, expected[2], expected[3])
    assert len(result.faces) == 1 and _near(result.faces[0].box, expected, 4 * TOLERANCE), result.faces


def test_several_faces_come_largest_first(analyzer, face_images):
    faces = analyzer.analyze_image(face_images.files["two_faces"]).faces
    assert len(faces) == 2
    assert faces[0].box[2] > faces[1].box[2]
    assert faces[0].box[0] < 512 <= faces[1].box[0]  # the full-size astronaut is the left one


@pytest.mark.parametrize("name", ["no_face", "flat"])
def test_an_image_without_a_face_gives_an_empty_list_and_a_note(analyzer, face_images, name):
    result = analyzer.analyze_image(face_images.files[name])
    assert result.faces == []
    assert result.to_dict() == {"faces": [], "abstain": "no face", "note": "no face found"}


@pytest.mark.parametrize("name, message", [("tiny", "too small"), ("random_bytes", "cannot read this image")])
def test_unusable_images_raise_a_message_for_the_user(face_images, name, message):
    with pytest.raises(ImageError, match=message):
        load_image(face_images.files[name])


def test_a_missing_file_is_said_without_its_path(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "gone.png")


def test_whole_face_skips_detection_and_boxes_the_whole_image(analyzer, fer_sample):
    path, _ = fer_sample[0]
    result = analyzer.analyze_image(path, whole=True)
    assert len(result.faces) == 1
    assert result.faces[0].box == (0, 0, 48, 48) and result.faces[0].score == 1.0


@pytest.mark.parametrize(
    ("size", "message"),
    [((60_000, 20), r"too narrow \(60000x20\)"), ((20, 500), r"too narrow \(20x500\)"), ((8, 8), r"too small \(8x8\)")],
)
def test_a_strip_or_a_speck_is_refused_with_a_reason_not_an_opencv_assertion(tmp_path, size, message):
    from PIL import Image

    path = tmp_path / "strip.png"
    Image.new("L", size).save(path)
    with pytest.raises(ImageError, match=message):
        load_image(path)
    with pytest.raises(ImageError, match=message):
        as_rgb(np.zeros((size[1], size[0], 3), np.uint8))  # arrays (frames, the Python API) alike


def test_a_declared_size_over_the_limit_is_refused_before_decoding(tmp_path):
    """A 20 KB PNG that declares 144 MP is refused from its header, in milliseconds."""
    import time

    from bad_inputs import _png

    path = _png(tmp_path / "bomb.png", 12_000, 12_000)
    assert path.stat().st_size < 200_000
    started = time.perf_counter()
    with pytest.raises(ImageError, match=r"^the image is too large \(12000x12000\); the limit is 50 MP$"):
        load_image(path)
    assert time.perf_counter() - started < 0.5  # decoding 144 MP would take seconds and gigabytes


def test_image_messages_name_no_path(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("not a picture")
    with pytest.raises(ImageError) as info:
        load_image(path)
    assert str(info.value) == "cannot read this image: not a format the app reads (jpg, png, webp, bmp, tiff, gif, ...)"
