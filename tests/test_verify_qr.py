"""verify: QR size budget, rendering and reading back (clean and degraded images)."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from PIL import Image, ImageFilter

from verify import (
    MAX_NUMBER_TEXT_BYTES,
    QR_MAX_VERSION,
    CertificateNumber,
    Claims,
    DocumentKind,
    Ed25519Signer,
    make_qr,
    qr_png,
    qr_svg,
    qr_url,
    read_qr,
    sign,
)

BASE = "https://bdc.example.gov.cn"
SIGNER = Ed25519Signer.from_seed(hashlib.sha256(b"test_verify_qr key").digest())
ISSUER = "12430100MB1C23456X"
ALPHANUMERIC_V10_M = 311  # characters (ISO/IEC 18004 table 7)

# The largest number each kind can carry: the structured form with maximal values, and
# the text fallback at its byte limit.
LARGEST_NUMBERS = {
    DocumentKind.PROPERTY: [CertificateNumber(82, 9999, 1, 9_999_999)],
    DocumentKind.REGISTRATION: [CertificateNumber(82, 9999, 2, 9_999_999)],
    DocumentKind.ELICENSE_COPY: [CertificateNumber(82, 9999, 2, 9_999_999)],
    DocumentKind.HOUSING_PROOF: [],
}
TEXT_NUMBERS = ["FWZM" + "9" * (MAX_NUMBER_TEXT_BYTES - 4), "湘房证明字第" + "9" * 2]


def largest_claims(kind: DocumentKind, number: CertificateNumber | str) -> Claims:
    return Claims(
        iss=ISSUER,
        iat=4_000_000_000,  # uint32 times are the largest encoding before 2106
        exp=4_102_444_799,
        kind=kind,
        document_id=b"\xff" * 12,
        number=number,
        digest=b"\xff" * 16,
    )


def largest_url(kind: DocumentKind, base: str = BASE) -> str:
    urls = [
        qr_url(base, sign(largest_claims(kind, n), SIGNER))
        for n in LARGEST_NUMBERS[kind] + TEXT_NUMBERS
    ]
    return max(urls, key=len)


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_largest_payload_fits_version_10_m(kind: DocumentKind) -> None:
    assert len(TEXT_NUMBERS[1].encode()) == MAX_NUMBER_TEXT_BYTES
    url = largest_url(kind)
    qr = make_qr(url)
    assert qr.version <= QR_MAX_VERSION
    assert qr.error == "M"
    assert qr.mode == "alphanumeric"
    assert len(url) <= ALPHANUMERIC_V10_M


def test_base_url_budget() -> None:
    """Documented in docs/verification-token.md: worst case leaves 29 characters of base."""
    worst = max((largest_url(k, "https://x") for k in DocumentKind), key=len)
    token_part = len(worst) - len("https://x")
    assert token_part == len("/V/") + 279
    assert ALPHANUMERIC_V10_M - token_part == len(BASE) + 3
    with pytest.raises(ValueError, match="version"):
        make_qr("HTTPS://BDC.EXAMPLE.GOV.CNXXXX" + worst[len("https://x") :].upper())


def test_png_and_svg_output() -> None:
    url = largest_url(DocumentKind.PROPERTY)
    qr = make_qr(url)
    modules = qr.symbol_size(scale=1, border=0)[0]
    png = qr_png(url, scale=3)
    assert png.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(png)) as img:
        assert img.size == ((modules + 8) * 3,) * 2  # 4-module quiet zone each side
    with Image.open(io.BytesIO(qr_png(url))) as img:
        assert img.size == ((modules + 8) * 4,) * 2  # default 4 px per module
    svg = qr_svg(url, scale=2)
    assert svg.startswith("<svg") and "<?xml" not in svg
    match = re.search(r'width="(\d+)"', svg)
    assert match is not None and int(match.group(1)) == (modules + 8) * 2


def test_qr_reads_back_exactly_clean_and_degraded() -> None:
    url = largest_url(DocumentKind.HOUSING_PROOF)
    png = qr_png(url, scale=3)
    assert read_qr(png) == [url]
    with Image.open(io.BytesIO(png)) as img:
        clean = img.convert("L")
    assert read_qr(clean) == [url]
    small = clean.resize((round(clean.width * 0.8),) * 2, Image.Resampling.BILINEAR)
    blurred = small.filter(ImageFilter.GaussianBlur(radius=0.6))
    buf = io.BytesIO()
    blurred.save(buf, format="JPEG", quality=60)
    assert read_qr(buf.getvalue()) == [url]


def test_read_qr_rejects_non_images_and_finds_nothing_in_blank() -> None:
    with pytest.raises(ValueError):
        read_qr(b"not an image")
    buf = io.BytesIO()
    Image.new("L", (200, 200), 255).save(buf, format="PNG")
    assert read_qr(buf.getvalue()) == []
