"""Token text (RFC 4648 base32, no padding) and verification URLs ``{base}/v/{TOKEN}``."""

from __future__ import annotations

import base64
import re
from urllib.parse import urlsplit

from .errors import MalformedToken, TokenTooLarge

__all__ = [
    "MAX_TOKEN_BYTES",
    "MAX_TOKEN_TEXT",
    "QR_ALPHANUMERIC",
    "extract_token",
    "qr_url",
    "text_to_token",
    "token_from_url",
    "token_to_text",
    "token_url",
]

MAX_TOKEN_BYTES = 1024
MAX_TOKEN_TEXT = -(-MAX_TOKEN_BYTES * 8 // 5)  # 1639 base32 characters
_MAX_URL_TEXT = 4096
QR_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
_BASE32_RE = re.compile(r"[A-Z2-7]*")
_VALID_TAIL = {0, 2, 4, 5, 7}  # unpadded base32 lengths modulo 8
# Unused bits at the end of unpadded base32, by length modulo 8.
_TAIL_BITS = {0: 0, 2: 2, 4: 4, 5: 1, 7: 3}
# RFC 4648 base32 digits mapped to the digits int(..., 32) reads: one C-speed conversion
# instead of base64.b32decode's per-character Python loop (this is on every check's path).
_TO_INT_DIGITS = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHIJKLMNOPQRSTUV"
)


def token_to_text(token: bytes) -> str:
    """Upper-case base32 without ``=`` padding."""
    return base64.b32encode(token).decode("ascii").rstrip("=")


def text_to_token(text: str) -> bytes:
    """Decode token text (either case, no padding).

    Raises :class:`TokenTooLarge` before decoding when the text could hold more
    than ``MAX_TOKEN_BYTES`` bytes, :class:`MalformedToken` for anything that is
    not canonical unpadded base32.
    """
    if len(text) > MAX_TOKEN_TEXT:
        raise TokenTooLarge(f"token text longer than {MAX_TOKEN_TEXT} characters")
    if not text.isascii():  # ASCII case folding only ("ı".upper() would be "I")
        raise MalformedToken("token text is not unpadded base32")
    upper = text.upper()
    if not upper or not _BASE32_RE.fullmatch(upper) or len(upper) % 8 not in _VALID_TAIL:
        raise MalformedToken("token text is not unpadded base32")
    tail = _TAIL_BITS[len(upper) % 8]
    value = int(upper.translate(_TO_INT_DIGITS), 32)
    if value & ((1 << tail) - 1):  # unused trailing bits must be zero
        raise MalformedToken("token text is not canonical base32")
    return (value >> tail).to_bytes(len(upper) * 5 // 8, "big")


def token_url(base: str, token: bytes | str) -> str:
    """``{base}/v/{TOKEN}`` for links in pages and messages."""
    text = token if isinstance(token, str) else token_to_text(token)
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError("base must be an http(s) URL without query or fragment")
    return f"{base.rstrip('/')}/v/{text}"


def qr_url(base: str, token: bytes | str) -> str:
    """The upper-cased URL that goes into the QR code (QR alphanumeric mode).

    Scheme and host are case-insensitive and the service accepts ``/V/``; a path
    in ``base`` must then also be served in upper case.
    """
    url = token_url(base, token).upper()
    bad = set(url) - QR_ALPHANUMERIC
    if bad:
        raise ValueError(f"URL has characters outside QR alphanumeric mode: {sorted(bad)}")
    return url


_ASCII_WHITESPACE = "\t\n\v\f\r "  # U+0009-U+000D and U+0020, stripped at both ends
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]*")
_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def extract_token(url: str) -> str:
    """Token text (upper case) from a verification URL or from bare token text.

    The normalisation of docs/verification-token.md section 6, step by step:
    more than 4096 characters is too large; ASCII whitespace at both ends is
    dropped; anything else outside visible ASCII (U+0021-U+007E) is malformed;
    text without ``/`` is the token itself; otherwise fragment, query, scheme and
    authority are cut off, trailing ``/`` dropped, and the second-to-last path
    segment must be ``v`` or ``V``. Nothing is percent-decoded. The base32 itself
    is checked by :func:`text_to_token`.
    """
    if len(url) > _MAX_URL_TEXT:
        raise TokenTooLarge("URL too long")
    url = url.strip(_ASCII_WHITESPACE)
    if not _VISIBLE_ASCII.fullmatch(url):
        raise MalformedToken("only visible ASCII characters may appear in a token or link")
    if "/" not in url:
        return url.upper()
    path = url.split("#", 1)[0].split("?", 1)[0]
    scheme = _SCHEME_RE.match(path)
    if scheme:
        path = path[scheme.end() :]
    if path.startswith("//"):
        slash = path.find("/", 2)
        path = path[slash:] if slash >= 0 else ""
    segments = path.rstrip("/").split("/")
    if len(segments) < 2 or segments[-2] not in ("v", "V") or not segments[-1]:
        raise MalformedToken("no /v/{TOKEN} in the URL")
    return segments[-1].upper()


def token_from_url(url: str) -> bytes:
    """Token bytes from a verification URL or bare token text."""
    return text_to_token(extract_token(url))
