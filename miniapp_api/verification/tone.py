"""Three states for every verification answer — the /v/ page, the app and partners alike.

* ``ok`` (green) only for a clean, current document: 真实有效;
* ``warn`` (amber) for a genuine document whose property is encumbered (or whose register
  entry changed since issue): 「证书真实，但该房产已被查封，交易前请向登记中心核实」;
* ``bad`` (red) for cancelled, superseded, expired, forged, unknown and unreadable.

Colour is never the only signal: each state has its icon and its words.
"""

from __future__ import annotations

from typing import Any

# Encumbrance kind → how it reads after 「该房产」, most serious first.
_ENCUMBRANCE_WORDS = (
    ("seizure", "已被查封"),
    ("mortgage", "已抵押"),
    ("objection", "存在异议登记"),
    ("advance_notice", "存在预告登记"),
)
ICONS = {"ok": "✓", "warn": "!", "bad": "✕"}


def tone_of(
    verdict: str, encumbrances: list[dict[str, Any]], content_changed: bool
) -> dict[str, str]:
    """``{tone, icon, headline, advice}`` for one answer."""
    # One vocabulary: the red and green words are the page's verdict labels and texts.
    from .service import VERDICT_LABELS, VERDICT_TEXT

    if verdict != "authentic":
        return {
            "tone": "bad",
            "icon": ICONS["bad"],
            "headline": VERDICT_LABELS.get(verdict, "无法验证"),
            "advice": VERDICT_TEXT.get(verdict, VERDICT_TEXT["malformed"]),
        }
    kinds = {e.get("kind") for e in encumbrances}
    words = [text for kind, text in _ENCUMBRANCE_WORDS if kind in kinds]
    if words:
        return {
            "tone": "warn",
            "icon": ICONS["warn"],
            "headline": "证书真实，但该房产" + "、".join(words),
            "advice": "交易前请向登记中心核实。",
        }
    if content_changed:
        return {
            "tone": "warn",
            "icon": ICONS["warn"],
            "headline": "证书真实，但登记内容已有变更",
            "advice": "请以登记簿记载为准，交易前请向登记中心核实。",
        }
    return {
        "tone": "ok",
        "icon": ICONS["ok"],
        "headline": VERDICT_LABELS["authentic"],
        "advice": VERDICT_TEXT["authentic"],
    }
