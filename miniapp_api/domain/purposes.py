"""Purposes (事由) of annotated copies and housing proofs: the common list and validation.

Project choices (docs/documents.md):
- a purpose is free text, 1..30 characters after normalising, printable on the document (no
  control or format characters, no markup, every character in the document font);
- it is printed inside a sentence, 「仅供办理{事由}使用」, so the words the sentence already
  has are taken off the citizen's text once, here on the server: a leading 办理/用于/仅供…,
  a trailing 使用/之用 and surrounding quotes (「办理银行开户」 → 银行开户, never
  「仅供办理办理银行开户使用」); only Chinese characters, letters, digits and plain punctuation;
- the common purposes are offered as a list; "其他" only tells the app to ask for free text
  and is refused as a purpose of its own (a watermark "仅供办理其他使用" restricts nothing);
- a housing proof is valid 30 days, less where the purpose needs a fresher answer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..rendering import FontNotFound, get_fonts, missing_glyphs

MAX_PURPOSE_LENGTH = 30
PROOF_MAX_VALID_DAYS = 30
COPY_MIN_VALID_DAYS = 1
COPY_MAX_VALID_DAYS = 90
COPY_DEFAULT_VALID_DAYS = 30
OTHER = "其他"


@dataclass(frozen=True)
class Purpose:
    label: str
    proof_valid_days: int
    description: str
    free_text: bool = False


COMMON_PURPOSES: tuple[Purpose, ...] = (
    Purpose("子女入学", 30, "义务教育阶段学校招生核验住房情况"),
    # Purchase eligibility and loans are decided on the current housing situation: a proof
    # older than two weeks says too little (project choice).
    Purpose("购房资格审核", 15, "住房限购或首套房认定"),
    Purpose("贷款", 15, "银行办理住房贷款"),
    Purpose("落户", 30, "办理户口迁入"),
    Purpose("公积金提取", 30, "住房公积金提取或贷款"),
    Purpose(OTHER, 30, "其他事由：请填写具体事由", free_text=True),
)
_BY_LABEL = {p.label: p for p in COMMON_PURPOSES}

# Markup and characters that make no sense in a printed purpose.
_FORBIDDEN = re.compile(r"[<>&\"'`\\{}]")
# What a purpose may hold: Chinese characters, letters, digits, spaces and plain punctuation.
_ALLOWED = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z0-9 ·\-—（）()、，,.．/]+")


class PurposeError(ValueError):
    """The purpose cannot be used; ``str(exc)`` is a Chinese message for the citizen."""


# Words the printed sentence 「仅供办理{事由}使用」 already has, taken off the citizen's text.
_LEADING_WORDS = ("仅供", "仅用于", "只用于", "用于", "用作", "用来", "为了", "办理")
_TRAILING_WORDS = ("使用", "之用")
_EDGE = "「」『』“”‘’\"'《》〈〉:：,，.。;；!！?？、 "  # brackets stay: （…） can end a purpose


def normalize_purpose(value: str) -> str:
    """The purpose as it will be printed: NFC, white space collapsed, and the sentence's own
    words (a leading 办理/用于/仅供…, a trailing 使用/之用) and edge quotes taken off."""
    text = " ".join(unicodedata.normalize("NFC", value).split())
    changed = True
    while changed:
        changed = False
        stripped = text.strip(_EDGE)
        if stripped != text:
            text, changed = stripped, True
        for word in _LEADING_WORDS:
            if text.startswith(word) and len(text) > len(word):
                text, changed = text[len(word) :], True
        for word in _TRAILING_WORDS:
            if text.endswith(word) and len(text) > len(word):
                text, changed = text[: -len(word)], True
    return text


def printed_sentence(purpose: str) -> str:
    """The sentence printed in the watermark and the 加注 box: 「仅供办理{事由}使用」."""
    return f"仅供办理{purpose}使用"


def check_purpose(value: object) -> str:
    """The normalised purpose, or ``PurposeError`` with the reason in Chinese."""
    if not isinstance(value, str):
        raise PurposeError("事由必须是文字")
    raw = unicodedata.normalize("NFC", value)
    for char in raw:
        if unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}:
            if char in " \t":
                continue
            raise PurposeError("事由不能包含控制字符或不可见字符")
    if not " ".join(raw.split()):
        raise PurposeError("请填写事由")
    text = normalize_purpose(raw)
    if not text or text in _LEADING_WORDS:
        raise PurposeError("请填写具体事由，如：银行开户")
    if len(text) > MAX_PURPOSE_LENGTH:
        raise PurposeError(f"事由不能超过{MAX_PURPOSE_LENGTH}个字")
    if _FORBIDDEN.search(text):
        raise PurposeError("事由不能包含 < > & 引号 等特殊符号")
    if text == OTHER:
        raise PurposeError("请填写具体事由")
    if not _ALLOWED.fullmatch(text):
        raise PurposeError("事由只能包含汉字、字母、数字和常用标点")
    missing = _unprintable(text)
    if missing:
        raise PurposeError("事由包含无法打印的字符：" + "".join(sorted(missing)))
    return text


def _unprintable(text: str) -> set[str]:
    """Characters the document font has no glyph for (emoji, rare symbols)."""
    try:
        fonts = get_fonts()
    except FontNotFound:
        return set()  # rendering itself reports the missing font (503)
    return missing_glyphs(text, fonts.regular) | missing_glyphs(text, fonts.bold)


def preview(value: object) -> dict[str, object]:
    """What will be printed for this text: ``{purpose, sentence}`` or ``{error}``."""
    try:
        purpose = check_purpose(value)
    except PurposeError as exc:
        return {"purpose": None, "sentence": None, "error": str(exc)}
    return {"purpose": purpose, "sentence": printed_sentence(purpose), "error": None}


def is_common(purpose: str) -> bool:
    return purpose in _BY_LABEL


def proof_valid_days(purpose: str) -> int:
    """Days a housing proof for this purpose stays valid (≤ 30)."""
    common = _BY_LABEL.get(purpose)
    days = common.proof_valid_days if common else PROOF_MAX_VALID_DAYS
    return min(days, PROOF_MAX_VALID_DAYS)


def purposes_payload() -> list[dict[str, object]]:
    return [
        {
            "label": p.label,
            "description": p.description,
            "proof_valid_days": p.proof_valid_days,
            "free_text": p.free_text,
        }
        for p in COMMON_PURPOSES
    ]
