"""Group photos built from real faces, for face detection on large images.

Every face is a real one: skimage's astronaut, frames of the CREMA-D clips (actor 1001, six
emotions) and FER2013 test faces (48 x 48 grayscale, upscaled, on a grey margin as a cropped face
has none). Each sits in a cell of a grid on a real background (skimage's coffee photo, enlarged),
so the tests know where every face is. Built in memory: nothing is written to the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

SHARED = Path(__file__).resolve().parents[2] / "shared"
CREMA = sorted((SHARED / "data/crema_d_samples").glob("*.flv"))
FER_TEST = SHARED / "data/fer2013/test"
# Where the face is in each source, (x, y, w, h), as BlazeFace boxes it: the portrait is cut around it.
ASTRONAUT_FACE = (175, 75, 100, 100)
CREMA_FRAME = 20  # the frame of each clip used: the actor mid-sentence, facing the camera
CREMA_FACE = (160, 88, 114, 114)  # the full-range box of the actor's face there (all six clips within 4 px)


@dataclass(frozen=True)
class GroupPhoto:
    rgb: np.ndarray
    cells: list[tuple[int, int, int, int]]  # (x, y, w, h) of each face's cell: one face each


def _crema_frames() -> list[np.ndarray]:
    frames = []
    for path in CREMA:
        with av.open(str(path)) as container:
            for i, frame in enumerate(container.decode(video=0)):
                if i == CREMA_FRAME:
                    frames.append(frame.to_ndarray(format="rgb24"))
                    break
    return frames


def portrait(rgb: np.ndarray, face: tuple[int, int, int, int], side: int, fraction: float) -> np.ndarray:
    """A square of `side` pixels around `face`, scaled so the face is `fraction` of its width."""
    x, y, w, h = face
    span = round(w / fraction)
    cx, cy = x + w // 2, y + h // 2
    padded = cv2.copyMakeBorder(rgb, span, span, span, span, cv2.BORDER_REPLICATE)
    x0, y0 = cx + span - span // 2, cy + span - span // 2
    square = padded[y0 : y0 + span, x0 : x0 + span]
    interpolation = cv2.INTER_AREA if span > side else cv2.INTER_CUBIC
    return cv2.resize(square, (side, side), interpolation=interpolation)


def _fer_portrait(path: Path, side: int, fraction: float) -> np.ndarray:
    gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    face = round(side * fraction)
    tile = np.full((side, side), 128, np.uint8)
    offset = (side - face) // 2
    tile[offset : offset + face, offset : offset + face] = cv2.resize(gray, (face, face), interpolation=cv2.INTER_CUBIC)
    return np.repeat(tile[:, :, None], 3, axis=2)


def fer_faces(count: int) -> list[Path]:
    """A fixed spread of FER2013 test faces over all seven labels."""
    paths = sorted(FER_TEST.glob("*/*.jpg"))
    assert paths, f"test data missing: {FER_TEST}"
    return paths[:: len(paths) // count][:count]


def portraits(count: int, side: int, fraction: float) -> list[np.ndarray]:
    """`count` real faces, each `fraction` of a `side` x `side` square: the astronaut, the CREMA-D
    frames, then FER2013 faces."""
    from skimage.data import astronaut

    found = [portrait(astronaut(), ASTRONAUT_FACE, side, fraction)]
    found += [portrait(frame, CREMA_FACE, side, fraction) for frame in _crema_frames()]
    found += [_fer_portrait(p, side, fraction) for p in fer_faces(max(0, count - len(found)))]
    return found[:count]


def background(width: int, height: int) -> np.ndarray:
    """A real photo without a face (skimage's coffee), enlarged to the size asked for."""
    from skimage.data import coffee

    return cv2.resize(coffee(), (width, height), interpolation=cv2.INTER_CUBIC)


def group_photo(cols: int, rows: int, cell: int, fraction: float, margin: float = 0.15) -> GroupPhoto:
    """Faces in a `cols` x `rows` grid of `cell`-pixel cells on a real background; each portrait
    fills the cell but a `margin`, and its face is `fraction` of the portrait's width."""
    rgb = background(cols * cell, rows * cell)
    side = round(cell * (1 - margin))
    cells = []
    for i, portrait in enumerate(portraits(cols * rows, side, fraction)):
        r, c = divmod(i, cols)
        x, y = c * cell + (cell - side) // 2, r * cell + (cell - side) // 2
        rgb[y : y + side, x : x + side] = portrait
        cells.append((c * cell, r * cell, cell, cell))
    return GroupPhoto(rgb, cells)


def one_face_in_a_large_photo(width: int, height: int, face: int) -> GroupPhoto:
    """The astronaut's face `face` pixels wide, off-centre in a `width` x `height` photo."""
    from skimage.data import astronaut

    rgb = background(width, height)
    side = 2 * face
    x, y = width * 3 // 5, height // 3
    rgb[y : y + side, x : x + side] = portrait(astronaut(), ASTRONAUT_FACE, side, 0.5)
    return GroupPhoto(rgb, [(x, y, side, side)])


def matched(boxes: list[tuple[int, int, int, int]], photo: GroupPhoto) -> tuple[int, int]:
    """(cells with exactly one box centred in them, boxes centred in no cell or in a cell twice)."""
    hits = [0] * len(photo.cells)
    stray = 0
    for x, y, w, h in boxes:
        cx, cy = x + w / 2, y + h / 2
        inside = [i for i, (px, py, pw, ph) in enumerate(photo.cells) if px <= cx < px + pw and py <= cy < py + ph]
        if inside:
            hits[inside[0]] += 1
        else:
            stray += 1
    return sum(h == 1 for h in hits), stray + sum(max(0, h - 1) for h in hits)
