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
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterable

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph

from .fonts import FontFace

MAX_CACHED_GLYPHS = 30_000


class _GlyphSource:
    """An open source face and its converted glyphs (thread-safe)."""

    def __init__(self, face: FontFace) -> None:
        self.face = face
        is_collection = face.path.lower().endswith((".ttc", ".otc"))
        self.font = TTFont(face.path, fontNumber=face.index if is_collection else -1, lazy=True)
        self.glyph_set = self.font.getGlyphSet()
        self.hmtx = self.font["hmtx"].metrics
        self.glyphs: dict[str, tuple[Glyph, int]] = {}
        self.lock = threading.Lock()

    def glyph(self, name: str) -> tuple[Glyph, int]:
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
                cached = (pen.glyph(), self.hmtx[name][0])
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


def clear_glyph_cache() -> None:
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
    glyphs = {".notdef": source.glyph(".notdef")[0]}
    metrics = {".notdef": (source.glyph(".notdef")[1], 0)}
    cmap: dict[int, str] = {}
    for char in sorted(set(chars)):
        name = face.cmap.get(ord(char))
        if name is None:
            continue
        cmap[ord(char)] = name
        if name not in glyphs:
            glyph, advance = source.glyph(name)
            glyphs[name] = glyph
            metrics[name] = (advance, 0)  # lsb is recomputed from glyph bounds
            order.append(name)

    builder = FontBuilder(face.units_per_em, isTTF=True)
    builder.setupGlyphOrder(order)
    builder.setupCharacterMap(cmap)
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics(metrics)
    builder.setupHorizontalHeader(ascent=face.ascent, descent=face.descent)
    family = face.name.replace(" ", "") or "CJK"
    builder.setupNameTable({"familyName": family, "styleName": "Regular", "psName": family})
    builder.setupOS2(
        sTypoAscender=face.ascent,
        sTypoDescender=face.descent,
        usWinAscent=face.ascent,
        usWinDescent=-face.descent,
    )
    builder.setupPost()
    out = io.BytesIO()
    builder.save(out)
    return out.getvalue()


def warm_glyphs(face: FontFace, chars: Iterable[str]) -> None:
    """Convert glyphs ahead of time (e.g. the fixed labels at start-up)."""
    source = _source(face)
    for char in set(chars):
        name = face.cmap.get(ord(char))
        if name is not None:
            source.glyph(name)
