"""Locating, loading and measuring the CJK fonts used by the renderers.

Resolution order for the regular face:

1. ``CJK_FONT_PATH`` (and optional ``CJK_FONT_INDEX`` for a collection);
2. known install paths of Noto Serif/Sans CJK (Debian ``fonts-noto-cjk``,
   Arch, Alpine, Fedora);
3. ``fc-match 'serif:lang=zh-cn'`` then ``fc-match 'sans:lang=zh-cn'``.

The bold face comes from ``CJK_BOLD_FONT_PATH``, else the ``-Bold`` sibling
of the regular file, else the regular face itself.

A candidate is accepted only when its cmap covers a probe of common Chinese
characters, so a Latin-only fallback from fontconfig is never used.  For a
font collection (.ttc/.otc) the Simplified Chinese face is chosen by name.

Faces are loaded once per process (``get_fonts``) and shared by all renders.  A face keeps
only what measuring and checking text needs, in compact arrays read straight from the font's
binary tables: the cmap as sorted ranges (code point → glyph id) and the advance widths by
glyph id — a few hundred kilobytes, where a dict of 45,000 code points and one of 65,000
glyph names took about 50 MB per face (docs/performance.md, "Memory").
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import threading
import unicodedata
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

PROBE_TEXT = "不动产权证书登记中心有房无房证明"
MAX_SEEN_CHARS = 20_000  # per face; a few thousand in practice (~100 bytes each)

_NOTO_DIRS = (
    "/usr/share/fonts/opentype/noto",  # Debian/Ubuntu fonts-noto-cjk
    "/usr/share/fonts/noto-cjk",  # Arch
    "/usr/share/fonts/noto",  # Alpine
    "/usr/share/fonts/google-noto-cjk",  # Fedora (older)
    "/usr/local/share/fonts",
)
_NOTO_FILES = (
    "NotoSerifCJK-Regular.ttc",
    "NotoSansCJK-Regular.ttc",
    "NotoSerifCJKsc-Regular.otf",
    "NotoSansCJKsc-Regular.otf",
)
KNOWN_FONT_PATHS: tuple[str, ...] = tuple(
    f"{directory}/{name}" for name in _NOTO_FILES for directory in _NOTO_DIRS
)

INSTALL_HINT = (
    "Install the Debian package fonts-noto-cjk (apt-get install fonts-noto-cjk) "
    "or set CJK_FONT_PATH to a .ttf/.otf/.ttc font with Simplified Chinese glyphs."
)


class FontNotFound(RuntimeError):
    """No usable CJK font was found on this machine."""


class CharMap(Mapping[int, int]):
    """A read-only cmap (code point → glyph id) held as sorted ranges in three arrays.

    Range ``i`` maps ``starts[i]..ends[i]`` to ``gids[i]`` onwards (a format 12 group). Code
    points that map to glyph 0 (.notdef) count as missing.
    """

    __slots__ = ("_ends", "_gids", "_starts")

    def __init__(self, starts: array, ends: array, gids: array) -> None:
        self._starts, self._ends, self._gids = starts, ends, gids

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int]]) -> CharMap:
        """From (code point, glyph id) pairs; consecutive runs become one range."""
        starts, ends, gids = array("I"), array("I"), array("I")
        for code, gid in sorted(pairs):
            if gid and ends and code == ends[-1] + 1 and gid == gids[-1] + code - starts[-1]:
                ends[-1] = code
            elif gid:
                starts.append(code)
                ends.append(code)
                gids.append(gid)
        return cls(starts, ends, gids)

    def get(self, code: int, default: int | None = None) -> int | None:  # type: ignore[override]
        i = bisect_right(self._starts, code) - 1
        if i >= 0 and code <= self._ends[i]:
            gid = self._gids[i] + code - self._starts[i]
            if gid:
                return gid
        return default

    def __getitem__(self, code: int) -> int:
        gid = self.get(code)
        if gid is None:
            raise KeyError(code)
        return gid

    def __contains__(self, code: object) -> bool:
        return isinstance(code, int) and self.get(code) is not None

    def __iter__(self) -> Iterator[int]:
        for start, end, gid in zip(self._starts, self._ends, self._gids, strict=True):
            for code in range(start, end + 1):
                if gid + code - start:
                    yield code

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @property
    def nbytes(self) -> int:
        return sum(a.itemsize * len(a) for a in (self._starts, self._ends, self._gids))


@dataclass(frozen=True, eq=False)
class FontFace:
    """One face of a font file, with the data needed to check and measure text.

    ``cmap`` maps code points to glyph ids and ``advances`` holds the advance width of every
    glyph id (compact arrays; see :class:`CharMap`).
    """

    path: str
    index: int
    name: str
    units_per_em: int
    ascent: int
    descent: int
    cmap: Mapping[int, int] = field(repr=False)
    advances: Sequence[int] = field(repr=False)
    # Characters looked up so far → glyph id (0: missing). Layout measures ~14,000 characters
    # per document, so lookups must cost a dict access, not a search in the ranges.
    _seen: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def _lookup(self, char: str) -> int:
        gid = self.cmap.get(ord(char)) or 0
        if len(self._seen) >= MAX_SEEN_CHARS:
            self._seen.clear()
        self._seen[char] = gid
        return gid

    def glyph_id(self, char: str) -> int | None:
        gid = self._seen.get(char)
        if gid is None:
            gid = self._lookup(char)
        return gid or None

    def advance(self, gid: int) -> int:
        advances = self.advances
        return advances[gid] if gid < len(advances) else self.units_per_em

    def text_width(self, text: str, size_pt: float) -> float:
        """Advance width of ``text`` in millimetres at ``size_pt`` points."""
        seen, advances = self._seen, self.advances
        units = 0
        for char in text:
            gid = seen.get(char)
            if gid is None:
                gid = self._lookup(char)
            units += advances[gid] if gid < len(advances) else self.units_per_em
        return units / self.units_per_em * size_pt * 25.4 / 72


@dataclass(frozen=True)
class FontSet:
    regular: FontFace
    bold: FontFace

    def face(self, bold: bool) -> FontFace:
        return self.bold if bold else self.regular


def missing_glyphs(text: str, font: FontFace) -> set[str]:
    """Characters of ``text`` the face has no glyph for (would render as a box).

    Control characters (line breaks) are ignored: they are never drawn.
    """
    return {
        char for char in text if font.glyph_id(char) is None and unicodedata.category(char) != "Cc"
    }


def _face_name(font: TTFont) -> str:
    return str(font["name"].getDebugName(4) or font["name"].getDebugName(1) or "")


def _pick_collection_index(path: str) -> int:
    """Index of the Simplified Chinese face in a collection (0 if unclear)."""
    with TTCollection(path, lazy=True) as collection:
        faces = list(collection.fonts)
        for i, face in enumerate(faces):
            words = _face_name(face).replace("-", " ").split()
            if ("SC" in words or "GB" in words) and "Mono" not in words:
                return i
        for i, face in enumerate(faces):
            # OS/2 code page bit 18 = Chinese Simplified (GB2312).
            if getattr(face["OS/2"], "ulCodePageRange1", 0) & (1 << 18):
                return i
    return 0


def _big_endian(values: array) -> array:
    if sys.byteorder == "little":
        values.byteswap()
    return values


# Unicode cmap subtables in getBestCmap's order of preference.
_CMAP_PREFERENCE = ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0))


def read_cmap(font: TTFont) -> CharMap:
    """The face's Unicode cmap as ranges, read from the raw table (format 12 without objects).

    Other formats (a BMP-only format 4 font) go through fontTools once, at load time.
    """
    raw = font.reader["cmap"]
    count = struct.unpack_from(">H", raw, 2)[0]
    subtables: dict[tuple[int, int], int] = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", raw, 4 + 8 * i)
        subtables.setdefault((platform, encoding), offset)
    for key in _CMAP_PREFERENCE:
        offset = subtables.get(key)
        if offset is None:
            continue
        if struct.unpack_from(">H", raw, offset)[0] != 12:
            break  # the preferred subtable is another format: let fontTools read it
        groups = struct.unpack_from(">I", raw, offset + 12)[0]
        start = offset + 16
        values = _big_endian(array("I", raw[start : start + 12 * groups]))
        return CharMap(values[0::3], values[1::3], values[2::3])
    best = font.getBestCmap() or {}
    return CharMap.from_pairs((code, font.getGlyphID(name)) for code, name in best.items())


def read_advances(font: TTFont) -> array:
    """Advance width of every glyph id, from the raw hmtx table (two bytes per glyph)."""
    metrics = int(font["hhea"].numberOfHMetrics)
    glyphs = int(font["maxp"].numGlyphs)
    pairs = _big_endian(array("H", font.reader["hmtx"][: 4 * metrics]))
    advances = pairs[0::2]
    if glyphs > metrics and metrics:
        advances.extend([advances[-1]] * (glyphs - metrics))
    return advances


def load_face(path: str, index: int | None = None) -> FontFace:
    """Load one face (cmap and advance widths) of a font file."""
    is_collection = path.lower().endswith((".ttc", ".otc"))
    if index is None:
        index = _pick_collection_index(path) if is_collection else 0
    font = TTFont(path, fontNumber=index if is_collection else -1, lazy=True)
    try:
        hhea = font["hhea"]
        return FontFace(
            path=path,
            index=index,
            name=_face_name(font),
            units_per_em=int(font["head"].unitsPerEm),
            ascent=int(hhea.ascent),
            descent=int(hhea.descent),
            cmap=read_cmap(font),
            advances=read_advances(font),
        )
    finally:
        font.close()


def _try_face(path: str, index: int | None) -> FontFace | None:
    try:
        face = load_face(path, index)
    except Exception:
        return None
    return None if missing_glyphs(PROBE_TEXT, face) else face


def _fc_match(pattern: str) -> tuple[str, int] | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    try:
        result = subprocess.run(
            [fc_match, "-f", "%{file}\n%{index}", pattern],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = result.stdout.splitlines()
    if result.returncode != 0 or not lines or not lines[0]:
        return None
    try:
        index = int(lines[1]) if len(lines) > 1 else 0
    except ValueError:
        index = 0
    return lines[0], index


def _env_index(environ: Mapping[str, str], name: str) -> int | None:
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError as exc:
        raise FontNotFound(f"{name} must be an integer, got {raw!r}") from exc


def resolve_fonts(
    environ: Mapping[str, str] | None = None,
    known_paths: Iterable[str] = KNOWN_FONT_PATHS,
    use_fc_match: bool = True,
) -> FontSet:
    """Find and load the regular and bold CJK faces (uncached)."""
    env = os.environ if environ is None else environ
    regular: FontFace | None = None

    configured = env.get("CJK_FONT_PATH", "").strip()
    if configured:
        if not Path(configured).is_file():
            raise FontNotFound(f"CJK_FONT_PATH={configured!r} is not a file. {INSTALL_HINT}")
        regular = _try_face(configured, _env_index(env, "CJK_FONT_INDEX"))
        if regular is None:
            raise FontNotFound(
                f"CJK_FONT_PATH={configured!r} is not a readable font with Chinese "
                f"glyphs. {INSTALL_HINT}"
            )
    if regular is None:
        for path in known_paths:
            if Path(path).is_file() and (regular := _try_face(path, None)):
                break
    if regular is None and use_fc_match:
        for pattern in ("serif:lang=zh-cn", "sans:lang=zh-cn"):
            match = _fc_match(pattern)
            if match and (regular := _try_face(*match)):
                break
    if regular is None:
        raise FontNotFound(f"No CJK font found. {INSTALL_HINT}")

    bold: FontFace | None = None
    bold_path = env.get("CJK_BOLD_FONT_PATH", "").strip()
    if bold_path:
        bold = _try_face(bold_path, _env_index(env, "CJK_BOLD_FONT_INDEX"))
        if bold is None:
            raise FontNotFound(f"CJK_BOLD_FONT_PATH={bold_path!r} is not usable. {INSTALL_HINT}")
    elif "-Regular." in regular.path:
        sibling = regular.path.replace("-Regular.", "-Bold.")
        if Path(sibling).is_file():
            bold = _try_face(sibling, None)
    return FontSet(regular=regular, bold=bold or regular)


_lock = threading.Lock()
_fonts: FontSet | None = None
# Caches built from the fonts (glyph outlines, PIL faces) register here to be dropped with them;
# the modules holding them import this one, never the other way round.
_dependent_caches: list[Callable[[], None]] = []


def on_font_reset(clear: Callable[[], None]) -> Callable[[], None]:
    """Register a cache-clearing function to run whenever the fonts are reset."""
    if clear not in _dependent_caches:
        _dependent_caches.append(clear)
    return clear


def get_fonts() -> FontSet:
    """The process-wide font set, resolved and loaded on first use."""
    global _fonts
    if _fonts is None:
        with _lock:
            if _fonts is None:
                _fonts = resolve_fonts()
    return _fonts


def reset_font_cache() -> None:
    """Forget the resolved fonts (after changing CJK_FONT_PATH, in tests)."""
    global _fonts
    with _lock:
        _fonts = None
    for clear in _dependent_caches:
        clear()
