"""Backend-neutral page description: drawing operations in millimetres.

The document layouts (``license.py``, ``proof.py``) produce a ``Page``; the
PNG backend (Pillow) and the PDF backend (fpdf2) draw the same operations,
so both outputs have the same layout and every drawn string can be checked
for missing glyphs in one place (``Page.texts``).

Coordinates: millimetres, origin top-left, y downwards.  Text ``y`` is the
baseline.  Angles are counter-clockwise degrees as seen on the page.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from .fonts import FontSet, missing_glyphs

A4_WIDTH_MM = 210.0
A4_HEIGHT_MM = 297.0

Color = tuple[int, int, int]
BLACK: Color = (0, 0, 0)
DARK: Color = (34, 34, 34)
GREY: Color = (90, 90, 90)
SEAL_RED: Color = (215, 0, 15)
WATERMARK_GREY: Color = (120, 120, 120)


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    size: float  # points
    bold: bool = False
    color: Color = DARK
    align: str = "l"  # l, c (x is the centre), r (x is the right edge)
    angle: float = 0.0  # rotation about (x, y)


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.3
    color: Color = DARK


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    width: float = 0.3
    color: Color = DARK


@dataclass(frozen=True)
class Ring:
    cx: float
    cy: float
    r: float  # radius of the middle of the stroke
    width: float


@dataclass(frozen=True)
class Polygon:
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class QRCode:
    x: float
    y: float
    size: float  # side of the square, quiet zone included
    matrix: tuple[tuple[bool, ...], ...]  # dark modules, quiet zone included


@dataclass(frozen=True)
class Group:
    """Monochrome shapes painted together in one colour with one opacity.

    ``box`` (x, y, w, h) bounds everything in the group.  Only ``Text``,
    ``Ring`` and ``Polygon`` members are allowed.
    """

    box: tuple[float, float, float, float]
    color: Color
    opacity: float
    items: tuple[Text | Ring | Polygon, ...]


Op = Text | Line | Rect | QRCode | Group


@dataclass
class Page:
    width: float = A4_WIDTH_MM
    height: float = A4_HEIGHT_MM
    title: str = ""
    ops: list[Op] = field(default_factory=list)

    def add(self, op: Op) -> None:
        self.ops.append(op)

    def text_items(self) -> Iterator[Text]:
        for op in self.ops:
            if isinstance(op, Text):
                yield op
            elif isinstance(op, Group):
                yield from (item for item in op.items if isinstance(item, Text))

    def texts(self) -> list[str]:
        """Every string drawn on the page."""
        return [item.text for item in self.text_items()]

    def chars(self, bold: bool) -> set[str]:
        return {c for item in self.text_items() if item.bold == bold for c in item.text}

    def missing_glyphs(self, fonts: FontSet) -> set[str]:
        missing: set[str] = set()
        for item in self.text_items():
            missing |= missing_glyphs(item.text, fonts.face(item.bold))
        return missing


class MissingGlyphError(ValueError):
    """A document contains characters that the CJK font cannot draw."""

    def __init__(self, chars: set[str]) -> None:
        self.chars = chars
        listed = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in sorted(chars))
        super().__init__(f"the font has no glyph for: {listed}")


class DocumentTooLong(ValueError):
    """The content does not fit on one A4 page even at the smallest type size."""


def wrap(text: str, width: float, size: float, fonts: FontSet, bold: bool = False) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` mm (CJK: any char).

    Explicit newlines are kept.  A closing punctuation mark never starts a
    line (it stays at the end of the previous one, slightly overhanging).
    """
    face = fonts.face(bold)
    width *= HINTING_SLACK
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for char in paragraph:
            candidate = current + char
            if current and face.text_width(candidate, size) > width and char not in _NO_LINE_START:
                lines.append(current.rstrip())
                current = char.lstrip()
            else:
                current = candidate
        lines.append(current.rstrip())
    return lines


# Hinted raster text (PNG) runs up to ~2 % wider than the outline metrics.
HINTING_SLACK = 0.97
_NO_LINE_START = set("，。、；：？！）》」』】〕,.;:?!)%")


def star_points(
    cx: float, cy: float, r: float, angle: float = 90.0
) -> tuple[tuple[float, float], ...]:
    """A five-pointed star (outer radius r) with a point up, y downwards."""
    inner = r * math.sin(math.radians(18)) / math.sin(math.radians(126))
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else inner
        theta = math.radians(angle + i * 36)
        points.append((cx + radius * math.cos(theta), cy - radius * math.sin(theta)))
    return tuple(points)
