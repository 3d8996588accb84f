"""One vocabulary: the web app's labels and purposes come from the server (labels.py)."""

from __future__ import annotations

import json

from miniapp_api import labels
from miniapp_api.domain.properties import ENCUMBRANCE_LABELS
from miniapp_api.verification.service import Answer
from miniapp_api.webapp import APP_DIR


def _words(client) -> dict:
    response = client.get("/app/js/words.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    text = response.get_data(as_text=True)
    prefix = "window.BDC_WORDS = "
    assert text.startswith(prefix)
    return json.loads(text[len(prefix) :].rstrip().rstrip(";"))


def test_words_carry_the_server_labels_and_the_purposes(client):
    words = _words(client)
    assert words["encumbrance"] == labels.ENCUMBRANCE_LABELS
    assert words["encumbrance"]["objection"] == "异议登记"
    assert words["certificateKind"]["housing_proof"] == labels.DOCUMENT_KIND_LABELS["housing_proof"]
    assert words["verdict"] == labels.VERDICT_LABELS
    served = client.get("/api/v1/purposes").get_json()
    assert words["purposes"] == served


def test_one_label_per_code_everywhere():
    assert ENCUMBRANCE_LABELS is labels.ENCUMBRANCE_LABELS
    assert Answer.__module__  # the verification answer reads labels.VERDICT_LABELS
    assert labels.VERDICT_LABELS["forged"] == "无法验证"


def test_every_page_loads_the_words_before_the_app_scripts(client):
    # The pages extend one layout (issue #15): check the pages as served.
    for path in APP_DIR.glob("*.html"):
        text = client.get(f"/app/{path.name}").get_data(as_text=True)
        if "js/common.js" not in text:
            continue
        assert text.index("js/words.js") < text.index("js/common.js"), path.name


def test_app_scripts_hard_code_no_labels_or_purposes():
    for path in (APP_DIR / "js").glob("*.js"):
        text = path.read_text(encoding="utf-8")
        for word in (
            "购房资格审核",
            "公积金提取",
            "异议",
            "房屋权属证明",
            "单独所有",
            "核验未通过",
        ):
            assert word not in text, (path.name, word)
