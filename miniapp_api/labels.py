"""The service's words: every code the API answers with, and its Simplified Chinese label.

One table per vocabulary, used by the server (JSON answers, pages, documents) and served to
the web app (``/app/js/words.js``, see webapp.py), so the two can no longer drift apart.
No app imports.
"""

from __future__ import annotations

from typing import Any

# --- verification -------------------------------------------------------------------------
VERDICT_LABELS = {
    "authentic": "真实有效",
    "cancelled": "已注销",
    "superseded": "已换证",
    "expired": "已过期",
    "forged": "无法验证",
    "unknown_document": "无法验证",
    "malformed": "无法验证",
}
# What a page (and the app) says about a verdict.
VERDICT_TEXT = {
    "authentic": "该证书/证明由本登记中心签发，当前有效。请核对下列信息与纸质件是否一致。",
    "cancelled": "该证书/证明已被注销，不能作为权属凭证使用。",
    "superseded": "该证书已换发新证，旧证不再有效，请以新证为准。",
    "expired": "该证明已超过有效期，请申请人重新开具。",
    "forged": "无法验证该二维码的真实性，它可能被篡改或伪造。请勿以此作为凭证。",
    "unknown_document": "无法验证：本登记中心没有与之对应的证书或证明记录。",
    "malformed": "无法验证：链接不完整或已损坏，请重新扫描纸质件上的二维码。",
}

# Three states of every answer (verification/tone.py): the icon of each, and the words of the
# amber state. Encumbrance kind -> how it reads after 「该房产」, most serious first.
TONE_ICONS = {"ok": "✓", "warn": "!", "bad": "✕"}
TONE_ENCUMBRANCE_WORDS = (
    ("seizure", "已被查封"),
    ("mortgage", "已抵押"),
    ("objection", "存在异议登记"),
    ("advance_notice", "存在预告登记"),
)
TONE_WARN_HEADLINE = "证书真实，但该房产"
TONE_WARN_ADVICE = "交易前请向登记中心核实。"
TONE_CHANGED_HEADLINE = "证书真实，但登记内容已有变更"
TONE_CHANGED_ADVICE = "请以登记簿记载为准，交易前请向登记中心核实。"

# --- documents and the register -----------------------------------------------------------
DOCUMENT_KIND_LABELS = {
    "property_certificate": "不动产权证书",
    "registration_certificate": "不动产登记证明",
    "license_copy": "电子证照加注件",
    "housing_proof": "房屋证明",
}
CERTIFICATE_KIND_LABELS = {"property": "不动产权证书", "registration": "不动产登记证明"}
CERTIFICATE_STATUS_LABELS = {"valid": "现势", "cancelled": "已注销", "superseded": "已换证"}
CO_OWNERSHIP_LABELS = {"sole": "单独所有", "joint": "共同共有", "shares": "按份共有"}
ENCUMBRANCE_LABELS = {
    "mortgage": "抵押",
    "seizure": "查封",
    "objection": "异议登记",
    "advance_notice": "预告登记",
}
PROOF_SCOPE_LABELS = {"personal": "个人", "family": "家庭"}
PROOF_RESULT_LABELS = {"has_property": "有房", "no_property": "无房"}
VALIDITY_LABELS = {"valid": "在有效期内", "expired": "已过有效期"}


def proof_result(has_property: bool) -> str:
    """``has_property`` / ``no_property``."""
    return "has_property" if has_property else "no_property"


def web_words(purposes: list[dict[str, Any]], stages: dict[str, str]) -> dict[str, Any]:
    """What the web app needs to label API codes, as one JSON object."""
    return {
        "verdict": VERDICT_LABELS,
        "verdictText": VERDICT_TEXT,
        "encumbrance": ENCUMBRANCE_LABELS,
        "certificateStatus": {**CERTIFICATE_STATUS_LABELS, "current": "现势"},
        "coOwnership": CO_OWNERSHIP_LABELS,
        "certificateKind": {**CERTIFICATE_KIND_LABELS, **DOCUMENT_KIND_LABELS},
        "scope": PROOF_SCOPE_LABELS,
        "proofResult": PROOF_RESULT_LABELS,
        "validity": VALIDITY_LABELS,
        "stage": stages,
        "purposes": purposes,
    }
