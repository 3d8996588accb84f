"""Per-document subset fonts for fpdf2, built from a process-wide glyph cache.

Handing fpdf2 the full Noto CJK collection costs ~400 ms per PDF: it parses
the 65 000-glyph CFF table and runs the fontTools subsetter on it for every
document (and the subsetter mutates the parsed font, so it cannot be shared).

Instead we keep the source face open once, convert each glyph we ever draw
to a standalone TrueType outline (cubic -> quadratic, max error 1 unit of
1000) and cache it.  For each document we then build a tiny TrueType font
holding only the characters of that document (a few hundred glyphs) and give
that to fpdf2, which subsets and embeds it in a few tens of milliseconds.
The text in the PDF stays real text: fpdf2 writes a ToUnicode map.

Glyphs are cached in compiled (binary ``glyf``) form with their bounds, and
both our font and fpdf2's copy of it are saved with ``recalcBBoxes`` off,
so no glyph outline is decompiled or recompiled per document.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable
from typing import NamedTuple

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._g_l_y_f import Glyph

from .fonts import FontFace, on_font_reset

MAX_CACHED_GLYPHS = 30_000


class CachedGlyph(NamedTuple):
    data: bytes  # compiled glyf entry (bounds included)
    advance: int
    bounds: tuple[int, int, int, int]  # xMin, yMin, xMax, yMax
    points: int
    contours: int


class _GlyphSource:
    """An open source face and its converted glyphs (thread-safe)."""

    def __init__(self, face: FontFace) -> None:
        self.face = face
        is_collection = face.path.lower().endswith((".ttc", ".otc"))
        self.font = TTFont(face.path, fontNumber=face.index if is_collection else -1, lazy=True)
        self.glyph_set = self.font.getGlyphSet()
        self.hmtx = self.font["hmtx"].metrics
        self.glyphs: dict[str, CachedGlyph] = {}
        self.lock = threading.Lock()

    def glyph(self, name: str) -> CachedGlyph:
        cached = self.glyphs.get(name)
        if cached is not None:
            return cached
        with self.lock:  # fontTools reads the file lazily: not thread-safe
            cached = self.glyphs.get(name)
            if cached is None:
                if len(self.glyphs) >= MAX_CACHED_GLYPHS:
                    self.glyphs.clear()
                pen = TTGlyphPen(None)
                self.glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
                glyph = pen.glyph()
                glyph.recalcBounds(None)
                bounds = (
                    (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax)
                    if glyph.numberOfContours
                    else (0, 0, 0, 0)
                )
                data = glyph.compile(None, recalcBBoxes=False)
                contours = max(glyph.numberOfContours, 0)
                points = len(glyph.coordinates) if contours else 0
                cached = CachedGlyph(data, self.hmtx[name][0], bounds, points, contours)
                self.glyphs[name] = cached
        return cached


_sources: dict[tuple[str, int], _GlyphSource] = {}
_sources_lock = threading.Lock()


def _source(face: FontFace) -> _GlyphSource:
    key = (face.path, face.index)
    source = _sources.get(key)
    if source is None:
        with _sources_lock:
            source = _sources.get(key)
            if source is None:
                source = _sources[key] = _GlyphSource(face)
    return source


def forget_glyphs() -> None:
    """Drop the converted glyphs but keep the source faces open."""
    with _sources_lock:
        for source in _sources.values():
            with source.lock:
                source.glyphs.clear()


@on_font_reset
def clear_glyph_cache() -> None:
    """Drop the converted glyphs and close the source faces."""
    with _sources_lock:
        for source in _sources.values():
            source.font.close()
        _sources.clear()


def build_subset_font(face: FontFace, chars: Iterable[str]) -> bytes:
    """A small TrueType font with the glyphs of ``chars`` from ``face``.

    Characters the face lacks are skipped (callers check glyphs beforehand).
    """
    source = _source(face)
    order = [".notdef"]
    cached = {".notdef": source.glyph(".notdef")}
    cmap: dict[int, str] = {}
    for char in sorted(set(chars)):
        name = face.cmap.get(ord(char))
        if name is None:
            continue
        cmap[ord(char)] = name
        if name not in cached:
            cached[name] = source.glyph(name)
            order.append(name)

    builder = FontBuilder(face.units_per_em, isTTF=True)
    font = builder.font
    font.recalcBBoxes = False  # glyph bounds are cached with the glyphs
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(cmap)
    glyf = newTable("glyf")
    glyf.glyphs = {name: Glyph(glyph.data) for name, glyph in cached.items()}
    glyf.glyphOrder = order
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    builder.setupHorizontalMetrics(
        {name: (glyph.advance, glyph.bounds[0]) for name, glyph in cached.items()}
    )
    builder.setupHorizontalHeader(ascent=face.ascent, descent=face.descent)
    inked = [glyph.bounds for glyph in cached.values() if glyph.bounds != (0, 0, 0, 0)]
    head = font["head"]
    if inked:
        head.xMin = min(b[0] for b in inked)
        head.yMin = min(b[1] for b in inked)
        head.xMax = max(b[2] for b in inked)
        head.yMax = max(b[3] for b in inked)
    family = face.name.replace(" ", "") or "CJK"
    builder.setupNameTable({"familyName": family, "styleName": "Regular", "psName": family})
    builder.setupOS2(
        sTypoAscender=face.ascent,
        sTypoDescender=face.descent,
        usWinAscent=face.ascent,
        usWinDescent=-face.descent,
    )
    builder.setupPost()
    builder.setupMaxp()
    maxp = font["maxp"]  # not recalculated on save (recalcBBoxes is off)
    maxp.maxPoints = max(glyph.points for glyph in cached.values())
    maxp.maxContours = max(glyph.contours for glyph in cached.values())
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def warm_glyphs(face: FontFace, chars: Iterable[str]) -> None:
    """Convert glyphs ahead of time (e.g. the fixed labels at start-up)."""
    source = _source(face)
    for char in set(chars):
        name = face.cmap.get(ord(char))
        if name is not None:
            source.glyph(name)
