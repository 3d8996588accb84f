"""Verdicts warn in colour and words (issue #15 item 5): three states, the same on the page,
in the API the app reads and in the partner answer (verification/tone.py)."""

from __future__ import annotations

from typing import Any

import pytest

from miniapp_api.partners.service import create_partner

# sample → (tone, headline)
EXPECTED = {
    "authentic": ("ok", "真实有效"),
    "mortgaged": ("warn", "证书真实，但该房产已抵押"),
    "seized": ("warn", "证书真实，但该房产已被查封"),
    "under_objection": ("warn", "证书真实，但该房产存在异议登记"),
    "cancelled": ("bad", "已注销"),
    "superseded": ("bad", "已换证"),
    "tampered": ("bad", "无法验证"),
}


def token_of(sample: dict[str, Any]) -> str:
    return sample["url"].rsplit("/", 1)[1]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_three_states_everywhere(app, client, demo, name):
    tone, headline = EXPECTED[name]
    sample = demo["verification"]["samples"][name]
    token = token_of(sample)
    answer = client.get(f"/api/v1/verify/{token}").get_json()
    assert (answer["tone"], answer["headline"]) == (tone, headline)
    assert answer["icon"] == {"ok": "✓", "warn": "!", "bad": "✕"}[tone]
    if tone == "warn":
        assert answer["advice"] == "交易前请向登记中心核实。"
    page = client.get(f"/v/{token}").get_data(as_text=True)
    assert f'data-tone="{tone}"' in page
    assert f'<h1 class="verdict__title">{headline}</h1>' in page
    if tone != "ok":
        assert "无抵押、查封" not in page  # never green words on a cancelled or encumbered one
    _, key = create_partner("中国建设银行汨罗支行", "bank")
    batch = client.post(
        "/api/v1/partner/verify", json={"tokens": [token]}, headers={"X-API-Key": key}
    )
    assert batch.status_code == 200
    result = batch.get_json()["results"][0]
    assert (result["tone"], result["headline"]) == (tone, headline)


def test_answer_rows_are_the_pages_rows(client, demo):
    token = token_of(demo["verification"]["samples"]["mortgaged"])
    answer = client.get(f"/api/v1/verify/{token}").get_json()
    page = client.get(f"/v/{token}").get_data(as_text=True)
    assert answer["display"]
    for row in answer["display"]:
        assert f'<dt class="field__label">{row["label"]}</dt>' in page
        assert f'<dd class="field__value">{row["value"]}</dd>' in page
