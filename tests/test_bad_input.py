"""Classic bad input against the main endpoints: the right 4xx problem, never a 500, and a
refused write leaves the database exactly as it was (audit events aside).

A table of cases (who calls, method, path, body or query, expected status, code and field),
run against one database for the module: every refused write is checked against a digest of
every table but `audit_event` and `key_value_entry` taken before and after it, so one copy of
the demo registry serves the whole table. The input rules themselves live in
miniapp_api/inputs.py and docs/errors.md ("Input rules").
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from conftest import cloned_database, running_app
from sqlalchemy import select

PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code", "request_id"}
NOT_DATA = {"audit_event", "key_value_entry", "alembic_version"}
HUGE = 10**30
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Case:
    id: str
    who: str  # anon | zhang | chen | unbound | staff | partner
    method: str
    path: str  # {license}, {case}, {project}, {certificate} are filled in from the world
    status: int
    code: str | None = None
    error_field: str | None = None  # the member of `errors` that must name the problem
    json: Any = None  # a JSON body (serialised here)
    raw: bytes | None = None  # or raw body bytes (with content_type)
    content_type: str | None = None
    files: dict[str, tuple[bytes, str]] | None = None  # multipart: name -> (bytes, filename)
    form: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # replaces the caller's own
    html: bool = False  # the public verification page answers HTML, not a problem


# --- the world: one database for the module ----------------------------------------------------
@pytest.fixture(scope="module")
def world(template_db, tmp_path_factory) -> Iterator[dict[str, Any]]:
    from miniapp_api.auth import tokens
    from miniapp_api.auth.guards import start_staff_session
    from miniapp_api.extensions import db
    from miniapp_api.models import ElectronicLicense, HandoverCase, StaffUser, WechatAccount
    from miniapp_api.partners.service import create_partner

    tmp = tmp_path_factory.mktemp("bad_input")
    # A table of refusals would soon be 429s.
    overrides = {"RATELIMIT_ENABLED": False}
    with (
        cloned_database(template_db, tmp) as uri,
        running_app(uri, template_db, tmp, overrides) as app,
    ):
        client = app.test_client()
        citizens = {c["key"]: c for c in template_db["demo"]["citizens"]}
        headers: dict[str, dict[str, str]] = {"anon": {}}
        for key in ("zhang", "chen", "unbound"):
            openid = citizens[key]["openid"] if key != "unbound" else "o-bad-input-unbound"
            account = db.session.execute(
                select(WechatAccount).where(WechatAccount.openid == openid)
            ).scalar_one_or_none() or WechatAccount(openid=openid)
            if key != "unbound":
                account.person_id = citizens[key]["person_id"]
            db.session.add(account)
            db.session.commit()
            token, _ = tokens.issue(str(account.id), tokens.AUD_CITIZEN, 3600)
            headers[key] = {"Authorization": f"Bearer {token}"}
        staff = StaffUser(username="bad-input-admin", password_hash="!", role="admin")
        db.session.add(staff)
        db.session.commit()
        token, claims = tokens.issue(str(staff.id), tokens.AUD_STAFF, 3600, role="admin")
        start_staff_session(claims)
        headers["staff"] = {"Authorization": f"Bearer {token}"}
        _, key = create_partner("bad-input-bank", "bank")
        headers["partner"] = {"X-API-Key": key}

        zhang = headers["zhang"]
        license_ = client.get("/api/v1/me/licenses", headers=zhang).get_json()[0]
        case_id = client.get("/api/v1/me/handover", headers=headers["chen"]).json["items"][0]
        case = db.session.get(HandoverCase, case_id["id"])
        detail = client.get(
            f"/api/v1/staff/handover/cases/{case.id}", headers=headers["staff"]
        ).get_json()
        ids = {
            "license": license_["id"],
            "certificate": db.session.get(ElectronicLicense, license_["id"]).certificate_id,
            "case": case.id,
            "project": case.project_id,
            "version": detail["version"],
            "next_stage": detail["next_stage"],
        }
        db.session.rollback()
        yield {"app": app, "client": client, "headers": headers, "ids": ids}


def digest() -> dict[str, str]:
    """A hash of every data table's rows (not the audit log, not the key-value store)."""
    from miniapp_api.extensions import db

    result = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in NOT_DATA:
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            result[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return result


def send(world: dict[str, Any], case: Case) -> Any:
    headers = {**world["headers"][case.who], **case.headers}
    path = case.path.format(**world["ids"])
    kwargs: dict[str, Any] = {"headers": headers}
    if case.files is not None:
        data: dict[str, Any] = dict(case.form)
        for name, (content, filename) in case.files.items():
            data[name] = (io.BytesIO(content), filename)
        kwargs.update(data=data, content_type="multipart/form-data")
    elif case.form:
        kwargs.update(data=case.form, content_type="multipart/form-data")
    elif case.raw is not None:
        kwargs.update(data=case.raw, content_type=case.content_type or "application/json")
    elif case.json is not None:
        kwargs.update(data=json.dumps(case.json), content_type="application/json")
    return world["client"].open(path, method=case.method, **kwargs)


def check(world: dict[str, Any], case: Case) -> None:
    writes = case.method in {"POST", "PUT", "PATCH", "DELETE"}
    before = digest() if writes else None
    response = send(world, case)
    assert response.status_code == case.status, response.get_data(as_text=True)[:500]
    if case.html:
        assert response.mimetype == "text/html"
    else:
        assert response.mimetype == "application/problem+json", response.mimetype
        body = response.get_json()
        assert set(body) >= PROBLEM_MEMBERS, body
        assert body["status"] == case.status
        assert any("\u4e00" <= ch <= "\u9fff" for ch in body["title"] + body["detail"])
        if case.code:
            assert body["code"] == case.code, body
        if case.error_field:  # a field error, or a row error of a refused import
            named = set(body.get("errors") or {}) | {r["field"] for r in body.get("rows", [])}
            assert case.error_field in named, body
    if writes:
        after = digest()
        changed = sorted(name for name in before if before[name] != after[name])
        assert not changed, f"a refused write changed {changed}"


# --- the table -------------------------------------------------------------------------------
# JSON endpoints and a body each accepts; every malformed body below is tried on every one.
JSON_ENDPOINTS = [
    ("zhang", "/api/v1/me/housing-proofs", {"scope": "personal", "purpose": "子女入学"}),
    ("zhang", "/api/v1/me/licenses/{license}/copies", {"purpose": "贷款", "valid_days": 30}),
    ("unbound", "/api/v1/me/identity", {"name": "张三", "id_number": "430681199001011234"}),
    ("chen", "/api/v1/me/handover/subscriptions", {"case_id": 1}),
    ("anon", "/api/v1/verify/by-number", {"certificate_number": "x", "print_serial": "1"}),
    ("anon", "/api/v1/auth/refresh", {"refresh_token": "x"}),
    ("partner", "/api/v1/partner/verify", {"tokens": ["ABC"]}),
    (
        "staff",
        "/api/v1/staff/certificates/{certificate}/encumbrances",
        {"kind": "seizure", "holder": "汨罗市人民法院", "reason": "(2026)湘0681执保1号"},
    ),
    ("staff", "/api/v1/staff/certificates/{certificate}/cancel", {"reason": "测试"}),
    ("staff", "/api/v1/staff/handover/cases/{case}/advance", {"stage": "deed_tax", "version": 1}),
    ("staff", "/api/v1/staff/handover/projects/{project}/blockers", {"kind": "other"}),
]
MALFORMED_BODIES = [
    ("invalid-json", b'{"purpose": ', "application/json", 400, "invalid_json"),
    ("json-list", b"[]", "application/json", 422, "validation_failed"),
    ("json-string", b'"purpose"', "application/json", 422, "validation_failed"),
    ("json-null", b"null", "application/json", 422, "validation_failed"),
    ("json-number", b"12", "application/json", 422, "validation_failed"),
    ("json-empty-object", b"{}", "application/json", 422, "validation_failed"),
    ("invalid-utf8", b'{"purpose": "\xff\xfe"}', "application/json", 400, "invalid_json"),
    ("not-json-type", b'{"purpose": "x"}', "text/plain", 415, "unsupported_media_type"),
    ("form-encoded", b"purpose=x", "application/x-www-form-urlencoded", 415, None),
    # Hostile JSON (issue #11): deep nesting and a huge integer are invalid JSON, not a 500.
    ("nested-arrays", b"[" * 1000 + b"]" * 1000, "application/json", 400, "invalid_json"),
    ("nested-objects-open", b'{"a":' * 6000, "application/json", 400, "invalid_json"),
    ("nested-objects", b'{"a":' * 600 + b"1" + b"}" * 600, "application/json", 400, "invalid_json"),
    ("huge-integer", b'{"purpose": ' + b"9" * 5000 + b"}", "application/json", 400, "invalid_json"),
]
CASES: list[Case] = []
for who, path, valid in JSON_ENDPOINTS:
    for name, raw, ctype, status, code in MALFORMED_BODIES:
        CASES.append(
            Case(f"{path}:{name}", who, "POST", path, status, code, raw=raw, content_type=ctype)
        )
    CASES.append(
        Case(
            f"{path}:unknown-field",
            who,
            "POST",
            path,
            422,
            "validation_failed",
            "is_admin",
            json={**valid, "is_admin": True},
        )
    )


def field_case(id: str, who: str, path: str, body: Any, name: str, status: int = 422) -> Case:
    code = "validation_failed" if status == 422 else None
    if isinstance(body, bytes):
        return Case(id, who, "POST", path, status, code, name, raw=body)
    return Case(id, who, "POST", path, status, code, name, json=body)


PROOF, COPY = "/api/v1/me/housing-proofs", "/api/v1/me/licenses/{license}/copies"
SUBSCRIBE, ADVANCE = (
    "/api/v1/me/handover/subscriptions",
    "/api/v1/staff/handover/cases/{case}/advance",
)
BLOCKERS = "/api/v1/staff/handover/projects/{project}/blockers"
ENCUMBRANCE = "/api/v1/staff/certificates/{certificate}/encumbrances"
CASES += [
    # text: NUL, lone surrogates, control characters, over-long, wrong types
    field_case(
        "purpose-nul", "zhang", PROOF, {"scope": "personal", "purpose": "子女\x00入学"}, "purpose"
    ),
    field_case(
        "purpose-lone-surrogate",
        "zhang",
        PROOF,
        b'{"scope": "personal", "purpose": "\\ud800"}',
        "purpose",
    ),
    field_case(
        "purpose-10k-chars",
        "zhang",
        PROOF,
        {"scope": "personal", "purpose": "学" * 10_000},
        "purpose",
    ),
    field_case(
        "purpose-list", "zhang", PROOF, {"scope": "personal", "purpose": ["子女入学"]}, "purpose"
    ),
    field_case("scope-number", "zhang", PROOF, {"scope": 1, "purpose": "子女入学"}, "scope"),
    field_case(
        "scope-object", "zhang", PROOF, {"scope": {"$ne": 1}, "purpose": "子女入学"}, "scope"
    ),
    field_case(
        "identity-name-surrogate",
        "unbound",
        "/api/v1/me/identity",
        b'{"name": "\\udfff\\ud800", "id_number": "430681199001011234"}',
        "name",
    ),
    field_case(
        "identity-id-nul",
        "unbound",
        "/api/v1/me/identity",
        {"name": "张三", "id_number": "43068119900101123\x00"},
        "id_number",
    ),
    field_case(
        "holder-control-char",
        "staff",
        ENCUMBRANCE,
        {"kind": "seizure", "holder": "法院\x07", "reason": "x"},
        "holder",
    ),
    field_case(
        "kind-null", "staff", ENCUMBRANCE, {"kind": None, "holder": "法院", "reason": "x"}, "kind"
    ),
    field_case(
        "blocker-reason-2001",
        "staff",
        BLOCKERS,
        {"kind": "other", "authority": "住建局", "reason": "x" * 2001},
        "reason",
    ),
    field_case(
        "blocker-reason-nul",
        "staff",
        BLOCKERS,
        {"kind": "other", "authority": "住建局", "reason": "\x00"},
        "reason",
    ),
    field_case(
        "blocker-body-70k",
        "staff",
        BLOCKERS,
        {"kind": "other", "authority": "住建局", "reason": "x" * 70_000},
        "",
        413,
    ),
    field_case("tokens-string", "partner", "/api/v1/partner/verify", {"tokens": "ABC"}, "tokens"),
    field_case(
        "tokens-null-item", "partner", "/api/v1/partner/verify", {"tokens": [None]}, "tokens"
    ),
    field_case(
        "tokens-nul", "partner", "/api/v1/partner/verify", {"tokens": ["AB\x00C"]}, "tokens"
    ),
    field_case(
        "tokens-101", "partner", "/api/v1/partner/verify", {"tokens": ["A"] * 101}, "tokens"
    ),
    field_case(
        "serial-number-type",
        "anon",
        "/api/v1/verify/by-number",
        {"certificate_number": "x", "print_serial": 2**70},
        "print_serial",
    ),
    field_case(
        "refresh-token-5000",
        "anon",
        "/api/v1/auth/refresh",
        {"refresh_token": "x" * 5000},
        "refresh_token",
    ),
    field_case(
        "state-traversal", "anon", "/api/v1/auth/wechat", {"code": "c", "state": "../.."}, "state"
    ),
    # numbers: huge, negative, fractional, strings, booleans, NaN/Infinity
    field_case(
        "valid-days-huge", "zhang", COPY, {"purpose": "贷款", "valid_days": HUGE}, "valid_days"
    ),
    field_case(
        "valid-days-1e400", "zhang", COPY, b'{"purpose": "x", "valid_days": 1e400}', "valid_days"
    ),
    field_case(
        "valid-days-nan", "zhang", COPY, b'{"purpose": "x", "valid_days": NaN}', "valid_days"
    ),
    field_case(
        "valid-days-negative", "zhang", COPY, {"purpose": "贷款", "valid_days": -5}, "valid_days"
    ),
    field_case(
        "valid-days-string", "zhang", COPY, {"purpose": "贷款", "valid_days": "30"}, "valid_days"
    ),
    field_case(
        "valid-days-bool", "zhang", COPY, {"purpose": "贷款", "valid_days": True}, "valid_days"
    ),
    field_case(
        "valid-days-fraction", "zhang", COPY, {"purpose": "贷款", "valid_days": 1.5}, "valid_days"
    ),
    field_case("case-id-negative", "chen", SUBSCRIBE, {"case_id": -1}, "case_id"),
    field_case("case-id-2^31", "chen", SUBSCRIBE, {"case_id": 2**31}, "case_id"),
    field_case("case-id-huge", "chen", SUBSCRIBE, {"case_id": HUGE}, "case_id"),
    field_case("case-id-1e9-string", "chen", SUBSCRIBE, {"case_id": "1e9"}, "case_id"),
    field_case(
        "version-2^63", "staff", ADVANCE, {"stage": "deed_tax", "version": 2**63}, "version"
    ),
    field_case("stage-traversal", "staff", ADVANCE, {"stage": "../", "version": 1}, "stage"),
    field_case(
        "bulk-items-not-objects",
        "staff",
        "/api/v1/staff/handover/cases/advance",
        {"items": [1, "x", None]},
        "items",
    ),
    field_case(
        "bulk-item-id-huge",
        "staff",
        "/api/v1/staff/handover/cases/advance",
        {"items": [{"id": HUGE, "stage": "deed_tax", "version": 1}]},
        "items",
    ),
    *(
        field_case(
            f"replacement-id-{name}",
            "staff",
            "/api/v1/staff/certificates/{certificate}/supersede",
            {"reason": "换证", "replacement_certificate_id": value},
            "replacement_certificate_id",
        )
        for name, value in [("fraction", 1.5), ("string", "3"), ("bool", True), ("huge", HUGE)]
    ),
]

# Ids in the path: nothing that is not a plain id up to 2^31-1 can name a row (404); NUL: 400.
for who, template in [
    ("zhang", "/api/v1/me/licenses/{}"),
    ("staff", "/api/v1/staff/handover/cases/{}"),
    ("anon", "/api/v1/handover/projects/{}"),
]:
    for bad in ["-1", "1e9", "0x10", "2147483648", "99999999999999999999", "abc", "..%2F..%2Fme"]:
        CASES.append(Case(f"{template}:{bad}", who, "GET", template.format(bad), 404, "not_found"))
    CASES.append(Case(f"{template}:nul", who, "GET", template.format("%00"), 400, "bad_request"))
LONG = "A" * 5000
CASES += [
    Case(
        "write-huge-id",
        "staff",
        "POST",
        "/api/v1/staff/certificates/99999999999999999999/cancel",
        404,
        "not_found",
        json={"reason": "x"},
    ),
    Case(
        "subscription-delete-huge-id",
        "chen",
        "DELETE",
        f"/api/v1/me/handover/subscriptions/{HUGE}",
        404,
        "not_found",
    ),
    Case("proof-id-traversal", "zhang", "GET", "/api/v1/me/housing-proofs/..%2F..%2Fetc", 404),
    Case("proof-id-5000", "zhang", "GET", f"/api/v1/me/housing-proofs/{LONG}", 404),
    Case("proof-id-bad-utf8", "zhang", "GET", "/api/v1/me/housing-proofs/%ff%fe", 404),
    Case("proof-id-nul", "zhang", "GET", "/api/v1/me/housing-proofs/A%00B", 400, "bad_request"),
    Case(
        "proof-links-5000", "zhang", "POST", f"/api/v1/me/housing-proofs/{LONG}/download-links", 404
    ),
    Case("verify-token-5000", "anon", "GET", f"/api/v1/verify/{LONG}", 400, "malformed_token"),
    Case("verify-token-nul", "anon", "GET", "/api/v1/verify/%00", 400, "bad_request"),
    Case("files-token-5000", "anon", "GET", f"/api/v1/files/{LONG}", 403, "download_link_invalid"),
    Case("page-token-5000", "anon", "GET", f"/v/{LONG}", 400, html=True),
    Case("qr-token-5000", "anon", "GET", f"/v/{LONG}.png", 404),
    Case(
        "partner-project-huge",
        "partner",
        "GET",
        f"/api/v1/partner/handover/projects/{HUGE}/cases",
        404,
    ),
]

# Query strings: repeated, huge, negative, NUL, invalid UTF-8, missing.
CASES_URL = "/api/v1/staff/handover/cases"
for name, query, field_name in [
    ("page-repeated", "page=1&page=2", "page"),
    ("per-page-huge", f"per_page={HUGE}", "per_page"),
    ("page-negative", "page=-1", "page"),
    ("project-1e9", "project_id=1e9", "project_id"),
    ("project-2^31", f"project_id={2**31}", "project_id"),
    ("contract-nul", "contract_number=%00", "contract_number"),
    ("stage-bad-utf8", "stage=%ff%fe", "stage"),
]:
    CASES.append(
        Case(
            f"query:{name}",
            "staff",
            "GET",
            f"{CASES_URL}?{query}",
            422,
            "validation_failed",
            field_name,
        )
    )
CASES += [
    Case(
        "certificate-number-nul",
        "staff",
        "GET",
        "/api/v1/staff/certificates?number=%00",
        422,
        "validation_failed",
        "number",
    ),
    Case(
        "certificate-number-5000",
        "staff",
        "GET",
        f"/api/v1/staff/certificates?number={LONG}",
        422,
        "validation_failed",
        "number",
    ),
    Case(
        "certificate-number-missing",
        "staff",
        "GET",
        "/api/v1/staff/certificates",
        422,
        "validation_failed",
        "number",
    ),
    Case(
        "next-repeated",
        "anon",
        "GET",
        "/api/v1/auth/wechat/authorize?next=/app/&next=/app/x",
        422,
        "validation_failed",
        "next",
    ),
    Case(
        "partner-per-page-1e9",
        "partner",
        "GET",
        "/api/v1/partner/handover/projects/{project}/cases?per_page=1e9",
        422,
        "validation_failed",
        "per_page",
    ),
]

# Credentials that are not.
CASES += [
    Case(
        "api-key-nul",
        "anon",
        "GET",
        "/api/v1/partner/handover/projects",
        401,
        "api_key_invalid",
        headers={"X-API-Key": "bdcp_\x00\x00\x00_x"},
    ),
    Case(
        "api-key-5000",
        "anon",
        "GET",
        "/api/v1/partner/handover/projects",
        401,
        "api_key_invalid",
        headers={"X-API-Key": "bdcp_" + LONG},
    ),
    Case(
        "bearer-5000", "anon", "GET", "/api/v1/me", 401, headers={"Authorization": "Bearer " + LONG}
    ),
    Case("bearer-nul", "anon", "GET", "/api/v1/me", 401, headers={"Authorization": "Bearer \x00"}),
    Case(
        "basic-auth",
        "anon",
        "GET",
        "/api/v1/me",
        401,
        "login_required",
        headers={"Authorization": "Basic YTpi"},
    ),
    Case("staff-token-as-citizen", "staff", "GET", "/api/v1/me", 401),
    Case("citizen-token-as-staff", "zhang", "GET", "/api/v1/staff/handover/cases", 401),
]

# Uploads: missing file, corrupt image, wrong type, two files, invalid UTF-8 CSV, NUL in CSV.
IMPORT, IMAGE = "/api/v1/staff/import/handover", "/api/v1/verify/image"
HEADER_ROW = (
    "项目名称,开发企业,项目坐落,幢号,房号,不动产单元号,建筑面积,用途,网签合同号,购房人姓名,"
    "购房人身份证号,是否贷款,共同购房人姓名,共同购房人身份证号\n"
)
CSV_ROW = (
    "汨江新城,汨罗汨江置业有限公司,汨罗市汨江大道100号,1,101,430681099001GB00001F00010101,89.50,"
    "城镇住宅用地/住宅,MLWQ2026T0001,赵敏,430681199609180446,是,,\n"
)
CASES += [
    Case(
        "image-missing",
        "anon",
        "POST",
        IMAGE,
        422,
        "validation_failed",
        "image",
        form={"other": "x"},
    ),
    Case(
        "image-corrupt-png",
        "anon",
        "POST",
        IMAGE,
        422,
        "image_unreadable",
        files={"image": (PNG_MAGIC + b"\x00garbage" * 100, "a.png")},
    ),
    Case(
        "image-corrupt-big-png",
        "anon",
        "POST",
        IMAGE,
        422,
        "image_unreadable",
        files={"image": (PNG_MAGIC + b"\x00" * 600_000, "a.png")},
    ),
    Case(
        "image-text-file",
        "anon",
        "POST",
        IMAGE,
        415,
        "unsupported_image_type",
        files={"image": (b"hello", "a.txt")},
    ),
    Case("image-empty-file", "anon", "POST", IMAGE, 415, files={"image": (b"", "a.png")}),
    Case(
        "image-json-body",
        "anon",
        "POST",
        IMAGE,
        422,
        "validation_failed",
        "image",
        json={"image": "x"},
    ),
    Case(
        "import-missing-file",
        "staff",
        "POST",
        IMPORT,
        422,
        "file_required",
        "file",
        form={"other": "x"},
    ),
    Case(
        "import-invalid-utf8",
        "staff",
        "POST",
        IMPORT,
        422,
        "import_encoding",
        files={"file": (b"\xff\xfe\x00\xd8garbage\n\x80", "a.csv")},
    ),
    Case(
        "import-invalid-utf8-text-csv",
        "staff",
        "POST",
        IMPORT,
        422,
        "import_encoding",
        raw=HEADER_ROW.encode("gb18030"),
        content_type="text/csv",
    ),
    Case(
        "import-nul-in-cell",
        "staff",
        "POST",
        IMPORT,
        422,
        "import_invalid",
        "location",
        raw=(HEADER_ROW + CSV_ROW.replace("大道", "大\x00道")).encode(),
        content_type="text/csv",
    ),
    Case(
        "import-control-in-cell",
        "staff",
        "POST",
        IMPORT,
        422,
        "import_invalid",
        "project_name",
        raw=(HEADER_ROW + CSV_ROW.replace("汨江新城", "汨江\x1b新城")).encode(),
        content_type="text/csv",
    ),
    Case(
        "import-empty-file",
        "staff",
        "POST",
        IMPORT,
        422,
        "import_invalid",
        files={"file": (b"", "a.csv")},
    ),
    Case("import-json", "staff", "POST", IMPORT, 415, json={"file": "x"}),
    Case(
        "import-form-field-600k",
        "staff",
        "POST",
        IMPORT,
        413,
        files={"file": (b"x", "a.csv")},
        form={"note": "x" * 600_000},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_a_clear_problem_and_writes_nothing(world, case):
    check(world, case)


def test_table_covers_every_json_write_endpoint_with_every_malformed_body():
    ids = {c.id for c in CASES}
    for _, path, _ in JSON_ENDPOINTS:
        for name, *_ in MALFORMED_BODIES:
            assert f"{path}:{name}" in ids


# --- upload spools are closed, whatever happens to the request --------------------------------
def _resource_warnings(call: Any) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = call()
        status = response.status_code
        del response
        gc.collect()
    assert status < 500
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def _multipart(*parts: bytes) -> bytes:
    return b"".join(parts) + b"--B--\r\n"


def _file_part(size: int) -> bytes:
    return (
        b'--B\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n" + PNG_MAGIC + b"\0" * size + b"\r\n"
    )


@pytest.mark.parametrize(
    "body",
    [
        # a big file (spooled to disk), then more parts than MAX_FORM_PARTS: 413 mid-parse
        _multipart(
            _file_part(600_000),
            *(
                b'--B\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nx\r\n' % i
                for i in range(1100)
            ),
        ),
        # a big file, then a form field over MAX_FORM_MEMORY_SIZE: 413 mid-parse
        _multipart(
            _file_part(600_000),
            b'--B\r\nContent-Disposition: form-data; name="f"\r\n\r\n' + b"y" * 600_000 + b"\r\n",
        ),
        # a big file and no closing boundary: the parser gives up
        _file_part(600_000),
    ],
    ids=["too-many-parts", "field-too-large", "truncated"],
)
def test_a_refused_multipart_body_leaves_no_temporary_file_open(world, body):
    client = world["client"]
    leaks = _resource_warnings(
        lambda: client.post(IMAGE, data=body, content_type="multipart/form-data; boundary=B")
    )
    assert leaks == []


def test_a_big_upload_the_plain_way_leaves_no_temporary_file_open(world):
    """The test client closes the spooled request body it built (see conftest)."""
    client = world["client"]
    big = PNG_MAGIC + b"\0" * 600_000
    leaks = _resource_warnings(
        lambda: client.post(
            IMAGE, data={"image": (io.BytesIO(big), "a.png")}, content_type="multipart/form-data"
        )
    )
    assert leaks == []
