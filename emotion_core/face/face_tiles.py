"""Where to look for faces in a photo: the whole frame, then overlapping tiles at finer scales;
and how the boxes found in them become one list (non-maximum suppression).

BlazeFace sees what it is shown at 192 x 192 pixels, so it finds a face reliably only from about
REL_MIN_FACE of the longer side shown: the faces of a group photo, or one face in a large frame,
are lost in a single pass. Each level of tiles halves the side of the one before, so that the
faces the level above could not see fill enough of a tile, and tiles overlap by OVERLAP, so that
every face small enough to need the level lies whole in one tile (a box cut by a tile's inner
edge is dropped: the face is whole in the neighbour). Levels stop once a face of min_face pixels
is visible. Tiles are shrunk to TILE_SIDE first (the model's input is 192): one resize per
level, and the cost is the number of tiles (about 4 ms each), never the size of the photo.

Measured on group photos of real faces (tests/group_photos.py, tests/test_face_tiles.py): a
5 x 4 group at 2560 x 2048 went from 3 faces found in one pass to 16-18 of 20.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x, y, w, h in pixels
Found = list[tuple[Box, float]]  # boxes and their scores
Detect = Callable[[np.ndarray], Found]  # one detector pass over an RGB image, boxes in its pixels

DETECT_MAX_SIDE = 1280  # the single pass shrinks larger images first; crops come from the original
# The narrowest face found reliably, as a fraction of the longer side shown. BlazeFace finds some
# from 0.07, but on group photos of real faces a finest level where the smallest faces fill 0.15
# found 30 of 40 small faces against 10 of 40 at 0.1, for four times the tiles.
REL_MIN_FACE = 0.15
MIN_FACE = 64  # pixels: the smallest face searched for in tiles
MIN_FACE_FRACTION = 1 / 40  # ... and of the longer side: a 12 MP photo costs about a hundred tiles
OVERLAP = 0.25  # of a tile's side
TILE_SIDE = 192  # pixels a tile is shrunk to: the full-range model's input
# Tiles see more of what is not a face than one pass does: their boxes need a higher score (false
# faces in large photos without any scored 0.52-0.61; true faces mostly 0.65 and above).
TILE_MIN_SCORE = 0.6


def min_face(width: int, height: int) -> float:
    """The narrowest face searched for in an image of this size."""
    return max(MIN_FACE, MIN_FACE_FRACTION * max(width, height))


def tile_sides(width: int, height: int) -> list[int]:
    """The side of each level's tiles, coarse to fine (none for a small image)."""
    sides, side = [], max(width, height)
    while side * REL_MIN_FACE > min_face(width, height):
        side = (side + 1) // 2
        sides.append(side)
    return sides


def tiles(width: int, height: int, side: int) -> list[Box]:
    """One level's tiles: `side` square (or the whole of a shorter axis), overlapping by OVERLAP."""
    stride = round(side * (1 - OVERLAP))
    return [
        (x, y, min(side, width - x), min(side, height - y))
        for y in _starts(height, side, stride)
        for x in _starts(width, side, stride)
    ]


def _starts(length: int, side: int, stride: int) -> list[int]:
    """Tile offsets along one axis: every `stride`, the last one flush with the end."""
    if length <= side:
        return [0]
    return [*range(0, length - side, stride), length - side]


def _shrink(rgb: np.ndarray, scale: float) -> np.ndarray:
    if scale >= 1.0:
        return rgb
    height, width = rgb.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def _unscaled(box: Box, scale: float, dx: int = 0, dy: int = 0) -> Box:
    """A box found in an image shrunk by `scale` (and cut at dx, dy of it), in original pixels."""
    x, y, w, h = box
    return tuple(int(round(v / scale)) for v in (x + dx, y + dy, w, h))


def search(detect: Detect, rgb: np.ndarray, tiled: bool) -> Found:
    """Faces in `rgb`: one pass over the whole (shrunk to DETECT_MAX_SIDE); with `tiled`, also
    every level of tiles, and the boxes of all merged."""
    height, width = rgb.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
    base = _shrink(rgb, scale)
    found = [(_unscaled(box, scale), score) for box, score in detect(base)]
    if not tiled:
        return found
    smallest = min_face(width, height)
    for side in tile_sides(width, height):
        level_scale = min(1.0, TILE_SIDE / side)
        # Shrink the already shrunk copy when it is large enough: far cheaper than the original.
        level = _shrink(base, level_scale / scale) if level_scale <= scale else _shrink(rgb, level_scale)
        for region in tiles(width, height, side):
            x, y, w, h = region
            x0, y0, x1, y1 = (round(v * level_scale) for v in (x, y, x + w, y + h))
            for box, score in detect(level[y0:y1, x0:x1]):
                box = _unscaled(box, level_scale, x0, y0)
                margin = int(np.ceil(2 / level_scale))  # two pixels of the shrunk tile
                cut = cut_by_tile(box, region, (width, height), margin)
                if score >= TILE_MIN_SCORE and box[2] >= smallest / 2 and not cut:
                    found.append((box, score))
    keep = suppress([box for box, _ in found], [score for _, score in found])
    return [found[i] for i in keep]


def cut_by_tile(box: Box, region: Box, image: tuple[int, int], margin: int = 4) -> bool:
    """Whether a box found in a tile touches one of the tile's edges inside the image: the face
    then lies whole in a neighbouring tile (tiles overlap), where it is found uncut."""
    x, y, w, h = box
    rx, ry, rw, rh = region
    width, height = image
    return (
        (rx > 0 and x <= rx + margin)
        or (ry > 0 and y <= ry + margin)
        or (rx + rw < width and x + w >= rx + rw - margin)
        or (ry + rh < height and y + h >= ry + rh - margin)
    )


def suppress(boxes: Sequence[Box], scores: Sequence[float], overlap: float = 0.5) -> list[int]:
    """Indices of the boxes to keep, best score first: a box is dropped when over `overlap` of the
    smaller of it and a kept box is shared (one face found in several tiles or levels)."""
    if not boxes:
        return []
    b = np.asarray(boxes, dtype=np.float64)
    x0, y0, x1, y1 = b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    area = b[:, 2] * b[:, 3]
    keep: list[int] = []
    for i in np.argsort(-np.asarray(scores), kind="stable"):
        if keep:
            k = np.asarray(keep)
            iw = np.clip(np.minimum(x1[i], x1[k]) - np.maximum(x0[i], x0[k]), 0, None)
            ih = np.clip(np.minimum(y1[i], y1[k]) - np.maximum(y0[i], y0[k]), 0, None)
            if np.any(iw * ih > overlap * np.minimum(area[i], area[k])):
                continue
        keep.append(int(i))
    return keep
