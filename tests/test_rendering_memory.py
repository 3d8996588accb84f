"""The memory-lean font data and caches of the renderer (docs/performance.md, "Memory").

The compact cmap / advance arrays and the CFF outlines read from the mapped file must give
exactly what fontTools' full parse gives; the caches must stay within their budgets.
"""

from __future__ import annotations

import random
import runpy
from pathlib import Path

import pytest
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont

from miniapp_api import downloads
from miniapp_api.rendering import get_fonts, pdf_fonts, png, render_license_png, samples
from miniapp_api.rendering.fonts import CharMap, FontFace
from miniapp_api.rendering.layout import Group, Text

ROOT = Path(__file__).resolve().parent.parent


def _fonttools(face: FontFace) -> TTFont:
    collection = face.path.lower().endswith((".ttc", ".otc"))
    return TTFont(face.path, fontNumber=face.index if collection else -1, lazy=True)


@pytest.fixture(scope="module", params=["regular", "bold"])
def face(request: pytest.FixtureRequest) -> FontFace:
    return getattr(get_fonts(), request.param)


def test_cmap_and_advances_match_fonttools(face: FontFace) -> None:
    with _fonttools(face) as font:
        _check_cmap_and_advances(face, font)


def _check_cmap_and_advances(face: FontFace, font: TTFont) -> None:
    best = font.getBestCmap()
    for code, name in best.items():
        assert face.cmap.get(code) == font.getGlyphID(name), hex(code)
    assert sorted(face.cmap) == sorted(c for c, n in best.items() if n != ".notdef")
    assert 0x1F600 not in face.cmap and face.cmap.get(0x1F600) is None  # no emoji
    hmtx = font["hmtx"].metrics
    for gid in range(0, font["maxp"].numGlyphs, 61):
        assert face.advances[gid] == hmtx[font.getGlyphName(gid)][0]
    # the whole cmap of ~45,000 code points is a few hundred kilobytes
    assert isinstance(face.cmap, CharMap) and face.cmap.nbytes < 1_000_000


def test_glyph_outlines_from_the_mapped_file_match_fonttools(face: FontFace) -> None:
    with _fonttools(face) as font:
        _check_outlines(face, font)


def _check_outlines(face: FontFace, font: TTFont) -> None:
    glyph_set = font.getGlyphSet()
    source = pdf_fonts._GlyphSource(face)
    assert isinstance(source.outlines, pdf_fonts._CFFOutlines)  # Noto CJK is CID-keyed CFF
    gids = [0, 1, 2, *random.Random(19).sample(range(font["maxp"].numGlyphs), 150)]
    gids += [face.cmap[ord(c)] for c in "不动产权证书𠮷汨罗市0Aa"]
    for gid in gids:
        pen = TTGlyphPen(None)
        glyph_set[font.getGlyphName(gid)].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        expected = pen.glyph()
        expected.recalcBounds(None)
        cached = source.glyph(gid)
        assert cached.data == expected.compile(None, recalcBBoxes=False), gid
        assert cached.advance == font["hmtx"].metrics[font.getGlyphName(gid)][0]


def test_charmap_from_pairs_merges_runs_and_drops_notdef() -> None:
    cmap = CharMap.from_pairs([(0x41, 10), (0x42, 11), (0x43, 12), (0x45, 3), (0x46, 0)])
    assert cmap.nbytes == 2 * 3 * 4  # two ranges
    assert [cmap.get(c) for c in (0x40, 0x41, 0x43, 0x44, 0x45, 0x46)] == [
        None,
        10,
        12,
        None,
        3,
        None,
    ]
    assert list(cmap) == [0x41, 0x42, 0x43, 0x45] and len(cmap) == 4
    with pytest.raises(KeyError):
        cmap[0x46]


def test_group_masks_stay_within_their_byte_budget() -> None:
    fonts = get_fonts()
    png.clear_caches()
    for i in range(12):  # twelve full-page watermarks would be ~26 MB
        text = Text(10, 10 + i, f"仅供办理事由{i}使用", 14, angle=30)
        png._group_mask(Group((0, 0, 210, 297), (200, 200, 200), 0.5, (text,)), fonts, 150)
    assert 0 < png._masks.size <= png.MASK_CACHE_BYTES
    render_license_png(samples.sample_license(samples.REGISTRY))  # still draws
    assert png._masks.size <= png.MASK_CACHE_BYTES


def test_render_cache_budget() -> None:
    cache = downloads.RenderCache()
    assert (cache.max_entries, cache.max_bytes) == (64, 8 * 1024 * 1024)
    for i in range(20):
        cache.put(str(i), b"x" * (1024 * 1024))
    assert cache.size <= 8 * 1024 * 1024 and len(cache) == 8


def test_gunicorn_preloads_the_app_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRELOAD_APP", raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["preload_app"] is True
    assert callable(settings["when_ready"]) and callable(settings["post_fork"])
    monkeypatch.setenv("PRELOAD_APP", "false")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["preload_app"] is False
