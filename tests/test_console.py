"""The staff console (/staff/): login, session cookie, CSRF, roles, idle timeout, the screens'
actions through the domain functions, figures equal to the stats API, exports."""

from __future__ import annotations

import csv
import io
import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from applications_support import (
    BANK,
    confirm_all,
    mortgage_body,
    partner_headers,
    person_by_key,
    sole_unit,
)
from console_support import FAST_ARGON2, PASSWORD, csrf_of, login, staff_user
from PIL import Image
from sqlalchemy import func, select

from miniapp_api.extensions import db
from miniapp_api.models import (
    Application,
    ApplicationHold,
    AuditEvent,
    Certificate,
    HandoverCase,
    NotificationOutbox,
    Partner,
    utcnow,
)

DATA = Path(__file__).parent / "data"


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return dict(FAST_ARGON2)


@pytest.fixture
def filed(client, demo, citizen_headers) -> int:
    """A mortgage filed by a bank through the partner API and confirmed: `submitted`."""
    unit = sole_unit(person_by_key(demo, "zhang").id)
    bank = partner_headers("bank")
    response = client.post(
        "/api/v1/partner/applications",
        json=mortgage_body(demo, unit),
        headers={**bank, "Idempotency-Key": "console-1"},
    )
    assert response.status_code == 201, response.get_json()
    app_id = response.get_json()["id"]
    png = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(png, "PNG")
    upload = client.post(
        f"/api/v1/partner/applications/{app_id}/materials",
        data={"kind": "loan_contract", "file": (io.BytesIO(png.getvalue()), "loan.png")},
        headers={**bank, "Idempotency-Key": "console-2"},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.get_json()
    confirm_all(client, citizen_headers, app_id, ["zhang"])
    return app_id


def audit_count(action: str) -> int:
    return db.session.execute(
        select(func.count(AuditEvent.id)).where(AuditEvent.action == action)
    ).scalar_one()


# --- login, session, CSRF ------------------------------------------------------------------
def test_pages_need_a_login(client):
    response = client.get("/staff/figures")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")


def test_login_sets_a_strict_cookie_and_opens_the_queue(client):
    staff_user("desk.one", "clerk")
    page = client.get("/staff/login")
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    response = client.post(
        "/staff/login",
        data={"username": "desk.one", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("bdc_staff=")
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/staff"):
        assert flag in cookie
    queue = client.get("/staff/")
    assert queue.status_code == 200 and "待办队列" in queue.text
    assert audit_count("staff.login") == 1


def test_wrong_password_and_lockout_like_the_api(client, app):
    staff_user("desk.two", "clerk")
    token = csrf_of(client.get("/staff/login").text)
    for _ in range(app.config["STAFF_MAX_FAILED_LOGINS"] - 1):
        bad = client.post(
            "/staff/login", data={"username": "desk.two", "password": "nope", "csrf_token": token}
        )
        assert bad.status_code == 401 and "用户名或密码错误" in bad.text
    locked = client.post(
        "/staff/login", data={"username": "desk.two", "password": "nope", "csrf_token": token}
    )
    assert locked.status_code == 423 and "锁定" in locked.text
    right = client.post(
        "/staff/login", data={"username": "desk.two", "password": PASSWORD, "csrf_token": token}
    )
    assert right.status_code == 423


def test_login_without_csrf_token_is_refused(client):
    staff_user("desk.three", "clerk")
    client.get("/staff/login")
    response = client.post("/staff/login", data={"username": "desk.three", "password": PASSWORD})
    assert response.status_code == 400 and "CSRF" in response.text
    assert audit_count("staff.login") == 0


def test_actions_without_or_with_a_wrong_csrf_token_write_nothing(client, demo):
    login(client)
    cert = db.session.execute(select(Certificate).order_by(Certificate.id)).scalars().first()
    form = {"kind": "seizure", "holder": "汨罗市人民法院", "reason": "(2026)湘0681执保9号"}
    for extra in ({}, {"csrf_token": "forged"}):
        response = client.post(
            f"/staff/certificates/{cert.id}/encumbrances", data={**form, **extra}
        )
        assert response.status_code == 400
    assert audit_count("staff.encumbrance.create") == 0


def test_logout_ends_the_token(client):
    token = login(client)
    claims_token = None
    with client.session_transaction("/staff/") as session:
        claims_token = session["token"]
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/staff/").status_code == 302
    api = client.get(
        "/api/v1/staff/applications", headers={"Authorization": f"Bearer {claims_token}"}
    )
    assert api.status_code == 401


def test_session_expires_after_the_idle_timeout(client, app):
    login(client)
    assert client.get("/staff/").status_code == 200
    app.config["STAFF_IDLE_TIMEOUT"] = 1
    client.get("/staff/")  # renews the marker with the short timeout
    time.sleep(2.2)
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    assert "长时间未操作" in client.get(response.headers["Location"]).text


# --- roles ---------------------------------------------------------------------------------
def _held_application(app_id: int, demo: dict[str, Any]) -> tuple[Application, ApplicationHold]:
    person = person_by_key(demo, "zhang")
    hold = ApplicationHold(
        application_id=app_id, person_id=person.id, note="不是我办的", created_at=utcnow()
    )
    db.session.add(hold)
    db.session.commit()
    return db.session.get(Application, app_id), hold


def test_a_clerk_is_not_offered_and_cannot_reach_admin_actions(client, filed, demo):
    token = login(client, "clerk")
    app, hold = _held_application(filed, demo)
    page = client.get(f"/staff/applications/{app.id}")
    assert page.status_code == 200
    assert f"/holds/{hold.id}/clear" not in page.text
    response = client.post(
        f"/staff/applications/{app.id}/holds/{hold.id}/clear",
        data={"csrf_token": token, "reason": "核查无误"},
    )
    assert response.status_code == 403 and "仅限管理员" in response.text
    db.session.expire_all()
    assert db.session.get(ApplicationHold, hold.id).cleared_at is None
    row = NotificationOutbox(
        dedupe_key="console-test-1",
        openid="o1",
        template_id="t",
        data={},
        failed_at=utcnow(),
        last_error="outcome_unknown: lease expired",
    )
    db.session.add(row)
    db.session.commit()
    notes = client.get("/staff/notifications")
    assert "重新发送</button>" not in notes.text
    for action in ("resend", "drop"):
        refused = client.post(f"/staff/notifications/{row.id}/{action}", data={"csrf_token": token})
        assert refused.status_code == 403


def test_an_admin_clears_a_hold_and_the_queue_puts_held_first(client, filed, demo):
    app, hold = _held_application(filed, demo)
    token = login(client, "admin")
    queue = client.get("/staff/?status=all")
    first_row = queue.text.split("<tbody>")[1].split("</tr>")[0]
    assert f'/staff/applications/{app.id}"' in first_row and "有异议" in first_row
    page = client.get(f"/staff/applications/{app.id}")
    assert f"/holds/{hold.id}/clear" in page.text
    response = client.post(
        f"/staff/applications/{app.id}/holds/{hold.id}/clear",
        data={"csrf_token": token, "reason": "已电话核实，系本人办理"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(ApplicationHold, hold.id).cleared_at is not None
    assert audit_count("application.hold.clear") == 1


def test_admin_resends_and_drops_notifications(client):
    token = login(client, "admin")
    rows = [
        NotificationOutbox(
            dedupe_key=f"console-admin-{i}",
            openid="o1",
            template_id="t",
            data={},
            failed_at=utcnow(),
            last_error="outcome_unknown: lease expired",
        )
        for i in range(2)
    ]
    db.session.add_all(rows)
    db.session.commit()
    assert "结果未知" in client.get("/staff/notifications").text
    client.post(f"/staff/notifications/{rows[0].id}/resend", data={"csrf_token": token})
    client.post(f"/staff/notifications/{rows[1].id}/drop", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(NotificationOutbox, rows[0].id).failed_at is None
    dropped = db.session.get(NotificationOutbox, rows[1].id)
    assert dropped.last_error.startswith("dropped_by_staff")
    page = client.get("/staff/notifications").text
    assert f"<td>{rows[1].id}</td>" not in page
    assert audit_count("handover.notification.drop") == 1


# --- the window ----------------------------------------------------------------------------
def _status(app_id: int) -> tuple[str, int]:
    db.session.expire_all()
    app = db.session.get(Application, app_id)
    return app.status, app.version


def test_the_window_works_an_application_to_completion(client, filed):
    token = login(client)
    app = db.session.get(Application, filed)
    assert app.status == "submitted"
    page = client.get(f"/staff/applications/{app.id}")
    assert page.status_code == 200
    assert audit_count("staff.application.view") == 1
    material = re.search(r'<img src="(/staff/applications/\d+/materials/\d+)"', page.text)
    assert material, "the material is shown inline"
    shown = client.get(material.group(1))
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert "frame-ancestors 'self'" in shown.headers["Content-Security-Policy"]
    assert audit_count("application.material.view") == 1
    _before, version = _status(app.id)
    stale = client.post(
        f"/staff/applications/{app.id}/accept", data={"csrf_token": token, "version": version + 5}
    )
    assert stale.status_code == 303
    assert "已被他人修改" in client.get(stale.headers["Location"]).text
    assert _status(app.id)[0] == "submitted"
    client.post(
        f"/staff/applications/{app.id}/accept", data={"csrf_token": token, "version": version}
    )
    assert _status(app.id)[0] == "accepted"
    for stage in ("reviewed", "registered", "certified", "completed"):
        _status_now, version = _status(app.id)
        response = client.post(
            f"/staff/applications/{app.id}/advance",
            data={"csrf_token": token, "version": version, "stage": stage},
        )
        assert response.status_code == 303
        assert _status(app.id)[0] == stage, client.get(response.headers["Location"]).text
    done = client.get(f"/staff/applications/{app.id}").text
    assert "已办结" in done and "当前状态下没有可办理的操作" in done


def test_queue_filters_and_colours(client, filed):
    token = login(client)
    client.post(
        f"/staff/applications/{filed}/accept",
        data={"csrf_token": token, "version": _status(filed)[1]},
    )
    app = db.session.get(Application, filed)
    assert app.status == "accepted"
    app.promised_date = date(2020, 1, 2)
    db.session.commit()
    page = client.get("/staff/?kind=" + app.kind).text
    row = next(r for r in page.split("<tr") if f'/staff/applications/{app.id}"' in r)
    assert 'class="overdue' in row and "已超期" in row
    from miniapp_api.applications.events import china_date, now_utc

    app.promised_date = china_date(now_utc())
    db.session.commit()
    page = client.get("/staff/").text
    row = next(r for r in page.split("<tr") if f'/staff/applications/{app.id}"' in r)
    assert 'class="due-today' in row and "今日到期" in row
    assert "已超期" not in row
    bank = db.session.execute(select(Partner).where(Partner.name == BANK)).scalar_one()
    filtered = client.get(f"/staff/?status=all&partner={bank.id}").text
    ids = {
        a.id
        for a in db.session.execute(
            select(Application).where(Application.partner_id == bank.id)
        ).scalars()
    }
    shown = {int(x) for x in re.findall(r'/staff/applications/(\d+)"', filtered)}
    assert shown and shown <= ids


# --- certificates --------------------------------------------------------------------------
def test_encumbrance_added_and_released_changes_the_public_verification(client, demo):
    token = login(client)
    sample = demo["verification"]["samples"]["authentic"]
    found = client.get("/staff/certificates", query_string={"q": sample["certificate_number"]})
    assert found.status_code == 200
    cert_id = int(found.text.split("/staff/certificates/")[1].split('"')[0])
    page = client.get(f"/staff/certificates/{cert_id}").text
    assert "身份证号" in page
    client.post(
        f"/staff/certificates/{cert_id}/encumbrances",
        data={
            "csrf_token": token,
            "kind": "seizure",
            "holder": "汨罗市人民法院",
            "reason": "(2026)湘0681执保7号",
        },
    )
    assert [e["kind"] for e in client.get(sample["api"]).get_json()["encumbrances"]] == ["seizure"]
    page = client.get(f"/staff/certificates/{cert_id}").text
    enc_id = int(page.split("/encumbrances/")[1].split("/release")[0])
    client.post(
        f"/staff/certificates/{cert_id}/encumbrances/{enc_id}/release",
        data={"csrf_token": token, "reason": "解除查封"},
    )
    assert client.get(sample["api"]).get_json()["encumbrances"] == []
    assert audit_count("staff.encumbrance.create") == audit_count("staff.encumbrance.release") == 1


def test_search_by_unit_and_id_number_and_invalid_form(client, demo):
    token = login(client)
    zhang = next(c for c in demo["citizens"] if c["key"] == "zhang")
    by_id = client.get("/staff/certificates", query_string={"q": zhang["id_number"]}).text
    assert "/staff/certificates/" in by_id
    cert = db.session.execute(select(Certificate).order_by(Certificate.id)).scalars().first()
    by_unit = client.get(
        "/staff/certificates", query_string={"q": cert.right.unit.unit_number}
    ).text
    assert f'/staff/certificates/{cert.id}"' in by_unit
    assert audit_count("staff.certificate.search") == 2
    bad = client.post(
        f"/staff/certificates/{cert.id}/encumbrances",
        data={"csrf_token": token, "kind": "dragon", "holder": "x", "reason": "y"},
    )
    assert "填写有误" in client.get(bad.headers["Location"]).text
    assert audit_count("staff.encumbrance.create") == 0


# --- 交房即交证 ----------------------------------------------------------------------------
def _cases() -> int:
    return db.session.execute(select(func.count(HandoverCase.id))).scalar_one()


def test_import_previews_every_row_then_imports_all_or_nothing(client):
    token = login(client)
    before = _cases()
    bad = client.post(
        "/staff/handover/import",
        data={
            "csrf_token": token,
            "file": (io.BytesIO((DATA / "handover_bad.csv").read_bytes()), "bad.csv"),
        },
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert "确认导入" not in bad.text and "row-error" in bad.text
    assert _cases() == before
    good = client.post(
        "/staff/handover/import",
        data={
            "csrf_token": token,
            "file": (io.BytesIO((DATA / "handover_good.csv").read_bytes()), "good.csv"),
        },
        content_type="multipart/form-data",
    )
    assert good.status_code == 200 and "确认导入" in good.text
    assert _cases() == before  # the preview writes nothing
    preview_token = good.text.split('name="token" value="')[1].split('"')[0]
    done = client.post(
        "/staff/handover/import/confirm", data={"csrf_token": token, "token": preview_token}
    )
    assert done.status_code == 303
    assert _cases() == before + 4
    again = client.post(
        "/staff/handover/import/confirm", data={"csrf_token": token, "token": preview_token}
    )
    assert "预览已过期" in client.get(again.headers["Location"]).text


def test_bulk_move_of_a_projects_units(client):
    token = login(client)
    projects = client.get("/staff/handover")
    assert projects.status_code == 200
    case = (
        db.session.execute(select(HandoverCase).where(HandoverCase.stage == "contract_filing"))
        .scalars()
        .first()
    )
    page = client.get(f"/staff/handover/projects/{case.project_id}").text
    assert f'value="{case.id}:{case.version}:advance_notice"' in page
    response = client.post(
        f"/staff/handover/projects/{case.project_id}/advance",
        data={"csrf_token": token, "case": f"{case.id}:{case.version}:advance_notice"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(HandoverCase, case.id).stage == "advance_notice"
    stale = client.post(
        f"/staff/handover/projects/{case.project_id}/advance",
        data={"csrf_token": token, "case": f"{case.id}:{case.version}:advance_notice"},
    )
    assert "所有办件均未改动" in client.get(stale.headers["Location"]).text


# --- figures -------------------------------------------------------------------------------
def _figures_csv(client, start: str, end: str) -> list[list[str]]:
    response = client.get("/staff/figures.csv", query_string={"from": start, "to": end})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_figures_equal_the_stats_api(client, filed):
    login(client)
    start, end = "2025-01-01", "2026-12-31"  # the filing's China day is in it
    api = client.get(
        "/api/v1/stats/applications", query_string={"from": start, "to": end}
    ).get_json()
    assert api["total"] > 0
    page = client.get("/staff/figures", query_string={"from": start, "to": end})
    assert page.status_code == 200
    assert f'id="fig-total">{api["total"]}<' in page.text
    assert f'id="fig-completed">{api["completed"]}<' in page.text
    rows = _figures_csv(client, start, end)
    summary = rows[2]
    assert int(summary[1]) == api["total"] and int(summary[2]) == api["completed"]
    assert float(summary[3]) == api["completion_rate"] and float(summary[4]) == api["on_time_rate"]
    monthly_start = rows.index(["按月"]) + 2
    monthly = []
    for row in rows[monthly_start:]:
        if not row:
            break
        monthly.append(row)
    assert len(monthly) == 24
    assert sum(int(r[1]) for r in monthly) == api["total"]
    for row in monthly:  # each month equals the stats API for that month
        year, month = map(int, row[0].split("-"))
        last = (date(year + (month == 12), month % 12 + 1, 1) - date.resolution).isoformat()
        one = client.get(
            "/api/v1/stats/applications", query_string={"from": f"{row[0]}-01", "to": last}
        ).get_json()
        assert (int(row[1]), int(row[2])) == (one["total"], one["completed"])
    kinds = rows[rows.index(["按业务类型"]) + 2 : rows.index(["按业务类型"]) + 5]
    assert sum(int(r[1]) for r in kinds) == api["total"]


def test_exports_neutralise_formulas(client, filed):
    login(client)
    bank = db.session.execute(select(Partner).where(Partner.name == BANK)).scalar_one()
    bank.name = '=HYPERLINK("http://x")'
    db.session.commit()
    rows = _figures_csv(client, "2025-01-01", "2026-12-31")
    cells = [c for r in rows for c in r]
    assert '\'=HYPERLINK("http://x")' in cells and '=HYPERLINK("http://x")' not in cells
    response = client.get(
        "/staff/figures.xlsx", query_string={"from": "2025-01-01", "to": "2026-12-31"}
    )
    assert response.status_code == 200
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.data))
    values = [c.value for s in book.worksheets for r in s.iter_rows() for c in r]
    assert '\'=HYPERLINK("http://x")' in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert audit_count("staff.figures.export") == 2


# --- audit ---------------------------------------------------------------------------------
def test_audit_search_and_export(client):
    login(client, "admin", "audit.admin")
    page = client.get(
        "/staff/audit", query_string={"actor": "audit.admin", "action": "staff.login"}
    )
    assert page.status_code == 200 and "staff.login" in page.text and "audit.admin" in page.text
    nothing = client.get("/staff/audit", query_string={"actor": "nobody.here"}).text
    assert "没有符合条件的记录" in nothing
    export = client.get("/staff/audit.csv", query_string={"action": "staff.login"})
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert rows[0][0] == "编号" and len(rows) >= 2 and all(r[4] == "staff.login" for r in rows[1:])
    assert audit_count("staff.audit.export") == 1


def test_the_window_files_for_people_at_the_counter(client, demo):
    token = login(client)
    zhang = next(c for c in demo["citizens"] if c["key"] == "zhang")
    unit = sole_unit(person_by_key(demo, "zhang").id)
    form = {
        "csrf_token": token,
        "kind": "mortgage",
        "unit_number": unit.unit_number,
        "loan_amount": "300000.00",
        "term_months": "120",
        "party-0-role": "obligor",
        "party-0-name": zhang["name"],
        "party-0-id_number": zhang["id_number"][:-1]
        + ("0" if zhang["id_number"][-1] != "0" else "1"),
    }
    before = db.session.execute(select(func.count(Application.id))).scalar_one()
    bad = client.post("/staff/applications/new", data=form)
    assert bad.status_code == 422 and "身份证号码不正确" in bad.text
    assert db.session.execute(select(func.count(Application.id))).scalar_one() == before
    form["party-0-id_number"] = zhang["id_number"]
    good = client.post("/staff/applications/new", data=form)
    assert good.status_code == 303
    app = db.session.execute(select(Application).order_by(Application.id.desc())).scalars().first()
    assert (app.channel, app.kind, app.status) == ("window", "mortgage", "awaiting_confirmation")
    assert good.headers["Location"] == f"/staff/applications/{app.id}"


def test_project_blockers_and_stages(client):
    from miniapp_api.models import HandoverBlocker, HousingProject

    token = login(client, "admin", "handover.admin")
    project = (
        db.session.execute(
            select(HousingProject)
            .where(HousingProject.stage.is_not(None))
            .order_by(HousingProject.id)
        )
        .scalars()
        .first()
    )
    back = f"/staff/handover/projects/{project.id}"
    added = client.post(
        f"{back}/blockers",
        data={
            "csrf_token": token,
            "kind": "court_seizure",
            "authority": "汨罗市人民法院",
            "reason": "(2026)湘0681执保3号",
        },
    )
    assert "已登记阻碍事项" in client.get(added.headers["Location"]).text
    blocker = db.session.execute(
        select(HandoverBlocker).where(HandoverBlocker.reason == "(2026)湘0681执保3号")
    ).scalar_one()
    page = client.get(back).text
    assert f"/blockers/{blocker.id}/resolve" in page
    client.post(
        f"{back}/blockers/{blocker.id}/resolve", data={"csrf_token": token, "resolution": "已解封"}
    )
    db.session.expire_all()
    assert db.session.get(HandoverBlocker, blocker.id).resolved_at is not None
    version = project.version
    wrong = client.post(
        f"{back}/stage", data={"csrf_token": token, "stage": project.stage, "version": version}
    )
    assert client.get(wrong.headers["Location"]).status_code == 200
    db.session.expire_all()
    assert db.session.get(HousingProject, project.id).version == version  # refused, unchanged
