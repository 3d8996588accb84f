"""Finding the verification QR in an uploaded photo or scan, defensively.

Only JPEG and PNG (checked by magic bytes and by what Pillow finds), at most
``MAX_IMAGE_BYTES`` and ``MAX_PIXELS`` (a PNG's bitmap at most ``MAX_PNG_BITMAP_BYTES``);
JPEGs are decoded at reduced scale (draft mode) and every image is shrunk to ``WORK_SIDE``
pixels before zxing-cpp reads it. Anything Pillow or zxing throws at a corrupt file becomes a
422 problem, never a 500.
"""

from __future__ import annotations

import io
import logging
import warnings

import verify

from ..errors import Problem

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 50_000_000  # refuse anything larger before decoding (decompression bombs)
# A PNG cannot be decoded at reduced scale: its full bitmap is in memory (4 bytes a pixel for
# RGB/RGBA, 1 for grayscale). Capping that bitmap keeps one photo check under ~60 MB of peak
# memory and ~0.3 s CPU (tests/test_faults.py); 32 MiB is an 8-megapixel colour scan or
# screenshot, or a 33-megapixel grayscale one. JPEGs, decoded at 1/2 … 1/8 scale, keep
# MAX_PIXELS (a 48-megapixel phone photo).
MAX_PNG_BITMAP_BYTES = 32 * 1024 * 1024
# A progressive JPEG is not helped by reduced-scale decoding: libjpeg keeps every coefficient
# of the whole image (a 50-megapixel progressive CMYK JPEG peaked at 432 MB, an 8-megapixel one
# at 92 MB; docs/performance.md "Photo upload"), so it gets the 8-megapixel cap of a PNG.
MAX_PROGRESSIVE_JPEG_PIXELS = 8_000_000
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}
WORK_SIDE = 2400  # longest side zxing works on
_MAGIC = {b"\xff\xd8\xff": "JPEG", b"\x89PNG\r\n\x1a\n": "PNG"}


def sniff(data: bytes) -> str | None:
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return kind
    return None


def _unreadable(detail: str = "图片无法读取，请上传清晰的 JPEG 或 PNG 照片") -> Problem:
    return Problem(422, "image_unreadable", detail)


def load_image(data: bytes):  # type: ignore[no-untyped-def]
    """A decoded, bounded Pillow image (grayscale, at most WORK_SIDE wide or high)."""
    from PIL import Image, ImageOps

    if len(data) > MAX_IMAGE_BYTES:
        raise Problem(413, "image_too_large", "图片不能超过 5 MB")
    kind = sniff(data)
    if kind is None:
        raise Problem(415, "unsupported_image_type", "只支持 JPEG 或 PNG 格式的图片")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[kind])
            width, height = img.size
            if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
                raise _unreadable("图片尺寸过大，请缩小后重新上传")
            if kind == "PNG" and (
                width * height * _BYTES_PER_PIXEL.get(img.mode, 4) > MAX_PNG_BITMAP_BYTES
            ):
                raise _unreadable("图片尺寸过大，请缩小后重新上传（PNG 图片不超过 800 万像素）")
            progressive = img.info.get("progressive") or img.info.get("progression")
            if kind == "JPEG" and progressive and width * height > MAX_PROGRESSIVE_JPEG_PIXELS:
                raise _unreadable(
                    "图片尺寸过大，请缩小后重新上传（渐进式 JPEG 图片不超过 800 万像素）"
                )
            if kind == "JPEG":
                img.draft("L", (WORK_SIDE, WORK_SIDE))  # decode at 1/2, 1/4 or 1/8 scale
            img.load()
            img = ImageOps.exif_transpose(img)
            if img.mode not in ("L", "1"):
                img = img.convert("L")
            if max(img.size) > WORK_SIDE:
                img.thumbnail((WORK_SIDE, WORK_SIDE))
    except Problem:
        raise
    except Exception as exc:  # Pillow raises many types for corrupt files
        log.info("image refused", extra={"error_type": type(exc).__name__})
        raise _unreadable() from exc
    return img


def find_verification_text(data: bytes) -> str:
    """The text of the first QR in the image that holds a verification link or token.

    422 ``no_qr_found`` when there is no QR; 422 ``not_a_verification_code`` when the QR
    codes found are something else.
    """
    img = load_image(data)
    try:
        texts = verify.read_qr(img)
    except Exception as exc:  # zxing on a pathological bitmap: treat as unreadable
        log.info("qr reader failed", extra={"error_type": type(exc).__name__})
        raise _unreadable() from exc
    if not texts:
        raise Problem(
            422, "no_qr_found", "照片中未找到二维码，请对准证书上的二维码重新拍摄，保持清晰、完整"
        )
    for text in texts:
        try:
            verify.text_to_token(verify.extract_token(text))
        except verify.TokenError:
            continue
        return text
    raise Problem(422, "not_a_verification_code", "照片中的二维码不是本中心证书证明的核验码")
