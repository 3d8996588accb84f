"""PDF backend: draws a ``Page`` with fpdf2, text embedded as a font subset."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .fonts import FontSet
from .layout import Group, Line, Page, Polygon, QRCode, Rect, Ring, Text
from .pdf_fonts import build_subset_font
from .png import qr_image

if TYPE_CHECKING:
    from fpdf import FPDF

QR_MODULE_PX = 8  # pixels per module of the embedded QR image (sharp when extracted)
_FAMILIES = {False: "cjk", True: "cjk-bold"}


def _text(pdf: FPDF, fonts: FontSet, item: Text) -> None:
    face = fonts.face(item.bold)
    pdf.set_font(_FAMILIES[item.bold], size=item.size)
    x = item.x
    if item.align != "l":
        width = face.text_width(item.text, item.size)
        x -= width / 2 if item.align == "c" else width
    if item.angle:
        with pdf.rotation(item.angle, item.x, item.y):
            pdf.text(x, item.y, item.text)
    else:
        pdf.text(x, item.y, item.text)


def _group(pdf: FPDF, fonts: FontSet, group: Group) -> None:
    with pdf.local_context(fill_opacity=group.opacity, stroke_opacity=group.opacity):
        pdf.set_text_color(*group.color)
        pdf.set_draw_color(*group.color)
        pdf.set_fill_color(*group.color)
        for item in group.items:
            if isinstance(item, Text):
                _text(pdf, fonts, item)
            elif isinstance(item, Ring):
                pdf.set_line_width(item.width)
                pdf.circle(item.cx, item.cy, item.r, style="D")
            elif isinstance(item, Polygon):
                pdf.polygon(list(item.points), style="F")


def render_page(page: Page, fonts: FontSet, author: str = "") -> bytes:
    """Draw the page into a one-page PDF and return its bytes."""
    from fpdf import FPDF  # imported on first use: fpdf2 takes ~0.3 s to import

    pdf = FPDF(unit="mm", format=(page.width, page.height))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.set_title(page.title)
    pdf.set_lang("zh-CN")
    if author:
        pdf.set_author(author)
    pdf.set_creator("miniapp_api.rendering")
    with tempfile.TemporaryDirectory(prefix="render-pdf-") as tmp:
        for bold, family in _FAMILIES.items():
            chars = page.chars(bold)
            if not chars:
                continue
            path = Path(tmp) / f"{family}.ttf"
            path.write_bytes(build_subset_font(fonts.face(bold), chars))
            pdf.add_font(family, "", path)
            # fpdf2 subsets and re-saves the font at output; our glyphs carry
            # their bounds, so skip decompiling and recompiling every outline.
            ttfont = getattr(pdf.fonts.get(family), "ttfont", None)
            if ttfont is not None:
                ttfont.recalcBBoxes = False
        pdf.add_page()
        for op in page.ops:
            if isinstance(op, Text):
                pdf.set_text_color(*op.color)
                _text(pdf, fonts, op)
            elif isinstance(op, Line):
                pdf.set_draw_color(*op.color)
                pdf.set_line_width(op.width)
                pdf.line(op.x1, op.y1, op.x2, op.y2)
            elif isinstance(op, Rect):
                pdf.set_draw_color(*op.color)
                pdf.set_line_width(op.width)
                pdf.rect(op.x, op.y, op.w, op.h, style="D")
            elif isinstance(op, QRCode):
                pdf.image(qr_image(op, QR_MODULE_PX), op.x, op.y, op.size, op.size)
            elif isinstance(op, Group):
                _group(pdf, fonts, op)
        # The subset fonts are read lazily: write the PDF before they go.
        return bytes(pdf.output())
