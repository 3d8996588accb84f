"""Words on official documents (issue #15 item 2): the purpose is normalised once, on the
server, and every purpose prints as 「仅供办理{事由}使用」 — in the watermark, the 加注 box,
the proof and the app — never 「仅供办理办理…」."""

from __future__ import annotations

import io

import pypdf
import pytest

from miniapp_api.domain.purposes import (
    COMMON_PURPOSES,
    OTHER,
    PurposeError,
    check_purpose,
    normalize_purpose,
    preview,
    printed_sentence,
)

# what the citizen types → what is printed between 办理 and 使用
FREE_TEXTS = {
    "办理银行开户": "银行开户",
    "用于办理银行开户使用": "银行开户",
    "「办理银行开户」": "银行开户",
    "仅供办理人才补贴使用": "人才补贴",
    "  办理 户籍迁移  ": "户籍迁移",
    "银行开户之用": "银行开户",
    "公积金提取": "公积金提取",
    "签证（出国旅游）": "签证（出国旅游）",
}
EVERY_PURPOSE = [p.label for p in COMMON_PURPOSES if p.label != OTHER] + list(FREE_TEXTS)


@pytest.mark.parametrize(("typed", "printed"), FREE_TEXTS.items())
def test_the_sentences_own_words_are_taken_off_once(typed, printed):
    assert normalize_purpose(typed) == printed
    assert check_purpose(typed) == printed
    assert preview(typed) == {
        "purpose": printed,
        "sentence": f"仅供办理{printed}使用",
        "error": None,
    }


@pytest.mark.parametrize("typed", ["办理", "用于", "「」", "其他", "银行开户😀", "开户#1", "  "])
def test_texts_that_print_nothing_useful_are_refused(typed):
    with pytest.raises(PurposeError):
        check_purpose(typed)
    answer = preview(typed)
    assert answer["sentence"] is None and answer["error"]


def test_preview_endpoint(client):
    answer = client.get("/api/v1/purposes/preview", query_string={"text": "办理银行开户"})
    assert answer.status_code == 200
    assert answer.json == {"purpose": "银行开户", "sentence": "仅供办理银行开户使用", "error": None}
    refused = client.get("/api/v1/purposes/preview", query_string={"text": "办理"})
    assert refused.status_code == 200
    assert refused.json["error"].startswith("请填写具体事由")
    assert client.get("/api/v1/purposes/preview").status_code == 422


def _pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "".join(page.extract_text() for page in reader.pages).replace("\n", "")


@pytest.mark.parametrize("typed", EVERY_PURPOSE)
def test_printed_text_for_every_purpose(client, citizen_headers, typed):
    """The PDF of an annotated copy and of a housing proof say the sentence exactly once right."""
    expected = printed_sentence(check_purpose(typed))
    headers = citizen_headers("zhang")
    licenses = client.get("/api/v1/me/licenses", headers=headers).json
    copy = client.post(
        f"/api/v1/me/licenses/{licenses[0]['id']}/copies",
        headers=headers,
        json={"purpose": typed, "valid_days": 7},
    )
    assert copy.status_code == 201, copy.json
    assert copy.json["watermark"] == expected  # what the app shows
    with client.get(copy.json["pdf_url"], headers=headers) as pdf:
        text = _pdf_text(pdf.data)
    assert expected in text
    assert "办理办理" not in text and "使用使用" not in text
    proof = client.post(
        "/api/v1/me/housing-proofs", headers=headers, json={"scope": "personal", "purpose": typed}
    )
    assert proof.status_code == 201, proof.json
    with client.get(proof.json["pdf_url"], headers=headers) as pdf:
        text = _pdf_text(pdf.data)
    assert "本证明" + expected in text
    assert "办理办理" not in text and "使用使用" not in text
