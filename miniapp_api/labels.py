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
# A 亮证 picture's QR lives two minutes (licenses/showing.py): past that it is stale, not false.
SHOWING_EXPIRED_HEADLINE = "亮证码已过期"
SHOWING_EXPIRED_ADVICE = (
    "这是权利人亮证时出示的临时二维码，仅在出示后约 2 分钟内有效，不代表证书无效。"
    "请权利人重新亮证后扫描新的二维码，或扫描纸质证书上的二维码核验。"
)

# --- documents and the register -----------------------------------------------------------
DOCUMENT_KIND_LABELS = {
    "property_certificate": "不动产权证书",
    "registration_certificate": "不动产登记证明",
    "license_copy": "电子证照加注件",
    "housing_proof": "房屋证明",
    "application_receipt": "受理凭证",
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


# --- 一窗办事 applications ---------------------------------------------------------------------
APPLICATION_KIND_LABELS = {
    "transfer": "转移登记",
    "mortgage": "抵押权首次登记",
    "mortgage_release": "抵押权注销登记",
}
APPLICATION_STATUS_LABELS = {
    "awaiting_confirmation": "待各方确认",
    "submitted": "已提交",
    "accepted": "已受理",
    "reviewed": "已审核",
    "registered": "已登簿",
    "certified": "已缮证",
    "completed": "已办结",
    "correction_requested": "待补正",
    "rejected": "不予受理",
    "declined": "当事人不同意",
    "withdrawn": "已撤回",
}
APPLICATION_ROLE_LABELS = {"obligor": "义务人", "obligee": "权利人"}
APPLICATION_CHANNEL_LABELS = {"window": "窗口", "partner": "合作机构", "citizen": "微信"}
APPLICATION_TRACK_LABELS = {"contract_filing": "网签备案", "tax": "缴税"}
MATERIAL_LABELS = {
    "id_document": "身份证明",
    "contract": "买卖合同",
    "tax_receipt": "完税凭证",
    "loan_contract": "借款合同",
    "mortgage_contract": "抵押合同",
    "power_of_attorney": "授权委托书",
    "other": "其他材料",
}

# --- 水电气联动过户 utility transfers -----------------------------------------------------------
UTILITY_SERVICE_LABELS = {"water": "水", "power": "电", "gas": "燃气"}
UTILITY_SERVICE_NAMES = {"water": "供水", "power": "供电", "gas": "供气"}
UTILITY_STEP_LABELS = {"check": "协办核验", "transfer": "过户"}
UTILITY_STATE_LABELS = {
    "pending_check": "待核验",
    "ok": "可过户",
    "arrears": "有欠费",
    "completed": "已过户",
    "failed": "失败",
}

# --- 产权变动提醒 alerts -------------------------------------------------------------------------
ALERT_KIND_LABELS = {
    "application_filed": "登记申请提交",
    "application_accepted": "登记申请受理",
    "application_registered": "登簿",
    "encumbrance_added": "新增限制",
    "encumbrance_released": "限制解除",
    "certificate_cancelled": "证书注销",
    "certificate_superseded": "证书换发",
    "monthly_digest": "月度核验报告",
}
# The registration an alert names (a message says 抵押登记, not just 抵押).
ENCUMBRANCE_REGISTRATION_LABELS = {
    "mortgage": "抵押登记",
    "seizure": "查封登记",
    "objection": "异议登记",
    "advance_notice": "预告登记",
}
# What the alerts page says about a holder's dispute ("这不是我办的").
ALERT_DISPUTE_WORDS = {
    "open": "您已提出异议，该申请已暂停登簿，登记机构正在核查",
    "cleared": "登记机构已核查处理您的异议",
    "submit": "提交异议",
}


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
        "applicationStatus": APPLICATION_STATUS_LABELS,
        "applicationKind": APPLICATION_KIND_LABELS,
        "alertKind": ALERT_KIND_LABELS,
        "alertDispute": ALERT_DISPUTE_WORDS,
    }
