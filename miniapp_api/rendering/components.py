"""Shared building blocks: seal, QR code, watermark, table rows, dates."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from datetime import date, datetime

import segno

from ..clock import CHINA_TZ, date_zh
from .fonts import FontSet
from .layout import (
    GREY,
    SEAL_RED,
    WATERMARK_GREY,
    Group,
    Line,
    Page,
    Polygon,
    QRCode,
    Rect,
    Ring,
    Text,
    star_points,
    wrap,
)

PT = 25.4 / 72  # millimetres per point

SEAL_SUBTITLE = "电子证照专用章"
VERIFY_HINT = "扫描二维码核验真伪"


def fmt_date(value: date) -> str:
    return date_zh(value)


def fmt_datetime(value: datetime) -> str:
    """Chinese date and time; aware datetimes are shown in China time (UTC+8)."""
    if value.tzinfo is not None:
        value = value.astimezone(CHINA_TZ)
    return f"{fmt_date(value)} {value:%H:%M:%S}"


def watermark_text(purpose: str) -> str:
    return f"仅供办理{purpose}使用"


# --- QR -------------------------------------------------------------------


@functools.lru_cache(maxsize=32)
def qr_matrix(content: str, border: int = 4) -> tuple[tuple[bool, ...], ...]:
    """QR modules (True = dark) for ``content``, error level M, quiet zone included."""
    qr = segno.make(content, error="m", boost_error=False, micro=False)
    return tuple(tuple(bool(v) for v in row) for row in qr.matrix_iter(border=border))


def qr_block(x: float, y: float, size: float, content: str, fonts: FontSet) -> list:
    """The QR code with the verification hint centred under it."""
    return [
        QRCode(x=x, y=y, size=size, matrix=qr_matrix(content)),
        Text(x + size / 2, y + size + 3.2, VERIFY_HINT, 9, color=GREY, align="c"),
    ]


# --- Seal -------------------------------------------------------------------


def seal(
    cx: float,
    cy: float,
    name: str,
    fonts: FontSet,
    radius: float = 20.0,
    subtitle: str = SEAL_SUBTITLE,
    opacity: float = 0.82,
) -> Group:
    """An official round seal: ring, name along the upper arc, star, subtitle."""
    ring_w = radius * 0.055
    items: list[Text | Ring | Polygon] = [Ring(cx, cy, radius - ring_w / 2, ring_w)]

    face = fonts.bold
    n = max(len(name), 1)
    span = min(250.0, 38.0 + 19.0 * n)  # degrees covered by the name
    step = span / n
    top = radius - ring_w - radius * 0.06  # outer edge of the characters
    size_mm = radius * 0.27
    for _ in range(3):  # fit the character size to the arc at its baseline
        baseline_r = top - size_mm * 0.88
        chord = 2 * baseline_r * math.sin(math.radians(step) / 2)
        size_mm = min(radius * 0.27, chord * 0.92)
    baseline_r = top - size_mm * 0.88
    size_pt = size_mm / PT
    # Horizontal squeeze is impossible to express per glyph in both
    # backends, so wide (non-CJK) characters simply use the same step.
    for i, char in enumerate(name):
        phi = -span / 2 + step * (i + 0.5)  # degrees from the top, clockwise
        rad = math.radians(phi)
        items.append(
            Text(
                cx + baseline_r * math.sin(rad),
                cy - baseline_r * math.cos(rad),
                char,
                size_pt,
                bold=True,
                align="c",
                angle=-phi,
            )
        )
    items.append(Polygon(star_points(cx, cy - radius * 0.02, radius * 0.3)))
    if subtitle:
        sub_pt = min(radius * 0.14 / PT, (radius * 1.15) / max(len(subtitle), 1) / PT)
        items.append(Text(cx, cy + radius * 0.58, subtitle, sub_pt, bold=True, align="c"))
    del face
    box = (cx - radius, cy - radius, 2 * radius, 2 * radius)
    return Group(box=box, color=SEAL_RED, opacity=opacity, items=tuple(items))


# --- Watermark -----------------------------------------------------------------


def _rotated_bounds(x: float, y: float, w: float, h: float, angle: float) -> tuple[float, ...]:
    """Bounding box of a w*h text box centred at (x, y) rotated by ``angle``."""
    a = math.radians(angle)
    dx = abs(w / 2 * math.cos(a)) + abs(h / 2 * math.sin(a))
    dy = abs(w / 2 * math.sin(a)) + abs(h / 2 * math.cos(a))
    return (x - dx, y - dy, x + dx, y + dy)


def watermark(
    page: Page,
    text: str,
    fonts: FontSet,
    keep_out: Sequence[tuple[float, float, float, float]],
    size: float = 17.0,
    angle: float = 30.0,
    opacity: float = 0.22,
) -> Group:
    """``text`` repeated diagonally over the page, never inside ``keep_out`` boxes.

    ``keep_out`` boxes are (x, y, w, h) in mm (e.g. the QR code with margin).
    """
    width = fonts.regular.text_width(text, size)
    height = size * PT
    step_x = width + 22.0
    step_y = 38.0
    items: list[Text | Ring | Polygon] = []
    row = 0
    y = 18.0
    while y < page.height:
        x = 20.0 + (step_x / 2 if row % 2 else 0.0)
        while x < page.width + width / 2:
            x0, y0, x1, y1 = _rotated_bounds(x, y, width, height, angle)
            clear = all(
                x1 < kx or x0 > kx + kw or y1 < ky or y0 > ky + kh for kx, ky, kw, kh in keep_out
            )
            if clear:
                # The text is centred on (x, y): baseline sits ~0.38 em lower.
                a = math.radians(angle)
                off = height * 0.38
                items.append(
                    Text(
                        x + off * math.sin(a),
                        y + off * math.cos(a),
                        text,
                        size,
                        align="c",
                        angle=angle,
                    )
                )
            x += step_x
        y += step_y
        row += 1
    box = (0.0, 0.0, page.width, page.height)
    return Group(box=box, color=WATERMARK_GREY, opacity=opacity, items=tuple(items))


# --- Tables -------------------------------------------------------------------


class Table:
    """A bordered two-or-more column table that grows downwards."""

    def __init__(
        self,
        page: Page,
        fonts: FontSet,
        x: float,
        y: float,
        widths: Sequence[float],
        size: float,
        line_gap: float = 1.55,
        pad: float = 2.2,
    ) -> None:
        self.page = page
        self.fonts = fonts
        self.x = x
        self.top = y
        self.y = y
        self.widths = list(widths)
        self.size = size
        self.line_h = size * PT * line_gap
        self.pad = pad
        self.row_tops: list[float] = []

    @property
    def width(self) -> float:
        return sum(self.widths)

    def row(
        self,
        cells: Sequence[str],
        min_height: float = 0.0,
        bold: Sequence[bool] | None = None,
        align: Sequence[str] | None = None,
        valign: str = "m",
    ) -> None:
        bold = bold or [False] * len(cells)
        align = align or ["l"] * len(cells)
        wrapped = [
            wrap(cell, w - 2 * self.pad, self.size, self.fonts, b)
            for cell, w, b in zip(cells, self.widths, bold, strict=True)
        ]
        n_lines = max(len(lines) for lines in wrapped)
        height = max(min_height, n_lines * self.line_h + 2 * self.pad)
        self.row_tops.append(self.y)
        cell_x = self.x
        em = self.size * PT
        for lines, w, b, al in zip(wrapped, self.widths, bold, align, strict=True):
            block = len(lines) * self.line_h
            top = self.y + (height - block) / 2 if valign == "m" else self.y + self.pad
            for i, line in enumerate(lines):
                if not line:
                    continue
                baseline = top + i * self.line_h + (self.line_h - em) / 2 + em * 0.86
                if al == "c":
                    tx = cell_x + w / 2
                elif al == "r":
                    tx = cell_x + w - self.pad
                else:
                    tx = cell_x + self.pad
                self.page.add(Text(tx, baseline, line, self.size, bold=b, align=al))
            cell_x += w
        self.y += height

    def close(self, width: float = 0.35, outer: float = 0.6) -> None:
        """Draw the grid: row separators, column separators, outer frame."""
        right = self.x + self.width
        for top in self.row_tops[1:]:
            self.page.add(Line(self.x, top, right, top, width))
        cx = self.x
        for w in self.widths[:-1]:
            cx += w
            self.page.add(Line(cx, self.top, cx, self.y, width))
        self.page.add(Rect(self.x, self.top, self.width, self.y - self.top, outer))
