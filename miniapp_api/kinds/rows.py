"""A plain one-page A4 document of labelled rows (the 受理凭证 receipt, a bank's 不动产登记
证明), drawn with the shared renderer backends (``miniapp_api.rendering``: glyph-checked, PNG
and PDF from one Page)."""

from __future__ import annotations

from ..errors import Problem
from ..rendering import get_fonts
from ..rendering import pdf as _pdf
from ..rendering import png as _png
from ..rendering.components import qr_matrix
from ..rendering.layout import Line, MissingGlyphError, Page, QRCode, Text, wrap

DPI = 150


def rows_page(title: str, rows: list[tuple[str, str]], url: str | None) -> Page:
    fonts = get_fonts()
    page = Page(title=title)
    page.add(Text(105, 30, title, 20, bold=True, align="c"))
    page.add(Line(20, 36, 190, 36, width=0.5))
    y = 48.0
    for label, value in rows:
        page.add(Text(22, y, label, 11, bold=True))
        lines = wrap(value or "/", 120, 11, fonts) or ["/"]
        for line in lines:
            page.add(Text(62, y, line, 11))
            y += 7
        y += 3
    if url:
        qr_size = 40.0
        page.add(QRCode(x=150, y=max(y, 200), size=qr_size, matrix=qr_matrix(url)))
        page.add(Text(170, max(y, 200) + qr_size + 6, "扫码核验", 9, align="c"))
    missing = page.missing_glyphs(fonts)
    if missing:
        raise MissingGlyphError(missing)
    return page


def render_rows(title: str, rows: list[tuple[str, str]], fmt: str, url: str | None) -> bytes:
    try:
        page = rows_page(title, rows, url)
        fonts = get_fonts()
        if fmt == "png":
            return _png.encode_png(_png.render_page(page, fonts, DPI), DPI)
        return _pdf.render_page(page, fonts, author=title)
    except MissingGlyphError as exc:
        raise Problem(503, "renderer_unavailable", "文书暂时无法生成，请到窗口办理") from exc
