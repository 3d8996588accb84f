"""The public verification page /v/{TOKEN} on a 375×812 phone (`pytest -m browser`).

Sample links come from the verification demo section of `demo-info` (the seeded registry).
"""

from __future__ import annotations

from typing import Any

import pytest
from browser_fixtures import horizontal_overflow, screenshot

pytestmark = pytest.mark.browser

# sample name → (verdict heading, text that must be visible on the page)
CASES = {
    "authentic": ("真实有效", "无抵押、查封、异议登记或预告登记"),
    # issue #15: amber words for an encumbered property, green 真实有效 only for a clean one
    "mortgaged": ("证书真实，但该房产已抵押", "注意：该不动产当前存在抵押"),
    "seized": ("证书真实，但该房产已被查封", "注意：该不动产当前存在查封"),
    "cancelled": ("已注销", "该证书/证明已被注销"),
    "tampered": ("无法验证", "它可能被篡改或伪造"),
}


@pytest.fixture
def config_overrides(live_url: str) -> dict[str, Any]:
    return {"PUBLIC_BASE_URL": live_url}


@pytest.mark.parametrize("sample", list(CASES))
def test_verification_page_on_a_phone(live_server, page, page_errors, demo, sample):
    heading, text = CASES[sample]
    url = demo["verification"]["samples"][sample]["url"]
    page.goto(live_server + "/v/" + url.rsplit("/v/", 1)[1])
    assert page.get_by_role("heading", name=heading, exact=True).is_visible()
    assert page.get_by_text(text).first.is_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 375
    assert horizontal_overflow(page) <= 0
    screenshot(page, f"verify-{sample}")
    assert page_errors == []
