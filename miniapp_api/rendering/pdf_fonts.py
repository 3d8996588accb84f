"""Per-document subset fonts for fpdf2, built from a process-wide glyph cache.

Handing fpdf2 the full Noto CJK collection costs ~400 ms per PDF: it parses
the 65 000-glyph CFF table and runs the fontTools subsetter on it for every
document (and the subsetter mutates the parsed font, so it cannot be shared).

Instead we convert each glyph we ever draw to a standalone TrueType outline
(cubic -> quadratic, max error 1 unit of 1000) and cache it.  For each
document we then build a tiny TrueType font holding only the characters of
that document (a few hundred glyphs) and give that to fpdf2, which subsets
and embeds it in a few tens of milliseconds.  The text in the PDF stays real
text: fpdf2 writes a ToUnicode map.

The outlines are read from the font file itself, memory-mapped: ``_CFFOutlines``
walks the CFF table's INDEX structures to the one charstring a glyph needs
and lets fontTools interpret just that charstring.  Nothing per glyph is held
for glyphs never drawn, and the mapped file is shared page cache, so a worker
pays for the few pages it touches instead of a 23 MB table and a parsed
charset of 65 000 names (~50 MB of Python objects per face).  Fonts without a
CFF table (TrueType ``glyf``) fall back to fontTools' lazy glyph set.

Glyphs are cached in compiled (binary ``glyf``) form with their bounds, and
both our font and fpdf2's copy of it are saved with ``recalcBBoxes`` off,
so no glyph outline is decompiled or recompiled per document.
"""

from __future__ import annotations

import io
import mmap
import threading
from bisect import bisect_right
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any, NamedTuple

from fontTools.fontBuilder import FontBuilder
from fontTools.misc.psCharStrings import T2CharString
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


# --- reading CFF outlines from the mapped file ------------------------------------------------
class _Index(NamedTuple):
    """A CFF INDEX: ``count`` items, offsets of ``size`` bytes at ``offsets``, data after."""

    count: int
    size: int
    offsets: int
    data: int  # position of byte "offset 1" (offsets are 1-based)
    end: int


def _read_index(buf: Any, pos: int) -> _Index:
    count = int.from_bytes(buf[pos : pos + 2], "big")
    if count == 0:
        return _Index(0, 0, pos + 2, pos + 2, pos + 2)
    size = buf[pos + 2]
    offsets = pos + 3
    data = offsets + (count + 1) * size - 1
    end = data + int.from_bytes(buf[offsets + count * size : offsets + (count + 1) * size], "big")
    return _Index(count, size, offsets, data, end)


def _index_item(buf: Any, index: _Index, i: int) -> bytes:
    at = index.offsets + i * index.size
    size = index.size
    start = int.from_bytes(buf[at : at + size], "big")
    stop = int.from_bytes(buf[at + size : at + 2 * size], "big")
    return bytes(buf[index.data + start : index.data + stop])


_REAL_NIBBLES = "0123456789.EE?-"


def parse_dict(data: bytes) -> dict[int | tuple[int, int], list[float]]:
    """A CFF DICT: operator (``12`` escapes as ``(12, n)``) → operands."""
    out: dict[int | tuple[int, int], list[float]] = {}
    operands: list[float] = []
    i = 0
    while i < len(data):
        b = data[i]
        if b <= 21:
            key: int | tuple[int, int] = (12, data[i + 1]) if b == 12 else b
            i += 2 if b == 12 else 1
            out[key] = operands
            operands = []
        elif b == 28:
            operands.append(int.from_bytes(data[i + 1 : i + 3], "big", signed=True))
            i += 3
        elif b == 29:
            operands.append(int.from_bytes(data[i + 1 : i + 5], "big", signed=True))
            i += 5
        elif b == 30:
            text = ""
            i += 1
            while True:
                byte = data[i]
                i += 1
                hi, lo = byte >> 4, byte & 15
                if hi == 15:
                    break
                text += "E-" if hi == 12 else _REAL_NIBBLES[hi]
                if lo == 15:
                    break
                text += "E-" if lo == 12 else _REAL_NIBBLES[lo]
            operands.append(float(text) if text not in ("", "-") else 0.0)
        elif 32 <= b <= 246:
            operands.append(b - 139)
            i += 1
        elif 247 <= b <= 250:
            operands.append((b - 247) * 256 + data[i + 1] + 108)
            i += 2
        elif 251 <= b <= 254:
            operands.append(-(b - 251) * 256 - data[i + 1] - 108)
            i += 2
        else:
            raise ValueError(f"bad CFF DICT byte {b}")
    return out


class _Subrs:
    """A subroutine INDEX as fontTools' charstring interpreter indexes it (read on call)."""

    def __init__(self, buf: Any, index: _Index, global_subrs: Any = None) -> None:
        self.buf = buf
        self.index = index
        self.private: Any = None
        self.global_subrs = global_subrs

    def __len__(self) -> int:
        return self.index.count

    def __getitem__(self, i: int) -> T2CharString:
        if not 0 <= i < self.index.count:
            raise IndexError(i)
        data = _index_item(self.buf, self.index, i)
        return T2CharString(bytecode=data, private=self.private, globalSubrs=self.global_subrs)


class _CFFOutlines:
    """Charstrings of a CFF table (CID-keyed or not), read from the mapped file on demand."""

    def __init__(self, buf: Any, base: int) -> None:
        self.buf = buf
        pos = base + buf[base + 2]  # header size
        pos = _read_index(buf, pos).end  # Name INDEX
        top_index = _read_index(buf, pos)
        pos = _read_index(buf, top_index.end).end  # String INDEX
        self.global_subrs = _Subrs(buf, _read_index(buf, pos))
        top = parse_dict(_index_item(buf, top_index, 0))
        if int(top.get((12, 6), [2])[0]) != 2:
            raise ValueError("only Type 2 charstrings are supported")
        self.charstrings = _read_index(buf, base + int(top[17][0]))
        self.fd_starts: list[int] = [0]
        self.fd_of: list[int] = [0]
        self.fd_format0: int | None = None
        if (12, 36) in top:  # CID-keyed: one Private DICT per font DICT, chosen by FDSelect
            fd_array = _read_index(buf, base + int(top[(12, 36)][0]))
            fonts = [parse_dict(_index_item(buf, fd_array, i)) for i in range(fd_array.count)]
            self.privates = [self._private(base, fd) for fd in fonts]
            self._read_fd_select(base + int(top[(12, 37)][0]))
        else:
            self.privates = [self._private(base, top)]

    def _private(self, base: int, font_dict: dict[Any, list[float]]) -> SimpleNamespace:
        size, offset = (int(v) for v in font_dict.get(18, [0, 0]))
        start = base + offset
        private = parse_dict(bytes(self.buf[start : start + size])) if size else {}
        subrs = (
            _Subrs(self.buf, _read_index(self.buf, start + int(private[19][0])), self.global_subrs)
            if 19 in private
            else []
        )
        namespace = SimpleNamespace(
            Subrs=subrs,
            defaultWidthX=private.get(20, [0])[0],
            nominalWidthX=private.get(21, [0])[0],
        )
        if isinstance(subrs, _Subrs):
            subrs.private = namespace
        return namespace

    def _read_fd_select(self, pos: int) -> None:
        buf = self.buf
        fmt = buf[pos]
        if fmt == 0:
            self.fd_format0 = pos + 1
        elif fmt == 3:
            ranges = int.from_bytes(buf[pos + 1 : pos + 3], "big")
            self.fd_starts = [
                int.from_bytes(buf[pos + 3 + 3 * i : pos + 5 + 3 * i], "big") for i in range(ranges)
            ]
            self.fd_of = [buf[pos + 5 + 3 * i] for i in range(ranges)]
        else:
            raise ValueError(f"unsupported FDSelect format {fmt}")

    def _fd(self, gid: int) -> int:
        if self.fd_format0 is not None:
            return self.buf[self.fd_format0 + gid]
        return self.fd_of[max(0, bisect_right(self.fd_starts, gid) - 1)]

    def draw(self, gid: int, pen: Any) -> None:
        private = self.privates[self._fd(gid)]
        data = _index_item(self.buf, self.charstrings, gid)
        T2CharString(bytecode=data, private=private, globalSubrs=self.global_subrs).draw(pen)


class _FontToolsOutlines:
    """Fallback for fonts without a CFF table: fontTools' lazy glyph set."""

    def __init__(self, face: FontFace) -> None:
        is_collection = face.path.lower().endswith((".ttc", ".otc"))
        self.font = TTFont(face.path, fontNumber=face.index if is_collection else -1, lazy=True)
        self.glyph_set = self.font.getGlyphSet()

    def draw(self, gid: int, pen: Any) -> None:
        self.glyph_set[self.font.getGlyphName(gid)].draw(pen)

    def close(self) -> None:
        self.font.close()


class _GlyphSource:
    """A face's outlines and its converted glyphs, by glyph id (thread-safe)."""

    def __init__(self, face: FontFace) -> None:
        self.face = face
        self.glyphs: dict[int, CachedGlyph] = {}
        self.lock = threading.Lock()
        self.map: mmap.mmap | None = None
        is_collection = face.path.lower().endswith((".ttc", ".otc"))
        with TTFont(face.path, fontNumber=face.index if is_collection else -1, lazy=True) as font:
            entry = font.reader.tables.get("CFF ")
            cff_offset = entry.offset if entry is not None else None
        self.outlines: _CFFOutlines | _FontToolsOutlines
        if cff_offset is None:
            self.outlines = _FontToolsOutlines(face)
        else:
            with open(face.path, "rb") as file:
                self.map = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            self.outlines = _CFFOutlines(self.map, cff_offset)

    def glyph(self, gid: int) -> CachedGlyph:
        cached = self.glyphs.get(gid)
        if cached is not None:
            return cached
        with self.lock:  # the charstring interpreter is not reentrant per source
            cached = self.glyphs.get(gid)
            if cached is None:
                if len(self.glyphs) >= MAX_CACHED_GLYPHS:
                    self.glyphs.clear()
                pen = TTGlyphPen(None)
                self.outlines.draw(gid, Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
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
                cached = CachedGlyph(data, self.face.advance(gid), bounds, points, contours)
                self.glyphs[gid] = cached
        return cached

    def close(self) -> None:
        if isinstance(self.outlines, _FontToolsOutlines):
            self.outlines.close()
        # The mmap is left to the garbage collector: a charstring being read in another
        # thread may still hold a view of it.


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
            source.close()
        _sources.clear()


def glyph_name(gid: int) -> str:
    """The name of glyph ``gid`` in the subset fonts (fontTools' CID-keyed naming)."""
    return f"cid{gid:05d}" if gid else ".notdef"


def build_subset_font(face: FontFace, chars: Iterable[str]) -> bytes:
    """A small TrueType font with the glyphs of ``chars`` from ``face``.

    Characters the face lacks are skipped (callers check glyphs beforehand).
    """
    source = _source(face)
    order = [".notdef"]
    cached = {".notdef": source.glyph(0)}
    cmap: dict[int, str] = {}
    for char in sorted(set(chars)):
        gid = face.glyph_id(char)
        if gid is None:
            continue
        name = glyph_name(gid)
        cmap[ord(char)] = name
        if name not in cached:
            cached[name] = source.glyph(gid)
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
        gid = face.glyph_id(char)
        if gid is not None:
            source.glyph(gid)
