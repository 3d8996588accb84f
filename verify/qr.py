"""QR rendering (segno) and reading (zxing-cpp).

segno, Pillow and zxing-cpp are imported lazily so that the signing and
verification core works without them.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import segno
    from PIL import Image

__all__ = ["QR_BORDER", "QR_ERROR", "QR_MAX_VERSION", "make_qr", "qr_png", "qr_svg", "read_qr"]

QR_ERROR = "M"
QR_MAX_VERSION = 10
QR_BORDER = 4  # quiet zone in modules, as ISO/IEC 18004 requires


def make_qr(text: str) -> segno.QRCode:
    """QR code at error level M (not boosted) and the smallest version.

    Raises ``ValueError`` if the text needs a version above ``QR_MAX_VERSION``.
    """
    import segno

    try:
        qr = segno.make_qr(text, error=QR_ERROR, boost_error=False)
    except segno.DataOverflowError as exc:
        raise ValueError(str(exc)) from exc
    if qr.version > QR_MAX_VERSION:
        raise ValueError(f"needs QR version {qr.version} > {QR_MAX_VERSION}")
    return qr


def qr_png(text: str, *, scale: int = 4, border: int = QR_BORDER) -> bytes:
    """PNG bytes; ``scale`` is pixels per module."""
    buf = io.BytesIO()
    make_qr(text).save(buf, kind="png", scale=scale, border=border)
    return buf.getvalue()


def qr_svg(text: str, *, scale: int = 4, border: int = QR_BORDER) -> str:
    """SVG text without XML declaration (ready to inline in HTML)."""
    buf = io.BytesIO()
    make_qr(text).save(buf, kind="svg", scale=scale, border=border, xmldecl=False)
    return buf.getvalue().decode("utf-8")


def read_qr(image: bytes | Image.Image) -> list[str]:
    """Texts of all QR codes found in an image (bytes of any Pillow format, or an image).

    Raises ``ValueError`` if the bytes are not an image.
    """
    import zxingcpp
    from PIL import Image, ImageOps, UnidentifiedImageError

    if isinstance(image, (bytes, bytearray, memoryview)):
        try:
            img = Image.open(io.BytesIO(image))
            img.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError(f"not a readable image: {exc}") from exc
    else:
        img = image
    img = ImageOps.exif_transpose(img).convert("L")
    texts: list[str] = []
    for binarizer in (zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.GlobalHistogram):
        for barcode in zxingcpp.read_barcodes(
            img, formats=zxingcpp.BarcodeFormat.QRCode, binarizer=binarizer
        ):
            if barcode.text not in texts:
                texts.append(barcode.text)
        if texts:
            break
    return texts
