"""Token payload: document kinds, claims, compact certificate numbers, content digest."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple

from ._cbor import CBORStructureError, decode_strict, encode_canonical
from .errors import MalformedToken

__all__ = [
    "DIGEST_LENGTH",
    "DOCUMENT_ID_LENGTH",
    "MAX_NUMBER_TEXT_BYTES",
    "MAX_TIME",
    "NUMBER_TEXT_RANGES",
    "CertificateNumber",
    "Claims",
    "DocumentKind",
    "compact_number",
    "content_digest",
    "digest_matches",
    "format_number",
    "new_document_id",
]

DOCUMENT_ID_LENGTH = 12  # bytes = 96 random bits
DIGEST_LENGTH = 16  # bytes = SHA-256 truncated to 128 bits
MAX_NUMBER_TEXT_BYTES = 20  # UTF-8 bytes of a number kept as text
_MAX_UINT = 2**64 - 1
# iat and exp: at most 2^53 - 1, the largest integer every language's number type holds
# exactly (JavaScript's Number.MAX_SAFE_INTEGER); far beyond any real date.
MAX_TIME = 2**53 - 1
# Characters allowed in a number kept as text (docs/verification-token.md section 4): fixed
# code-point ranges, so the rule does not move with Unicode versions (str.isprintable does).
# No character in them has a canonical decomposition or a non-zero combining class, so any
# string of them is already NFC.
NUMBER_TEXT_RANGES: tuple[tuple[int, int], ...] = (
    (0x0021, 0x007E),  # ASCII letters, digits and punctuation (no space, no controls)
    (0x3001, 0x3029),  # CJK symbols and punctuation (、。《》「」【】〔〕 ...)
    (0x3030, 0x303F),  # ... the rest of that block without the combining tone marks 302A-302F
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xFF01, 0xFF5E),  # full-width ASCII forms: （）０-９Ａ-Ｚ...
)
_NUMBER_TEXT_RE = re.compile(
    "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in NUMBER_TEXT_RANGES) + "]+"
)

# Payload map labels (integers keep the QR small).  1, 4, 6 and 7 have the same
# meaning as in CWT (RFC 8392); the negative ones are this format's own.
LABEL_ISS = 1
LABEL_EXP = 4
LABEL_IAT = 6
LABEL_ID = 7
LABEL_KIND = -1
LABEL_NUMBER = -2
LABEL_DIGEST = -3
_REQUIRED = {LABEL_ISS, LABEL_IAT, LABEL_ID, LABEL_KIND, LABEL_NUMBER, LABEL_DIGEST}
_KNOWN = _REQUIRED | {LABEL_EXP}

# Unified social credit code (GB 32100-2015) shape: 18 digits or upper-case letters.
_ISSUER_RE = re.compile(r"[0-9A-Z]{18}")


class DocumentKind(IntEnum):
    """What the token vouches for. The integer is the code carried in the token."""

    PROPERTY = 1  # 不动产权证书
    REGISTRATION = 2  # 不动产登记证明
    ELICENSE_COPY = 3  # 电子证照加注件 (annotated copy of an e-license)
    HOUSING_PROOF = 4  # 房屋证明 (有房/无房证明, 房屋权属证明)

    @property
    def code_name(self) -> str:
        """Stable English code name, e.g. ``"property"``."""
        return _KIND_NAMES[self][0]

    @property
    def label_zh(self) -> str:
        return _KIND_NAMES[self][1]

    @property
    def label_en(self) -> str:
        return _KIND_NAMES[self][2]

    @classmethod
    def parse(cls, value: DocumentKind | int | str) -> DocumentKind:
        """Accept a member, its integer code or its code name."""
        if isinstance(value, str):
            for kind, (name, _, _) in _KIND_NAMES.items():
                if value == name:
                    return kind
            raise ValueError(f"unknown document kind {value!r}")
        if isinstance(value, bool):
            raise ValueError("document kind must not be a bool")
        return cls(value)


_KIND_NAMES = {
    DocumentKind.PROPERTY: ("property", "不动产权证书", "Property certificate"),
    DocumentKind.REGISTRATION: ("registration", "不动产登记证明", "Registration certificate"),
    DocumentKind.ELICENSE_COPY: ("elicense_copy", "电子证照加注件", "E-license annotated copy"),
    DocumentKind.HOUSING_PROOF: ("housing_proof", "房屋证明", "Housing proof"),
}

# GB/T 2260 province-level codes and the abbreviations used in certificate numbers.
PROVINCES: dict[int, str] = {
    11: "京", 12: "津", 13: "冀", 14: "晋", 15: "蒙", 21: "辽", 22: "吉", 23: "黑",
    31: "沪", 32: "苏", 33: "浙", 34: "皖", 35: "闽", 36: "赣", 37: "鲁",
    41: "豫", 42: "鄂", 43: "湘", 44: "粤", 45: "桂", 46: "琼",
    50: "渝", 51: "川", 52: "黔", 53: "云", 54: "藏",
    61: "陕", 62: "甘", 63: "青", 64: "宁", 65: "新",
    71: "台", 81: "港", 82: "澳",
}  # fmt: skip
_PROVINCE_CODES = {abbr: code for code, abbr in PROVINCES.items()}
_SERIES = {1: "不动产权", 2: "不动产证明"}
_SERIES_CODES = {word: code for code, word in _SERIES.items()}
_NUMBER_RE = re.compile(
    r"(?P<prov>\w)[(（](?P<year>\d{4})[)）](?P<place>\w+?)"
    r"(?P<series>不动产权|不动产证明)第(?P<seq>\d{7})号"
)


class CertificateNumber(NamedTuple):
    """Compact form of ``湘(2022)长沙市不动产权第0001234号``: ``(43, 2022, 1, 1234)``.

    The place name (长沙市) is left out: it is the jurisdiction of the issuing
    registry named by ``iss``. ``series`` is 1 for 不动产权 and 2 for 不动产证明.
    """

    province: int
    year: int
    series: int
    sequence: int

    def format(self, place: str | None = None) -> str:
        """Rebuild the printed number; without ``place`` it shows ``…`` instead."""
        return (
            f"{PROVINCES[self.province]}({self.year}){place or '…'}"
            f"{_SERIES[self.series]}第{self.sequence:07d}号"
        )

    def check(self) -> CertificateNumber:
        if not all(type(v) is int for v in self):
            raise ValueError("certificate number parts must be integers")
        if self.province not in PROVINCES:
            raise ValueError(f"unknown province code {self.province}")
        if not 1000 <= self.year <= 9999:
            raise ValueError("year must have 4 digits")
        if self.series not in _SERIES:
            raise ValueError("series must be 1 (不动产权) or 2 (不动产证明)")
        if not 0 <= self.sequence <= 9_999_999:
            raise ValueError("sequence must have at most 7 digits")
        return self


CompactNumber = CertificateNumber | str


def compact_number(number: str) -> CompactNumber:
    """Compact a printed certificate/proof number for the token.

    Numbers of the form ``{省}({year}){place}不动产权|不动产证明第{7 digits}号``
    (ASCII or full-width brackets) become a :class:`CertificateNumber`; anything
    else (e.g. a housing-proof serial) is kept as NFC text of at most
    ``MAX_NUMBER_TEXT_BYTES`` UTF-8 bytes.
    """
    text = unicodedata.normalize("NFC", number.strip())
    match = _NUMBER_RE.fullmatch(text)
    if match and match["prov"] in _PROVINCE_CODES:
        return CertificateNumber(
            _PROVINCE_CODES[match["prov"]],
            int(match["year"]),
            _SERIES_CODES[match["series"]],
            int(match["seq"]),
        )
    return _check_number_text(text)


def _check_number_text(text: str) -> str:
    if not text or len(text.encode()) > MAX_NUMBER_TEXT_BYTES:
        raise ValueError(f"number text must be 1..{MAX_NUMBER_TEXT_BYTES} UTF-8 bytes: {text!r}")
    if not _NUMBER_TEXT_RE.fullmatch(text):
        raise ValueError(
            "number text may only hold ASCII U+0021-U+007E, CJK ideographs, CJK punctuation "
            "and full-width forms (docs/verification-token.md section 4)"
        )
    return text


def format_number(number: CompactNumber, place: str | None = None) -> str:
    """Human-readable form of a compact number (see :meth:`CertificateNumber.format`)."""
    if isinstance(number, CertificateNumber):
        return number.format(place)
    return number


def new_document_id() -> bytes:
    """A fresh random document id (96 bits from the OS CSPRNG)."""
    return secrets.token_bytes(DOCUMENT_ID_LENGTH)


def content_digest(fields: Mapping[str, str | int | None]) -> bytes:
    """SHA-256 (first 16 bytes) of a document's canonical fields.

    Canonicalisation: entries whose value is ``None`` are dropped; keys and
    string values are Unicode-NFC-normalised; integers stay integers (bools are
    refused); the resulting map is encoded as deterministic CBOR (RFC 8949
    section 4.2.1: shortest integer and length forms, keys sorted by their
    encoded bytes) and hashed.
    """
    canon: dict[str, str | int] = {}
    for key, value in fields.items():
        if not isinstance(key, str) or not key:
            raise TypeError("field names must be non-empty strings")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise TypeError(f"field {key!r}: value must be str, int or None")
        if isinstance(value, int) and not -(2**64) <= value <= _MAX_UINT:
            raise ValueError(f"field {key!r}: integer out of CBOR range")
        name = unicodedata.normalize("NFC", key)
        if name in canon:
            raise ValueError(f"field names collide after NFC normalisation: {key!r}")
        canon[name] = unicodedata.normalize("NFC", value) if isinstance(value, str) else value
    return hashlib.sha256(encode_canonical(canon)).digest()[:DIGEST_LENGTH]


def digest_matches(claims: Claims, fields: Mapping[str, str | int | None]) -> bool:
    """Whether ``fields`` (e.g. from the registry database) hash to the token's digest."""
    return hmac.compare_digest(claims.digest, content_digest(fields))


SHOWING_MAX_SECONDS = 3600  # the longest lifetime (exp - iat) of a 亮证 code


def is_showing(claims: Claims) -> bool:
    """A 亮证 code: a certificate token (kind 1 or 2) that lives at most an hour
    (``exp`` − ``iat`` ≤ :data:`SHOWING_MAX_SECONDS`). A certificate's own token has no
    ``exp``; the copy shown on the holder's screen lives two minutes
    (docs/verification-token.md, section 4)."""
    return (
        claims.exp is not None
        and claims.exp - claims.iat <= SHOWING_MAX_SECONDS
        and claims.kind in (DocumentKind.PROPERTY, DocumentKind.REGISTRATION)
    )


def _is_time(value: object) -> bool:
    return type(value) is int and 0 <= value <= MAX_TIME


@dataclass(frozen=True)
class Claims:
    """The signed statement. No names, ID numbers or addresses are ever carried."""

    iss: str
    iat: int
    kind: DocumentKind
    document_id: bytes
    number: CompactNumber
    digest: bytes
    exp: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.iss, str) or not _ISSUER_RE.fullmatch(self.iss):
            raise ValueError("iss must be an 18-character unified social credit code")
        if not _is_time(self.iat):
            raise ValueError("iat must be an integer of 0 .. 2^53-1 (seconds)")
        if self.exp is not None and not (_is_time(self.exp) and self.exp > self.iat):
            raise ValueError("exp must be an integer of 0 .. 2^53-1 later than iat")
        object.__setattr__(self, "kind", DocumentKind.parse(self.kind))
        if type(self.document_id) is not bytes or len(self.document_id) != DOCUMENT_ID_LENGTH:
            raise ValueError(f"document_id must be {DOCUMENT_ID_LENGTH} random bytes")
        if type(self.digest) is not bytes or len(self.digest) != DIGEST_LENGTH:
            raise ValueError(f"digest must be {DIGEST_LENGTH} bytes")
        number = self.number
        if isinstance(number, tuple):
            if len(number) != 4:
                raise ValueError("certificate number must have 4 parts")
            object.__setattr__(self, "number", CertificateNumber(*number).check())
        elif isinstance(number, str):
            _check_number_text(number)
        else:
            raise ValueError("number must be a CertificateNumber or text")

    def to_payload(self) -> bytes:
        """Deterministic CBOR payload."""
        payload: dict[int, Any] = {
            LABEL_ISS: self.iss,
            LABEL_IAT: self.iat,
            LABEL_ID: self.document_id,
            LABEL_KIND: int(self.kind),
            LABEL_NUMBER: list(self.number) if isinstance(self.number, tuple) else self.number,
            LABEL_DIGEST: self.digest,
        }
        if self.exp is not None:
            payload[LABEL_EXP] = self.exp
        return encode_canonical(payload)

    @classmethod
    def from_payload(cls, data: bytes) -> Claims:
        """Parse and check a payload; raise :class:`MalformedToken` on any deviation."""
        try:
            obj = decode_strict(data, max_depth=2)
        except CBORStructureError as exc:
            raise MalformedToken(f"payload: {exc}") from exc
        if not isinstance(obj, dict):
            raise MalformedToken("payload: not a map")
        keys = set(obj)
        if keys - _KNOWN or _REQUIRED - keys:
            raise MalformedToken(
                f"payload: unexpected labels {sorted(map(repr, keys - _KNOWN))} "
                f"or missing labels {sorted(_REQUIRED - keys)}"
            )
        number = obj[LABEL_NUMBER]
        if isinstance(number, list):
            number = tuple(number)
        if type(obj[LABEL_KIND]) is not int:
            raise MalformedToken("payload: kind must be an integer code")
        try:
            kind = DocumentKind.parse(obj[LABEL_KIND])
            return cls(
                iss=obj[LABEL_ISS],
                iat=obj[LABEL_IAT],
                kind=kind,
                document_id=obj[LABEL_ID],
                number=number,
                digest=obj[LABEL_DIGEST],
                exp=obj.get(LABEL_EXP),
            )
        except (TypeError, ValueError) as exc:
            raise MalformedToken(f"payload: {exc}") from exc

    @property
    def number_text(self) -> str:
        return format_number(self.number)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly view (bytes as lower-case hex)."""
        return {
            "iss": self.iss,
            "iat": self.iat,
            "exp": self.exp,
            "kind": self.kind.code_name,
            "document_id": self.document_id.hex(),
            "number": format_number(self.number),
            "number_compact": list(self.number) if isinstance(self.number, tuple) else self.number,
            "digest": self.digest.hex(),
        }
