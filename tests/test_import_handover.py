"""CSV import of 交房即交证 projects, units and contracts: all or nothing, idempotent."""

from __future__ import annotations

import io
from pathlib import Path

from sqlalchemy import func, select

from miniapp_api.domain import pii
from miniapp_api.extensions import db
from miniapp_api.models import (
    AuditEvent,
    HandoverCase,
    HousingProject,
    Person,
    RealEstateUnit,
)

DATA = Path(__file__).parent / "data"
URL = "/api/v1/staff/import/handover"
GOOD = (DATA / "handover_good.csv").read_bytes()
BAD = (DATA / "handover_bad.csv").read_bytes()


def counts() -> tuple[int, int, int, int]:
    return tuple(  # type: ignore[return-value]
        db.session.execute(select(func.count(model.id))).scalar_one()
        for model in (HousingProject, RealEstateUnit, HandoverCase, Person)
    )


def upload(client, headers, data: bytes, name: str = "contracts.csv"):
    return client.post(
        URL,
        data={"file": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


def test_good_file_imports_everything(client, staff_headers):
    before = counts()
    response = upload(client, staff_headers("clerk"), GOOD)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "rows": 4,
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "projects_created": 2,
        "persons_created": 4,  # 赵敏 exists already; 3 new buyers and 1 co-buyer
    }
    after = counts()
    assert after == (before[0] + 2, before[1] + 4, before[2] + 4, before[3] + 4)
    case = db.session.execute(
        select(HandoverCase).where(HandoverCase.contract_number == "MLWQ2026T0002")
    ).scalar_one()
    assert case.stage == "contract_filing" and case.version == 1
    assert case.co_buyer is not None and case.co_buyer.name == "孙小美"
    assert case.has_loan is False
    assert case.unit.location == "汨罗市汨江大道100号汨江新城1栋102室"
    assert str(case.unit.area_m2) == "120.35"
    assert [e.stage for e in case.events] == ["contract_filing"]
    project = case.project
    assert project.developer == "汨罗汨江置业有限公司" and project.stage is None


def test_new_buyers_are_stored_encrypted_and_matched_by_hash(client, staff_headers, demo):
    upload(client, staff_headers("clerk"), GOOD)
    buyer = db.session.execute(
        select(Person).where(Person.id_number_hash == pii.id_number_hash("430681198801011015"))
    ).scalar_one()
    assert buyer.name == "钱多多"
    assert b"430681198801011015" not in buyer.id_number_enc
    assert pii.decrypt(buyer.id_number_enc) == "430681198801011015"
    assert buyer.id_number_masked == "430681********1015"
    assert buyer.gender == "M" and str(buyer.birth_date) == "1988-01-01"
    zhao = next(c for c in demo["citizens"] if c["key"] == "zhao")
    case = db.session.execute(
        select(HandoverCase).where(HandoverCase.contract_number == "MLWQ2026T0001")
    ).scalar_one()
    assert case.buyer_id == zhao["person_id"]  # the existing person, not a copy


def test_imported_buyer_sees_the_case(client, staff_headers, citizen_headers):
    upload(client, staff_headers("clerk"), GOOD)
    [case] = client.get("/api/v1/me/handover", headers=citizen_headers("zhao")).get_json()["items"]
    assert case["project"]["name"] == "汨江新城"
    assert case["stage"] == "contract_filing"
    assert case["next_step"]["stage"] == "advance_notice"


def test_reimporting_the_same_file_changes_nothing(client, staff_headers):
    headers = staff_headers("clerk")
    assert upload(client, headers, GOOD).status_code == 200
    before = counts()
    versions = dict(db.session.execute(select(HandoverCase.id, HandoverCase.version)).all())
    again = upload(client, headers, GOOD)
    assert again.status_code == 200
    assert again.get_json() == {
        "rows": 4,
        "created": 0,
        "updated": 0,
        "unchanged": 4,
        "projects_created": 0,
        "persons_created": 0,
    }
    assert counts() == before
    db.session.expire_all()
    assert dict(db.session.execute(select(HandoverCase.id, HandoverCase.version)).all()) == versions


def test_changed_row_updates_a_case_still_at_contract_filing(client, staff_headers):
    headers = staff_headers("clerk")
    upload(client, headers, GOOD)
    changed = GOOD.decode().replace("95,城镇住宅用地/住宅", "96.10,城镇住宅用地/住宅").encode()
    response = upload(client, headers, changed)
    assert response.status_code == 200
    assert response.get_json()["updated"] == 1 and response.get_json()["unchanged"] == 3
    unit = db.session.execute(
        select(RealEstateUnit).where(RealEstateUnit.unit_number == "430681099001GB00001F00020201")
    ).scalar_one()
    assert str(unit.area_m2) == "96.10"


def test_bad_file_imports_nothing_and_names_every_bad_row(client, staff_headers):
    before = counts()
    response = upload(client, staff_headers("clerk"), BAD)
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "import_invalid"
    assert body["error_rows"] == [3, 4, 5]
    found = {(e["row"], e["field"]) for e in body["rows"]}
    assert {
        (3, "unit_number"),
        (4, "area"),
        (4, "buyer_id_number"),
        (4, "has_loan"),
        (5, "buyer_name"),
        (5, "buyer_id_number"),
    } <= found
    assert all(e["message"] and "\u4e00" <= e["message"][0] <= "\u9fff" for e in body["rows"])
    assert counts() == before


def test_duplicate_contract_in_file_is_reported(client, staff_headers):
    text = GOOD.decode().splitlines()
    duplicate = text[2].replace("430681099001GB00001F00010102", "430681099001GB00001F00010199")
    data = "\n".join([*text, duplicate]).encode()
    body = upload(client, staff_headers("clerk"), data).get_json()
    assert {(e["row"], e["field"]) for e in body["rows"]} == {(6, "contract_number")}


def test_error_messages_never_echo_id_numbers(client, staff_headers):
    response = upload(client, staff_headers("clerk"), BAD)
    assert "430681198001011310" not in response.get_data(as_text=True)


def test_name_must_match_the_registered_person(client, staff_headers):
    data = GOOD.decode().replace("赵敏", "赵明").encode()
    body = upload(client, staff_headers("clerk"), data).get_json()
    assert body["rows"] == [
        {"row": 2, "field": "buyer_name", "message": "姓名与该身份证号已登记的姓名不一致"}
    ]


def test_contract_beyond_filing_cannot_be_changed_by_import(client, staff_headers):
    headers = staff_headers("clerk")
    upload(client, headers, GOOD)
    case = db.session.execute(
        select(HandoverCase).where(HandoverCase.contract_number == "MLWQ2026T0003")
    ).scalar_one()
    case.stage = "advance_notice"
    db.session.commit()
    changed = GOOD.decode().replace("李大力,430681197505053152,否", "李大力,430681197505053152,是")
    response = upload(client, headers, changed.encode())
    assert response.status_code == 422
    [error] = response.get_json()["rows"]
    assert error["row"] == 4 and error["field"] == "has_loan"


def test_text_csv_body_with_bom_is_accepted(client, staff_headers):
    response = client.post(
        URL,
        data="\ufeff".encode() + GOOD,
        headers={**staff_headers("clerk"), "Content-Type": "text/csv; charset=utf-8"},
    )
    assert response.status_code == 200
    assert response.get_json()["created"] == 4


def test_missing_columns_are_reported_on_the_header_row(client, staff_headers):
    data = "项目名称,开发企业\n汨江新城,某公司\n".encode()
    body = upload(client, staff_headers("clerk"), data).get_json()
    assert {e["row"] for e in body["rows"]} == {1}
    assert "unit_number" in {e["field"] for e in body["rows"]}


def test_non_utf8_file_is_refused(client, staff_headers):
    response = upload(client, staff_headers("clerk"), GOOD.decode().encode("gb18030"))
    assert response.status_code == 422
    assert response.get_json()["code"] == "import_encoding"


def test_file_over_2_mb_is_413(client, staff_headers):
    data = GOOD + b"#" * (2 * 1024 * 1024)
    response = client.post(
        URL, data=data, headers={**staff_headers("clerk"), "Content-Type": "text/csv"}
    )
    assert response.status_code == 413


def test_multipart_file_just_over_2_mb_is_413(client, staff_headers):
    data = GOOD + b"#" * (2 * 1024 * 1024 - len(GOOD) + 1)
    # A hand-made multipart body: werkzeug's test builder would spool a big upload to a temp
    # file it never closes (a ResourceWarning of the test client, not of the app).
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n" + data + b"\r\n--XyZ--\r\n"
    )
    response = client.post(
        URL,
        data=body,
        headers={
            **staff_headers("clerk"),
            "Content-Type": "multipart/form-data; boundary=XyZ",
        },
    )
    assert response.status_code == 413


def test_upload_without_file_is_422(client, staff_headers):
    response = client.post(
        URL, data={"other": "x"}, headers=staff_headers("clerk"), content_type="multipart/form-data"
    )
    assert response.status_code == 422


def test_import_needs_staff_and_is_audited(client, staff_headers):
    assert upload(client, {}, GOOD).status_code == 401
    upload(client, staff_headers("admin"), GOOD)
    event = db.session.execute(
        select(AuditEvent).where(AuditEvent.action == "handover.import")
    ).scalar_one()
    assert event.actor_kind == "staff"
    assert event.detail["after"]["created"] == 4
    assert "430681" not in str(event.detail)
