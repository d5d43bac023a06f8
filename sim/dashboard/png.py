"""PNG encoding fast enough for a figure a month: a canvas's pixels to PNG bytes.

The dashboard sends five figures a month to a page on the same machine, so encoding
time matters more than size. Pillow's writer (filtering every row) took 22 ms for a
704 x 396 figure on this project's busy 2-core machine; this one, rows stored unfiltered
and deflated at level 1, took 8 ms for a file 1 % larger (53 kB). The PNG format:
https://www.w3.org/TR/png/.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
LEVEL = 1  # zlib level: the fastest; figures are mostly flat colour and compress well anyway


def _chunk(tag: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(tag + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)


def encode_rgba(pixels: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of an ``(height, width, 4)`` RGBA array (alpha dropped)."""
    height, width, _ = pixels.shape
    rows = np.empty((height, 1 + 3 * width), dtype=np.uint8)
    rows[:, 0] = 0  # filter type 0 (none) for every row
    rows[:, 1:] = pixels[:, :, :3].reshape(height, 3 * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), LEVEL))
        + _chunk(b"IEND", b"")
    )
