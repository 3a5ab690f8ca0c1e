"""Write the extension's toolbar icons (PNG) with the standard library only.

The icon: a dark blue disc with a white certificate "chain link" cut across by a slash,
drawn with 4x supersampling. Run from anywhere: ``python3 extension/tools/make_icons.py``.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

SIZES = (16, 32, 48, 128)
OUT = Path(__file__).resolve().parent.parent / "src" / "icons"
BLUE = (26, 58, 112)
WHITE = (255, 255, 255)


def _coverage(x: float, y: float) -> tuple[float, float]:
    """(disc, white mark) coverage at a point of the unit square."""
    cx = cy = 0.5
    r = math.hypot(x - cx, y - cy)
    disc = 1.0 if r <= 0.48 else 0.0
    # Two interlocking rings (a chain link) and a diagonal slash.
    ring1 = abs(math.hypot(x - 0.40, y - 0.50) - 0.16) <= 0.045
    ring2 = abs(math.hypot(x - 0.60, y - 0.50) - 0.16) <= 0.045
    slash = abs((x - cx) + (y - cy)) / math.sqrt(2) <= 0.035 and r <= 0.36
    return disc, 1.0 if disc and (ring1 or ring2 or slash) else 0.0


def render(size: int, ss: int = 4) -> bytes:
    """RGBA pixels of one icon."""
    rows = []
    for py in range(size):
        row = bytearray([0])  # PNG filter type 0
        for px in range(size):
            a = w = 0.0
            for sy in range(ss):
                for sx in range(ss):
                    d, m = _coverage((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size)
                    a += d
                    w += m
            n = ss * ss
            alpha = a / n
            mix = w / a if a else 0.0
            rgb = [round(b * (1 - mix) + c * mix) for b, c in zip(BLUE, WHITE, strict=True)]
            row += bytes([*rgb, round(alpha * 255)])
        rows.append(bytes(row))
    return b"".join(rows)


def png(size: int) -> bytes:
    """A PNG file of one icon."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(render(size), 9))
        + chunk(b"IEND", b"")
    )


def main() -> None:
    """Write icon-<size>.png for every size."""
    OUT.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        (OUT / f"icon-{size}.png").write_bytes(png(size))


if __name__ == "__main__":
    main()
