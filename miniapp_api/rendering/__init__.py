"""Rendering of citizen documents to PNG and PDF (pure: no Flask, no database).

Public API::

    render_license_png(doc, dpi=150) -> bytes   # 加注件 of an e-license
    render_license_pdf(doc) -> bytes
    render_proof_png(doc, dpi=150) -> bytes     # 有房/无房 housing proof
    render_proof_pdf(doc) -> bytes
    license_page(doc) / proof_page(doc) -> Page # the layout (every drawn string)
    missing_glyphs(text, face) -> set[str]
    warm_up()                                    # load fonts and caches at start-up

Every render checks every string it draws against the font's cmap and raises
``MissingGlyphError`` instead of producing an official document with a
missing-glyph box in it.  ``FontNotFound`` means no CJK font is installed.
"""

from __future__ import annotations

from . import pdf as _pdf
from . import png as _png
from . import samples
from .components import watermark_text
from .documents import layout_license, layout_proof
from .fonts import FontFace, FontNotFound, FontSet, get_fonts, missing_glyphs, reset_font_cache
from .layout import DocumentTooLong, MissingGlyphError, Page
from .models import FamilyMember, Holder, LicenseDocument, ProofDocument, PropertyUnit
from .pdf_fonts import warm_glyphs

DEFAULT_DPI = 150
MIN_DPI, MAX_DPI = 50, 400


def _check_dpi(dpi: float) -> float:
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise ValueError(f"dpi must be between {MIN_DPI} and {MAX_DPI}")
    return dpi


__all__ = [
    "DEFAULT_DPI",
    "DocumentTooLong",
    "FamilyMember",
    "FontFace",
    "FontNotFound",
    "FontSet",
    "Holder",
    "LicenseDocument",
    "MissingGlyphError",
    "Page",
    "ProofDocument",
    "PropertyUnit",
    "get_fonts",
    "license_page",
    "missing_glyphs",
    "proof_page",
    "render_license_pdf",
    "render_license_png",
    "render_proof_pdf",
    "render_proof_png",
    "reset_font_cache",
    "warm_up",
    "watermark_text",
]


def _checked(page: Page, fonts: FontSet) -> Page:
    missing = page.missing_glyphs(fonts)
    if missing:
        raise MissingGlyphError(missing)
    return page


def license_page(doc: LicenseDocument) -> Page:
    """Layout of the annotated e-license copy (glyphs checked)."""
    fonts = get_fonts()
    return _checked(layout_license(doc, fonts), fonts)


def proof_page(doc: ProofDocument) -> Page:
    """Layout of the housing proof (glyphs checked)."""
    fonts = get_fonts()
    return _checked(layout_proof(doc, fonts), fonts)


def render_license_png(doc: LicenseDocument, dpi: float = DEFAULT_DPI) -> bytes:
    """The annotated e-license copy as an A4 PNG."""
    _check_dpi(dpi)
    page = license_page(doc)
    return _png.encode_png(_png.render_page(page, get_fonts(), dpi), dpi)


def render_license_pdf(doc: LicenseDocument) -> bytes:
    """The annotated e-license copy as a one-page A4 PDF with selectable text."""
    page = license_page(doc)
    return _pdf.render_page(page, get_fonts(), author=doc.registry_name)


def render_proof_png(doc: ProofDocument, dpi: float = DEFAULT_DPI) -> bytes:
    """The housing proof as an A4 PNG."""
    _check_dpi(dpi)
    page = proof_page(doc)
    return _png.encode_png(_png.render_page(page, get_fonts(), dpi), dpi)


def render_proof_pdf(doc: ProofDocument) -> bytes:
    """The housing proof as a one-page A4 PDF with selectable text."""
    page = proof_page(doc)
    return _pdf.render_page(page, get_fonts(), author=doc.registry_name)


def warm_up(registry_name: str | None = None) -> None:
    """Load fonts and fill the caches; call once per process at start-up.

    Lays out sample documents (every fixed label, digits, ASCII) and converts
    their glyphs for the PDF fonts; with ``registry_name`` a copy and a proof are
    also drawn as PNG (the seal of that registry, the FreeType faces of the
    usual sizes).  Takes about a second.  Under gunicorn this runs once in the
    master (``gunicorn.conf.py``), so the workers share what it loads.
    """
    name = registry_name or samples.REGISTRY
    fonts = get_fonts()
    render_license_pdf(samples.sample_license(name))
    render_proof_pdf(samples.sample_proof(name, has_property=True))
    render_proof_pdf(samples.sample_proof(name, has_property=False))
    if registry_name:
        render_license_png(samples.sample_license(name))
        render_proof_png(samples.sample_proof(name, has_property=True))
    for face in (fonts.regular, fonts.bold):
        warm_glyphs(face, samples.ASCII_RANGE)
