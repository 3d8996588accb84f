"""产权变动提醒: one alert per holder per trigger, opt-out per unit, the inbox, masking,
"这不是我办的" holds, WeChat delivery through the outbox, and the monthly digest."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from applications_support import (
    BANK,
    citizen,
    confirm_all,
    mortgage_body,
    partner_headers,
    staff_post,
    transfer_body,
)
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from miniapp_api.domain import documents
from miniapp_api.extensions import db
from miniapp_api.models import (
    Alert,
    Application,
    AuditEvent,
    Certificate,
    IssuedDocument,
    NotificationOutbox,
    PropertyRight,
    WebhookDelivery,
)

# The fixtures agency, bank, clerk and zhang_unit come from applications_support.
URL = "/api/v1/partner/applications"
ALERTS = "/api/v1/me/alerts"
SETTINGS = "/api/v1/me/alert-settings"


@pytest.fixture
def config_overrides(wechat_config: dict[str, Any]) -> dict[str, Any]:
    return {**wechat_config, "WECHAT_TEMPLATE_ALERT": "tmpl-property-alert"}


@pytest.fixture(autouse=True)
def _fresh_fake(fake_wechat: Any) -> None:
    fake_wechat.reset()


@pytest.fixture
def admin(staff_headers):
    return staff_headers("admin")


@pytest.fixture
def joint_unit(app, demo):
    """The flat 张建国 and 李秀英 hold together (共同共有)."""
    ids = {citizen(demo, "zhang")["person_id"], citizen(demo, "li")["person_id"]}
    for right in db.session.execute(
        select(PropertyRight)
        .options(selectinload(PropertyRight.holders))
        .where(PropertyRight.current.is_(True))
    ).scalars():
        if {h.person_id for h in right.holders} == ids:
            return right.unit
    raise LookupError("no joint unit")


def alerts_of(demo, key: str, kind: str | None = None) -> list[Alert]:
    db.session.expire_all()
    query = select(Alert).where(Alert.person_id == citizen(demo, key)["person_id"])
    if kind:
        query = query.where(Alert.kind == kind)
    return list(db.session.execute(query.order_by(Alert.id)).scalars())


def valid_cert(unit) -> Certificate:
    db.session.expire_all()
    return db.session.execute(
        select(Certificate)
        .join(PropertyRight, PropertyRight.id == Certificate.right_id)
        .where(
            PropertyRight.unit_id == unit.id,
            PropertyRight.current.is_(True),
            Certificate.kind == "property",
            Certificate.status == "valid",
        )
    ).scalar_one()


def file(client, headers, body) -> dict:
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def register_transfer(client, clerk, app_id: int) -> Any:
    assert staff_post(client, clerk, app_id, "accept").status_code == 200
    for track in ("contract_filing", "tax"):
        response = client.post(
            f"/api/v1/staff/applications/{app_id}/tracks/{track}",
            json={"reference": f"REF-{track}"},
            headers=clerk,
        )
        assert response.status_code == 200, response.get_json()
    assert staff_post(client, clerk, app_id, "advance", stage="reviewed").status_code == 200
    return staff_post(client, clerk, app_id, "advance", stage="registered")


# --- triggers ---------------------------------------------------------------------------------
def test_transfer_filed_accepted_registered_one_alert_each(
    app, client, demo, agency, clerk, zhang_unit, citizen_headers
):
    zhang, zhao = citizen_headers("zhang"), citizen_headers("zhao")
    before = datetime.now().astimezone()
    item = file(client, agency, transfer_body(demo, zhang_unit))
    [filed] = alerts_of(demo, "zhang", "application_filed")
    assert filed.created_at - before < timedelta(minutes=1)
    assert filed.detail["application"]["filer"] == "汨罗市安居房产中介"
    assert filed.detail["application"]["kind"] == "transfer"
    assert {p["name"] for p in filed.detail["application"]["parties"]} == {"张*国", "赵*"}
    assert alerts_of(demo, "zhao") == []  # the buyer holds nothing yet
    # The holder confirms his own sale: the acceptance still alerts (the alert is the record).
    confirm_all(client, citizen_headers, item["id"], ["zhang", "zhao"])
    assert staff_post(client, clerk, item["id"], "accept").status_code == 200
    [accepted] = alerts_of(demo, "zhang", "application_accepted")
    assert accepted.detail["application"]["acceptance_number"]
    for track in ("contract_filing", "tax"):
        client.post(
            f"/api/v1/staff/applications/{item['id']}/tracks/{track}",
            json={"reference": "R1"},
            headers=clerk,
        )
    staff_post(client, clerk, item["id"], "advance", stage="reviewed")
    assert staff_post(client, clerk, item["id"], "advance", stage="registered").status_code == 200
    # Seller and buyer each get exactly one 登簿 alert.
    assert len(alerts_of(demo, "zhang", "application_registered")) == 1
    assert len(alerts_of(demo, "zhao", "application_registered")) == 1
    assert [a.kind for a in alerts_of(demo, "zhang")] == [
        "application_filed",
        "application_accepted",
        "application_registered",
    ]
    # Later stages (缮证, 办结) raise nothing more.
    staff_post(client, clerk, item["id"], "advance", stage="certified")
    assert len(alerts_of(demo, "zhang")) == 3
    # One WeChat message per alert, in the outbox.
    rows = db.session.execute(
        select(NotificationOutbox).where(NotificationOutbox.dedupe_key.like("alert:%"))
    ).scalars()
    assert sorted(r.dedupe_key.split(":")[1] for r in rows) == sorted(
        str(a.id) for a in alerts_of(demo, "zhang") + alerts_of(demo, "zhao")
    )
    assert client.get(ALERTS, headers=zhang).get_json()["total"] == 3
    assert client.get(ALERTS, headers=zhao).get_json()["total"] == 1


def test_co_owners_each_get_one_alert(app, client, demo, bank, joint_unit, citizen_headers):
    citizen_headers("zhang"), citizen_headers("li")
    z, li = citizen(demo, "zhang"), citizen(demo, "li")
    body = {
        "kind": "mortgage",
        "unit_number": joint_unit.unit_number,
        "loan_amount": "300000.00",
        "term_months": 120,
        "parties": [
            {"role": "obligor", "name": z["name"], "id_number": z["id_number"]},
            {"role": "obligor", "name": li["name"], "id_number": li["id_number"]},
        ],
    }
    file(client, bank, body)
    assert len(alerts_of(demo, "zhang", "application_filed")) == 1
    assert len(alerts_of(demo, "li", "application_filed")) == 1
    [alert] = alerts_of(demo, "li", "application_filed")
    assert alert.detail["application"]["filer"] == BANK


def test_unbound_holder_gets_nothing(app, client, demo, agency, zhang_unit):
    file(client, agency, transfer_body(demo, zhang_unit))
    assert alerts_of(demo, "zhang") == []


def test_encumbrances_name_their_holder(app, client, demo, clerk, zhang_unit, citizen_headers):
    citizen_headers("zhang")
    cert = valid_cert(zhang_unit)
    base = f"/api/v1/staff/certificates/{cert.id}/encumbrances"
    seizure = client.post(
        base,
        json={"kind": "seizure", "holder": "汨罗市人民法院", "reason": "(2026)湘0681执保1号"},
        headers=clerk,
    ).get_json()
    [added] = alerts_of(demo, "zhang", "encumbrance_added")
    assert added.detail["encumbrance"]["holder"] == "汨罗市人民法院"
    assert "查封" in added.title
    response = client.post(
        f"{base}/{seizure['id']}/release", json={"reason": "解除查封"}, headers=clerk
    )
    assert response.status_code == 200
    [released] = alerts_of(demo, "zhang", "encumbrance_released")
    assert released.detail["encumbrance"]["kind"] == "seizure"
    # An objection lodged by a private person: the person is masked.
    client.post(
        base, json={"kind": "objection", "holder": "王五六", "reason": "异议"}, headers=clerk
    )
    objection = alerts_of(demo, "zhang", "encumbrance_added")[-1]
    assert objection.detail["encumbrance"]["holder"] == "王*六"
    assert "王五六" not in objection.body


def test_certificate_cancelled_and_superseded(
    app, client, demo, clerk, zhang_unit, joint_unit, citizen_headers
):
    citizen_headers("zhang"), citizen_headers("li")
    cert = valid_cert(zhang_unit)
    response = client.post(
        f"/api/v1/staff/certificates/{cert.id}/supersede", json={"reason": "换证"}, headers=clerk
    )
    assert response.status_code == 200
    new_number = response.get_json()["replacement"]["number"]
    [superseded] = alerts_of(demo, "zhang", "certificate_superseded")
    assert superseded.detail["replacement"]["number"] == new_number
    joint = valid_cert(joint_unit)
    client.post(
        f"/api/v1/staff/certificates/{joint.id}/cancel", json={"reason": "注销"}, headers=clerk
    )
    assert len(alerts_of(demo, "zhang", "certificate_cancelled")) == 1
    assert len(alerts_of(demo, "li", "certificate_cancelled")) == 1
    assert alerts_of(demo, "li", "certificate_superseded") == []


def test_opt_out_silences_one_unit_only(
    app, client, demo, clerk, zhang_unit, joint_unit, citizen_headers
):
    zhang = citizen_headers("zhang")
    citizen_headers("li")
    listing = client.get(SETTINGS, headers=zhang).get_json()["items"]
    assert {i["unit_number"] for i in listing} >= {zhang_unit.unit_number, joint_unit.unit_number}
    assert all(i["enabled"] for i in listing)
    off = client.put(
        SETTINGS, json={"unit_number": joint_unit.unit_number, "enabled": False}, headers=zhang
    )
    assert off.status_code == 200 and off.get_json()["enabled"] is False

    def seize(unit):
        cert = valid_cert(unit)
        response = client.post(
            f"/api/v1/staff/certificates/{cert.id}/encumbrances",
            json={"kind": "seizure", "holder": "汨罗市人民法院", "reason": "查封"},
            headers=clerk,
        )
        assert response.status_code == 201

    seize(joint_unit)
    seize(zhang_unit)
    [mine] = alerts_of(demo, "zhang", "encumbrance_added")
    assert mine.unit_id == zhang_unit.id
    assert len(alerts_of(demo, "li", "encumbrance_added")) == 1  # her switch is still on
    client.put(
        SETTINGS, json={"unit_number": joint_unit.unit_number, "enabled": True}, headers=zhang
    )
    cert = valid_cert(joint_unit)
    client.post(
        f"/api/v1/staff/certificates/{cert.id}/supersede", json={"reason": "换证"}, headers=clerk
    )
    assert len(alerts_of(demo, "zhang", "certificate_superseded")) == 1


def test_settings_refuse_a_unit_not_held(app, client, demo, zhang_unit, citizen_headers):
    response = client.put(
        SETTINGS,
        json={"unit_number": zhang_unit.unit_number, "enabled": False},
        headers=citizen_headers("zhao"),
    )
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/problem+json")
    bad = client.put(
        SETTINGS, json={"unit_number": "x", "enabled": "maybe"}, headers=citizen_headers("zhao")
    )
    assert bad.status_code == 422


# --- the inbox --------------------------------------------------------------------------------
def test_inbox_newest_first_unread_and_read(app, client, demo, clerk, zhang_unit, citizen_headers):
    zhang = citizen_headers("zhang")
    cert = valid_cert(zhang_unit)
    base = f"/api/v1/staff/certificates/{cert.id}/encumbrances"
    for holder in ("汨罗市人民法院", "岳阳市中级人民法院"):
        client.post(
            base, json={"kind": "seizure", "holder": holder, "reason": "查封"}, headers=clerk
        )
    page = client.get(ALERTS, headers=zhang).get_json()
    assert page["unread"] == 2 and page["total"] == 2
    assert [i["detail"]["encumbrance"]["holder"] for i in page["items"]] == [
        "岳阳市中级人民法院",
        "汨罗市人民法院",
    ]
    first = page["items"][0]["id"]
    read = client.post(f"{ALERTS}/{first}/read", headers=zhang)
    assert read.status_code == 200 and read.get_json()["read"] is True
    assert client.get(ALERTS, headers=zhang).get_json()["unread"] == 1
    # Someone else's alert is a 404, like a missing one.
    li = citizen_headers("li")
    for url in (f"{ALERTS}/{first}", f"{ALERTS}/{first}/read"):
        method = client.get if url.endswith(str(first)) else client.post
        assert method(url, headers=li).status_code == 404
    assert client.post(f"{ALERTS}/{first}/dispute", json={}, headers=li).status_code == 404
    assert client.post(f"{ALERTS}/999999/read", headers=zhang).status_code == 404
    assert client.get(ALERTS).status_code == 401


# --- 这不是我办的 ---------------------------------------------------------------------
def test_dispute_holds_registration_until_an_admin_clears_it(
    app, client, demo, agency, clerk, admin, zhang_unit, citizen_headers
):
    zhang = citizen_headers("zhang")
    citizen_headers("zhao")
    hook = client.put(
        "/api/v1/partner/webhook", json={"url": "http://127.0.0.1:18799/hook"}, headers=agency
    )
    assert hook.status_code == 200, hook.get_json()
    other = file(client, agency, {**transfer_body(demo, zhang_unit)})
    item_id = other["id"]
    [filed] = alerts_of(demo, "zhang", "application_filed")
    response = client.post(
        f"{ALERTS}/{filed.id}/dispute", json={"note": "我没有卖房"}, headers=zhang
    )
    assert response.status_code == 201, response.get_json()
    hold_id = response.get_json()["hold"]["id"]
    again = client.post(f"{ALERTS}/{filed.id}/dispute", json={}, headers=zhang)
    assert again.status_code == 200 and again.get_json()["hold"]["id"] == hold_id
    # The filer is told it is under review, not by whom.
    seen = client.get(f"{URL}/{item_id}", headers=agency).get_json()
    assert seen["under_review"] is True and seen["under_review_note"]
    [delivery] = db.session.execute(
        select(WebhookDelivery).where(WebhookDelivery.event_type == "application.under_review")
    ).scalars()
    payload = json.loads(delivery.payload)
    assert payload["data"]["id"] == item_id and payload["data"]["under_review"] is True
    assert "张" not in delivery.payload and "我没有卖房" not in delivery.payload
    assert "person" not in delivery.payload
    # Staff see disputed applications first.
    file(client, partner_headers("bank"), mortgage_body(demo, zhang_unit))
    listing = client.get("/api/v1/staff/applications", headers=clerk).get_json()["items"]
    assert listing[0]["id"] == item_id and listing[0]["under_review"] is True
    assert listing[1]["under_review"] is False
    holds = client.get(f"/api/v1/staff/applications/{item_id}/holds", headers=clerk).get_json()
    assert holds["items"][0]["note"] == "我没有卖房"
    assert holds["items"][0]["disputed_by"]["name"] == "张*国"
    # Registration is refused while the hold is open.
    confirm_all(client, citizen_headers, item_id, ["zhang", "zhao"])
    refused = register_transfer(client, clerk, item_id)
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "application_on_hold"
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    assert db.session.get(Application, item_id).status == "reviewed"
    # Only an admin clears it, with a reason.
    clear = f"/api/v1/staff/applications/{item_id}/holds/{hold_id}/clear"
    assert client.post(clear, json={"reason": "已核实"}, headers=clerk).status_code == 403
    assert client.post(clear, json={}, headers=admin).status_code == 422
    assert (
        client.post(
            f"/api/v1/staff/applications/{item_id}/holds/999/clear",
            json={"reason": "x"},
            headers=admin,
        ).status_code
        == 404
    )
    cleared = client.post(clear, json={"reason": "经电话核实为本人委托"}, headers=admin)
    assert cleared.status_code == 200 and cleared.get_json()["status"] == "cleared"
    assert client.post(clear, json={"reason": "again"}, headers=admin).status_code == 409
    assert staff_post(client, clerk, item_id, "advance", stage="registered").status_code == 200
    actions = set(
        db.session.execute(
            select(AuditEvent.action).where(AuditEvent.object_id == str(item_id))
        ).scalars()
    )
    assert {"alert.dispute", "application.hold.clear"} <= actions
    alert_view = client.get(f"{ALERTS}/{filed.id}", headers=zhang).get_json()
    assert alert_view["dispute"]["status"] == "cleared" and alert_view["disputable"] is False


def test_non_holder_cannot_dispute(
    app, client, demo, agency, bank, clerk, zhang_unit, citizen_headers
):
    zhang = citizen_headers("zhang")
    citizen_headers("zhao")
    sale = file(client, agency, transfer_body(demo, zhang_unit))
    file(client, bank, mortgage_body(demo, zhang_unit))
    mortgage_alert = next(
        a
        for a in alerts_of(demo, "zhang", "application_filed")
        if a.detail["application"]["kind"] == "mortgage"
    )
    confirm_all(client, citizen_headers, sale["id"], ["zhang", "zhao"])
    assert register_transfer(client, clerk, sale["id"]).status_code == 200
    # 张建国 sold the flat: he is no longer a holder and cannot hold the mortgage application.
    response = client.post(f"{ALERTS}/{mortgage_alert.id}/dispute", json={}, headers=zhang)
    assert response.status_code == 403
    assert response.get_json()["code"] == "not_a_holder"
    assert (
        db.session.execute(
            select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "alert.dispute", AuditEvent.result == "not_a_holder"
            )
        ).scalar_one()
        == 1
    )


def test_only_application_alerts_can_be_disputed(
    app, client, demo, clerk, zhang_unit, citizen_headers
):
    zhang = citizen_headers("zhang")
    cert = valid_cert(zhang_unit)
    client.post(
        f"/api/v1/staff/certificates/{cert.id}/cancel", json={"reason": "注销"}, headers=clerk
    )
    [alert] = alerts_of(demo, "zhang", "certificate_cancelled")
    response = client.post(f"{ALERTS}/{alert.id}/dispute", json={}, headers=zhang)
    assert response.status_code == 409 and response.get_json()["code"] == "alert_not_disputable"


# --- privacy ----------------------------------------------------------------------------------
def test_alerts_never_carry_full_names_or_id_numbers(
    app, client, demo, agency, clerk, zhang_unit, joint_unit, citizen_headers
):
    for key in ("zhang", "li", "zhao"):
        citizen_headers(key)
    item = file(client, agency, transfer_body(demo, zhang_unit))
    confirm_all(client, citizen_headers, item["id"], ["zhang", "zhao"])
    register_transfer(client, clerk, item["id"])
    joint = valid_cert(joint_unit)
    client.post(
        f"/api/v1/staff/certificates/{joint.id}/encumbrances",
        json={"kind": "objection", "holder": "钱多多", "reason": "异议"},
        headers=clerk,
    )
    client.post(
        f"/api/v1/staff/certificates/{joint.id}/supersede", json={"reason": "换证"}, headers=clerk
    )
    everything = []
    for key in ("zhang", "li", "zhao"):
        everything.append(
            json.dumps(
                client.get(ALERTS, headers=citizen_headers(key)).get_json(), ensure_ascii=False
            )
        )
    for row in db.session.execute(select(NotificationOutbox)).scalars():
        everything.append(json.dumps(row.data, ensure_ascii=False))
    text = "\n".join(everything)
    assert text.count('"kind": "application_registered"') == 2  # seller and buyer
    for c in demo["citizens"]:
        assert c["name"] not in text, c["name"]
        assert c["id_number"] not in text
    assert "钱多多" not in text


# --- WeChat delivery --------------------------------------------------------------------------
def test_wechat_message_sent_once_through_the_outbox(
    app, client, demo, clerk, zhang_unit, citizen_headers, fake_wechat
):
    from miniapp_api.outbox import DeliveryPolicy, deliver_pending

    citizen_headers("zhang")
    cert = valid_cert(zhang_unit)
    client.post(
        f"/api/v1/staff/certificates/{cert.id}/encumbrances",
        json={"kind": "mortgage", "holder": BANK, "reason": "抵押"},
        headers=clerk,
    )
    policy = DeliveryPolicy(lease_seconds=60, max_attempts=3, backoff_base=30, backoff_cap=600)
    assert deliver_pending(policy).sent == 1
    assert deliver_pending(policy).sent == 0
    [message] = fake_wechat.messages
    [alert] = alerts_of(demo, "zhang")
    assert message["touser"] == citizen(demo, "zhang")["openid"]
    assert message["template_id"] == "tmpl-property-alert"
    assert message["url"].endswith(f"/app/alerts.html?id={alert.id}")
    assert BANK in message["data"]["remark"]


# --- the monthly digest -----------------------------------------------------------------------
def test_digest_counts_match_the_audit_log(app, client, demo, zhang_unit, citizen_headers):
    from miniapp_api.alerts.digest import CHANNELS, digest_for, month_bounds, send_digest
    from miniapp_api.alerts.raising import CHINA_TZ

    citizen_headers("zhang")
    citizen_headers("li")
    cert = valid_cert(zhang_unit)
    doc = db.session.execute(
        select(IssuedDocument).where(IssuedDocument.certificate_id == cert.id)
    ).scalar_one()
    for _ in range(3):
        assert client.get(f"/api/v1/verify/{doc.token}").status_code == 200
    client.get(f"/v/{doc.token}")
    for _ in range(2):
        client.post(
            "/api/v1/verify/by-number",
            json={"certificate_number": cert.number, "print_serial": cert.print_serial},
        )
    client.post(
        "/api/v1/partner/verify", json={"tokens": [doc.token]}, headers=partner_headers("bank")
    )
    photo = documents.qr_png(documents.document_url(doc), scale=5)
    answer = client.post(
        "/api/v1/verify/image",
        data={"image": (io.BytesIO(photo), "photo.png")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200, answer.get_json()
    month = datetime.now(CHINA_TZ).strftime("%Y-%m")
    zhang_id = citizen(demo, "zhang")["person_id"]
    content = digest_for(zhang_id, month)
    mine = next(d for d in content["documents"] if d["document_id"] == doc.document_id.hex())
    # The same counts straight from the audit log.
    start, end = month_bounds(month)
    expected = dict.fromkeys(("qr_scan", "number", "photo", "partner"), 0)
    for row in db.session.execute(
        select(AuditEvent).where(
            AuditEvent.action == "verification.check",
            AuditEvent.object_id == doc.document_id.hex(),
            AuditEvent.at >= start,
            AuditEvent.at < end,
        )
    ).scalars():
        expected[CHANNELS[row.detail["channel"]]] += 1
    assert mine["by_channel"] == expected
    assert expected == {"qr_scan": 4, "number": 2, "photo": 1, "partner": 1}
    # One message per subscribed holder, once per month.
    result = send_digest(month)
    db.session.commit()
    assert result["sent"] == result["holders"] >= 2
    assert send_digest(month)["sent"] == 0
    [digest] = alerts_of(demo, "zhang", "monthly_digest")
    assert digest.detail["total"] == content["total"]
    assert content["total"] == 8
    assert "共被核验8次" in digest.body and "扫码4次，输号2次，拍照1次，合作机构1次" in digest.body
    # Nothing says who checked.
    assert "client" not in json.dumps(digest.detail)


def test_digest_skips_holders_who_switched_everything_off(
    app, client, demo, zhang_unit, citizen_headers
):
    from miniapp_api.alerts.digest import send_digest

    headers = citizen_headers("zhao")  # bound, holds nothing
    assert client.get(SETTINGS, headers=headers).get_json()["items"] == []
    send_digest("2026-10")
    db.session.commit()
    assert alerts_of(demo, "zhao") == []


def test_digest_command(app, demo, citizen_headers):
    citizen_headers("zhang")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["alerts-digest", "--month", "2026-10"])
    assert result.exit_code == 0, result.output
    assert "sent=1" in result.output
    [digest] = alerts_of(demo, "zhang", "monthly_digest")
    assert digest.title.startswith("2026年10月")
    assert runner.invoke(args=["alerts-digest", "--month", "2026-10"]).output.endswith("sent=0\n")
    assert runner.invoke(args=["alerts-digest", "--month", "October"]).exit_code != 0


# --- demo -------------------------------------------------------------------------------------
def test_demo_citizen_has_alerts_of_every_kind(app):
    from miniapp_api.demo.alerts import demo_section, seed_alerts
    from miniapp_api.demo.applications import seed_applications
    from miniapp_api.models.alerts import ALERT_KINDS

    seed_applications()
    db.session.commit()
    assert seed_alerts() > 0
    db.session.commit()
    section = demo_section()["alerts"]
    assert section["citizen"] == "sun"
    assert set(section["by_kind"]) == set(ALERT_KINDS)
    assert section["disputable_alert_id"]
    assert seed_alerts() == 0


def test_window_filing_alerts_and_an_ended_application_cannot_be_held(
    app, client, demo, clerk, zhang_unit, citizen_headers
):
    zhang = citizen_headers("zhang")
    # Filed at the window (any channel alerts); the filer is the window.
    response = client.post(
        "/api/v1/staff/applications", json=mortgage_body(demo, zhang_unit), headers=clerk
    )
    assert response.status_code == 201, response.get_json()
    item_id = response.get_json()["id"]
    [filed] = alerts_of(demo, "zhang", "application_filed")
    assert filed.detail["application"]["filer"] == "汨罗市不动产登记中心窗口"
    confirm_all(client, citizen_headers, item_id, ["zhang"])
    assert staff_post(client, clerk, item_id, "accept").status_code == 200
    # After an alert about an application that has ended, there is nothing left to hold.
    [accepted] = alerts_of(demo, "zhang", "application_accepted")
    rejected = staff_post(client, clerk, item_id, "reject", reason="材料不全")
    assert rejected.status_code == 200, rejected.get_json()
    refused = client.post(f"{ALERTS}/{accepted.id}/dispute", json={}, headers=zhang)
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "application_not_disputable"


def test_bank_mortgage_registered_names_the_bank(
    app, client, demo, bank, clerk, zhang_unit, citizen_headers
):
    citizen_headers("zhang")
    item = file(client, bank, mortgage_body(demo, zhang_unit))
    confirm_all(client, citizen_headers, item["id"], ["zhang"])
    assert staff_post(client, clerk, item["id"], "accept").status_code == 200
    assert staff_post(client, clerk, item["id"], "advance", stage="reviewed").status_code == 200
    assert staff_post(client, clerk, item["id"], "advance", stage="registered").status_code == 200
    [alert] = alerts_of(demo, "zhang", "application_registered")
    assert alert.detail["effect"] == f"已设立抵押权，抵押权人：{BANK}。"
    # 登簿 raises one alert: the mortgage it adds is not announced a second time.
    assert alerts_of(demo, "zhang", "encumbrance_added") == []


def test_digest_month_is_a_beijing_calendar_month():
    from datetime import UTC, date

    from miniapp_api.alerts.digest import month_bounds, previous_month

    start, end = month_bounds("2026-12")
    assert start == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 2026-12-01 00:00 Beijing
    assert end == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert previous_month(date(2026, 1, 1)) == "2025-12"
    assert previous_month(date(2026, 12, 1)) == "2026-11"


def test_disputing_twice_at_once_makes_one_hold(
    app, client, demo, agency, zhang_unit, citizen_headers
):
    import threading

    from miniapp_api.models import ApplicationHold

    zhang = citizen_headers("zhang")
    file(client, agency, transfer_body(demo, zhang_unit))
    [alert] = alerts_of(demo, "zhang", "application_filed")
    db.session.commit()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def dispute() -> None:
        with app.app_context(), app.test_client() as c:
            barrier.wait(5)
            statuses.append(
                c.post(f"{ALERTS}/{alert.id}/dispute", json={}, headers=zhang).status_code
            )

    threads = [threading.Thread(target=dispute) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) in ([200, 201], [201, 201])
    db.session.expire_all()
    assert db.session.execute(select(func.count(ApplicationHold.id))).scalar_one() == 1
