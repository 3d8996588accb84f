"""Three states for every verification answer — the /v/ page, the app and partners alike.

* ``ok`` (green) only for a clean, current document: 真实有效;
* ``warn`` (amber) for a genuine document whose property is encumbered (or whose register
  entry changed since issue): 「证书真实，但该房产已被查封，交易前请向登记中心核实」;
* ``bad`` (red) for cancelled, superseded, expired, forged, unknown and unreadable.

Colour is never the only signal: each state has its icon and its words. The words are in
:mod:`miniapp_api.labels`; the rows to compare are the document kind's ``display`` rows.
"""

from __future__ import annotations

from typing import Any

from ..labels import (
    SHOWING_EXPIRED_ADVICE,
    SHOWING_EXPIRED_HEADLINE,
    TONE_CHANGED_ADVICE,
    TONE_CHANGED_HEADLINE,
    TONE_ENCUMBRANCE_WORDS,
    TONE_ICONS,
    TONE_WARN_ADVICE,
    TONE_WARN_HEADLINE,
    VERDICT_LABELS,
    VERDICT_TEXT,
)

ICONS = TONE_ICONS


def tone_of(
    verdict: str, encumbrances: list[dict[str, Any]], content_changed: bool, reason: str = ""
) -> dict[str, str]:
    """``{tone, icon, headline, advice}`` for one answer."""
    if reason == "showing_expired":  # a stale 亮证 code: ask for a fresh one, not "invalid"
        return {
            "tone": "bad",
            "icon": ICONS["bad"],
            "headline": SHOWING_EXPIRED_HEADLINE,
            "advice": SHOWING_EXPIRED_ADVICE,
        }
    if verdict != "authentic":
        return {
            "tone": "bad",
            "icon": ICONS["bad"],
            "headline": VERDICT_LABELS.get(verdict, VERDICT_LABELS["malformed"]),
            "advice": VERDICT_TEXT.get(verdict, VERDICT_TEXT["malformed"]),
        }
    kinds = {e.get("kind") for e in encumbrances}
    words = [text for kind, text in TONE_ENCUMBRANCE_WORDS if kind in kinds]
    if words:
        return {
            "tone": "warn",
            "icon": ICONS["warn"],
            "headline": TONE_WARN_HEADLINE + "、".join(words),
            "advice": TONE_WARN_ADVICE,
        }
    if content_changed:
        return {
            "tone": "warn",
            "icon": ICONS["warn"],
            "headline": TONE_CHANGED_HEADLINE,
            "advice": TONE_CHANGED_ADVICE,
        }
    return {
        "tone": "ok",
        "icon": ICONS["ok"],
        "headline": VERDICT_LABELS["authentic"],
        "advice": VERDICT_TEXT["authentic"],
    }
