"""E-licenses and annotated copies (加注件): listing, issuing, validation, verification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from documents_support import demo_person as _person
from documents_support import link_token as _token
from documents_support import verify_issued
from marshmallow import ValidationError
from sqlalchemy import select

from miniapp_api.domain import documents
from miniapp_api.extensions import db
from miniapp_api.kinds import LICENSE_COPY
from miniapp_api.kinds.license_copy import masked_view as copy_masked_view
from miniapp_api.licenses import service
from miniapp_api.licenses.schemas import LicenseCopyRequestSchema
from miniapp_api.models import AuditEvent, IssuedDocument, LicenseCopy
from miniapp_api.verification.schemas import VerificationAnswerSchema


def _licenses(client, headers) -> list[dict]:
    response = client.get("/api/v1/me/licenses", headers=headers)
    assert response.status_code == 200
    return response.json


def _license_id(client, headers, *, co_ownership: str | None = None, status: str = "valid"):
    for item in _licenses(client, headers):
        if item["certificate"]["status"] == status and (
            co_ownership is None or item["co_ownership"] == co_ownership
        ):
            return item["id"]
    raise AssertionError("no such license")


def _copy(client, headers, license_id, **body):
    body.setdefault("purpose", "子女入学")
    return client.post(f"/api/v1/me/licenses/{license_id}/copies", headers=headers, json=body)


# --- listing ------------------------------------------------------------------------------------
def test_zhang_lists_his_two_licenses_valid_newest_first(client, citizen_headers):
    items = _licenses(client, citizen_headers("zhang"))
    assert [i["co_ownership"] for i in items] == ["joint", "sole"]
    for item in items:
        assert item["license_id"].startswith("1.2.156.3005.2.11100000MB03271699001.")
        assert item["can_copy"] is True
        assert item["cannot_copy_reason"] is None


def test_co_owners_each_see_the_shared_license(client, citizen_headers):
    zhang = _licenses(client, citizen_headers("zhang"))
    li = _licenses(client, citizen_headers("li"))
    assert [i["id"] for i in li] == [zhang[0]["id"]]
    assert [h["name"] for h in li[0]["holders"]] == ["张建国", "李秀英"]


def test_registration_certificate_of_the_mortgagee_is_not_listed(client, citizen_headers):
    items = _licenses(client, citizen_headers("wang"))
    assert len(items) == 1
    assert items[0]["encumbrances"][0]["kind"] == "mortgage"


def test_replaced_and_cancelled_certificates_are_listed_but_not_copyable(client, citizen_headers):
    items = _licenses(client, citizen_headers("sun"))
    assert [i["certificate"]["status"] for i in items] == ["valid", "superseded", "cancelled"]
    assert [i["can_copy"] for i in items] == [True, False, False]
    assert items[1]["superseded_by_number"] == items[0]["certificate"]["number"]
    assert "新证" in items[1]["cannot_copy_reason"]


def test_license_detail_and_audit(client, citizen_headers):
    headers = citizen_headers("zhang")
    license_id = _license_id(client, headers, co_ownership="sole")
    response = client.get(f"/api/v1/me/licenses/{license_id}", headers=headers)
    assert response.status_code == 200
    assert response.json["id"] == license_id
    assert response.json["unit"]["location"].endswith("屈子花园3栋1201室")
    actions = db.session.execute(select(AuditEvent.action)).scalars().all()
    assert "licenses.list" in actions and "license.view" in actions


def test_unknown_license_is_404(client, citizen_headers):
    response = client.get("/api/v1/me/licenses/999999", headers=citizen_headers("zhang"))
    assert response.status_code == 404
    assert response.json["code"] == "not_found"
    assert response.headers["Content-Type"].startswith("application/problem+json")


# --- making a copy --------------------------------------------------------------------------------
def test_copy_records_maker_time_purpose_validity_and_token(client, citizen_headers):
    headers = citizen_headers("zhang")
    license_id = _license_id(client, headers, co_ownership="sole")
    before = datetime.now(UTC).replace(microsecond=0)
    response = _copy(client, headers, license_id, purpose="子女入学", valid_days=10)
    assert response.status_code == 201
    copy = response.json
    assert copy["purpose"] == "子女入学"
    assert copy["watermark"] == "仅供办理子女入学使用"
    assert copy["maker"].startswith("张建国")
    assert copy["serial"].startswith("JZ") and len(copy["serial"]) == 18
    created = datetime.fromisoformat(copy["created_at"])
    assert created >= before
    assert datetime.fromisoformat(copy["valid_until"]) - created == timedelta(days=10)
    assert copy["expired"] is False
    assert copy["notes"] == []  # no encumbrance on this flat
    assert len(copy["id"]) >= 20 and "." not in copy["id"]
    assert copy["png_url"] == f"/api/v1/me/licenses/{license_id}/copies/{copy['id']}.png"
    assert set(copy["download_links"]) >= {"png", "pdf", "expires_at"}
    row = db.session.execute(
        select(LicenseCopy).where(LicenseCopy.public_id == copy["id"])
    ).scalar_one()
    doc = db.session.execute(
        select(IssuedDocument).where(IssuedDocument.copy_id == row.id)
    ).scalar_one()
    assert doc.kind == "license_copy"
    assert doc.expires_at == row.valid_until
    assert copy["verification_url"] == documents.document_url(doc)


def test_copy_notes_record_the_mortgage_at_copy_time(client, citizen_headers):
    headers = citizen_headers("wang")
    license_id = _license_id(client, headers)
    copy = _copy(client, headers, license_id, purpose="贷款").json
    assert len(copy["notes"]) == 1
    assert copy["notes"][0].startswith("抵押：")
    assert copy["notes"][0].endswith("起")


def test_valid_days_defaults_to_30(client, citizen_headers):
    headers = citizen_headers("li")
    copy = _copy(client, headers, _license_id(client, headers)).json
    created = datetime.fromisoformat(copy["created_at"])
    assert datetime.fromisoformat(copy["valid_until"]) - created == timedelta(days=30)


def test_free_text_purpose_is_trimmed(client, citizen_headers):
    headers = citizen_headers("zhang")
    response = _copy(client, headers, _license_id(client, headers), purpose="  办理 户籍迁移  ")
    assert response.status_code == 201
    # The sentence's own 办理 is taken off once (issue #15: never 「仅供办理办理…使用」).
    assert response.json["purpose"] == "户籍迁移"
    assert response.json["watermark"] == "仅供办理户籍迁移使用"


@pytest.mark.parametrize(
    ("status", "code"),
    [("superseded", "certificate_superseded"), ("cancelled", "certificate_cancelled")],
)
def test_copy_of_a_replaced_or_cancelled_certificate_is_refused(
    client, citizen_headers, status, code
):
    headers = citizen_headers("sun")
    license_id = _license_id(client, headers, status=status)
    response = _copy(client, headers, license_id)
    assert response.status_code == 409
    assert response.json["code"] == code
    assert response.json["certificate_status"] == status
    assert "加注件" in response.json["detail"] or "新证" in response.json["detail"]
    assert db.session.execute(select(LicenseCopy)).first() is None
    refused = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "license_copy.issue")
    ).scalar_one()
    assert refused.result == "refused"
    assert refused.reason == code


BAD_PURPOSES = {
    "empty": "",
    "blank": "   ",
    "too-long": "买" * 31,
    "newline": "子女\n入学",
    "nul": "子女\x00入学",
    "zero-width": "子女\u200b入学",
    "html": "<b>贷款</b>",
    "ampersand": "贷款&落户",
    "bare-other": "其他",
    "emoji-not-printable": "子女入学😀",
    "null": None,
    "number": 123,
}


@pytest.mark.parametrize("purpose", BAD_PURPOSES.values(), ids=BAD_PURPOSES.keys())
def test_schema_refuses_bad_purpose(purpose):
    with pytest.raises(ValidationError) as info:
        LicenseCopyRequestSchema().load({"purpose": purpose})
    assert list(info.value.messages) == ["purpose"]
    assert all("\u4e00" <= ch <= "\u9fff" for ch in info.value.messages["purpose"][0][:2])


@pytest.mark.parametrize("valid_days", [0, -1, 91, 365, "30", 3.5, True, None])
def test_schema_refuses_bad_valid_days(valid_days):
    with pytest.raises(ValidationError) as info:
        LicenseCopyRequestSchema().load({"purpose": "贷款", "valid_days": valid_days})
    assert list(info.value.messages) == ["valid_days"]


@pytest.mark.parametrize("purpose", ["", "买" * 31, "<b>贷款</b>"], ids=["empty", "long", "html"])
def test_bad_purpose_is_422_and_writes_nothing(client, citizen_headers, purpose):
    headers = citizen_headers("zhang")
    response = _copy(client, headers, _license_id(client, headers), purpose=purpose)
    assert response.status_code == 422
    assert response.json["code"] == "validation_failed"
    assert "purpose" in response.json["errors"]
    assert db.session.execute(select(LicenseCopy)).first() is None


def test_thirty_character_purpose_is_accepted(client, citizen_headers):
    headers = citizen_headers("zhang")
    response = _copy(client, headers, _license_id(client, headers), purpose="办" * 30)
    assert response.status_code == 201


def test_missing_purpose_is_422(client, citizen_headers):
    headers = citizen_headers("zhang")
    license_id = _license_id(client, headers)
    response = client.post(
        f"/api/v1/me/licenses/{license_id}/copies", headers=headers, json={"valid_days": 5}
    )
    assert response.status_code == 422
    assert response.json["errors"]["purpose"] == ["请填写事由"]


@pytest.mark.parametrize("valid_days", [0, 91, "30"])
def test_valid_days_out_of_range_or_not_an_integer_is_422(client, citizen_headers, valid_days):
    headers = citizen_headers("zhang")
    response = _copy(client, headers, _license_id(client, headers), valid_days=valid_days)
    assert response.status_code == 422
    assert "valid_days" in response.json["errors"]


@pytest.mark.parametrize("valid_days", [1, 90])
def test_valid_days_bounds_are_accepted(client, citizen_headers, valid_days):
    headers = citizen_headers("zhang")
    response = _copy(client, headers, _license_id(client, headers), valid_days=valid_days)
    assert response.status_code == 201


def test_unknown_field_is_422(client, citizen_headers):
    headers = citizen_headers("zhang")
    response = _copy(client, headers, _license_id(client, headers), maker="某人")
    assert response.status_code == 422
    assert "maker" in response.json["errors"]


def test_holder_name_the_font_cannot_print_is_refused_before_anything_is_written(
    client, citizen_headers, demo
):
    headers = citizen_headers("wang")
    license_id = _license_id(client, headers)
    _person(demo, "wang").name = "王\ue000强"  # a private-use character: no glyph
    db.session.commit()
    response = _copy(client, headers, license_id)
    assert response.status_code == 422
    assert response.json["code"] == "unprintable_characters"
    assert db.session.execute(select(LicenseCopy)).first() is None
    assert (
        db.session.execute(
            select(IssuedDocument.id).where(IssuedDocument.copy_id.isnot(None))
        ).first()
        is None
    )


def test_copies_list_is_the_citizens_own(client, citizen_headers):
    zhang, li = citizen_headers("zhang"), citizen_headers("li")
    joint = _license_id(client, zhang, co_ownership="joint")
    mine = _copy(client, zhang, joint).json
    _copy(client, li, joint, purpose="落户")
    listed = client.get(f"/api/v1/me/licenses/{joint}/copies", headers=zhang).json
    assert [c["id"] for c in listed] == [mine["id"]]
    assert listed[0]["download_links"]["png"].startswith("https://bdc.example.gov.cn/api/v1/files/")


def test_copy_detail_has_fresh_download_links(client, citizen_headers):
    headers = citizen_headers("zhang")
    license_id = _license_id(client, headers)
    copy = _copy(client, headers, license_id).json
    detail = client.get(f"/api/v1/me/licenses/{license_id}/copies/{copy['id']}", headers=headers)
    assert detail.status_code == 200
    assert detail.json["serial"] == copy["serial"]
    assert detail.json["download_links"]["pdf"].startswith("https://bdc.example.gov.cn/")


# --- verification of copies ----------------------------------------------------------------
def test_fresh_copy_verifies_authentic_with_masked_names(client, citizen_headers):
    headers = citizen_headers("zhang")
    joint = _license_id(client, headers, co_ownership="joint")
    copy = _copy(client, headers, joint, purpose="公积金提取").json
    response = verify_issued(client, copy, "license_copy", purpose="公积金提取")
    body = response.json
    document = body["document"]
    assert document["holders"] == ["张*国", "李*英"]
    assert document["validity"] == "valid"
    assert document["certificate_number"] == copy["certificate_number"]
    assert document["location"].endswith("滨江花园7栋502室")
    assert document["area_m2"] and document["use"]
    assert VerificationAnswerSchema().validate(body) == {}
    assert "张建国" not in response.get_data(as_text=True)
    assert "李秀英" not in response.get_data(as_text=True)


def test_expired_copy_verifies_as_expired(client, citizen_headers, demo):
    headers = citizen_headers("zhang")
    license_id = _license_id(client, headers)
    past = datetime.now(UTC) - timedelta(days=3)
    copy = service.make_copy(_person(demo, "zhang"), license_id, "贷款", 1, now=past)
    token = LICENSE_COPY.document_of(copy).token
    body = client.get(f"/api/v1/verify/{token}").json
    assert body["verdict"] == "expired"
    assert body["document"]["validity"] == "expired"
    listed = client.get(f"/api/v1/me/licenses/{license_id}/copies", headers=headers).json
    assert listed[0]["expired"] is True


def test_copy_of_a_certificate_cancelled_later_verifies_cancelled(client, citizen_headers):
    headers = citizen_headers("wang")
    license_id = _license_id(client, headers)
    copy = _copy(client, headers, license_id).json
    row = db.session.execute(
        select(LicenseCopy).where(LicenseCopy.public_id == copy["id"])
    ).scalar_one()
    row.license.certificate.status = "cancelled"
    db.session.commit()
    body = client.get(f"/api/v1/verify/{_token(copy['verification_url'])}").json
    assert body["verdict"] == "cancelled"


def test_masked_view_for_copy(app, client, citizen_headers):
    headers = citizen_headers("wang")
    copy_json = _copy(client, headers, _license_id(client, headers), purpose="贷款").json
    copy = LICENSE_COPY.load(copy_json["id"])
    view = copy_masked_view(copy)
    assert view["valid"] is True
    assert view["purpose"] == "贷款"
    assert view["holders"] == ["王*强"]
    assert view["maker"] == "王*强"
    (unit,) = view["units"]
    assert set(unit) == {"location", "area_m2", "use", "certificate_number"}
    assert [e["kind"] for e in view["encumbrances_now"]] == ["mortgage"]
    later = copy_masked_view(copy, now=copy.valid_until + timedelta(seconds=1))
    assert later["status"] == "expired" and later["valid"] is False


def test_issuing_is_audited_without_the_purpose_text(client, citizen_headers):
    headers = citizen_headers("zhang")
    copy = _copy(client, headers, _license_id(client, headers), purpose="办理某事").json
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "license_copy.issue")
    ).scalar_one()
    assert event.object_id == copy["id"]
    assert event.actor_kind == "citizen"
    assert event.detail["common_purpose"] is False
    assert "办理某事" not in str(event.detail)


def test_purposes_list(client):
    response = client.get("/api/v1/purposes")
    assert response.status_code == 200
    labels = [p["label"] for p in response.json]
    assert labels == ["子女入学", "购房资格审核", "贷款", "落户", "公积金提取", "其他"]
    assert all(1 <= p["proof_valid_days"] <= 30 for p in response.json)
    assert [p["free_text"] for p in response.json][-1] is True


def test_openapi_describes_the_endpoints(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for path in (
        "/api/v1/me/properties",
        "/api/v1/me/licenses",
        "/api/v1/me/licenses/{license_id}",
        "/api/v1/me/licenses/{license_id}/copies",
        "/api/v1/me/licenses/{license_id}/copies/{copy_id}",
        "/api/v1/me/licenses/{license_id}/copies/{copy_id}.png",
        "/api/v1/me/licenses/{license_id}/copies/{copy_id}.pdf",
        "/api/v1/me/licenses/{license_id}/copies/{copy_id}/download-links",
        "/api/v1/files/{signed}",
        "/api/v1/purposes",
    ):
        assert path in paths, path
    post = paths["/api/v1/me/licenses/{license_id}/copies"]["post"]
    assert post["summary"] == "制作加注件"
    assert "201" in post["responses"]
