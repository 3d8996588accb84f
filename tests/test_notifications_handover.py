"""交房即交证 WeChat messages: subscriptions, the outbox, and at-most-once delivery."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from miniapp_api import outbox
from miniapp_api.extensions import db
from miniapp_api.models import HandoverCase, HousingProject, NotificationOutbox
from miniapp_api.outbox import DeliveryPolicy, deliver_pending, drain

CASES = "/api/v1/staff/handover/cases"
SUBSCRIPTIONS = "/api/v1/me/handover/subscriptions"
GOOD_CSV = (Path(__file__).parent / "data" / "handover_good.csv").read_bytes()


@pytest.fixture
def config_overrides(wechat_config: dict[str, Any]) -> dict[str, Any]:
    return {**wechat_config, "WECHAT_TEMPLATE_HANDOVER": "tmpl-handover-progress"}


@pytest.fixture(autouse=True)
def _fresh_fake(fake_wechat: Any) -> None:
    fake_wechat.reset()


def chen_case_id(client, citizen_headers) -> int:
    return client.get("/api/v1/me/handover", headers=citizen_headers("chen")).get_json()["items"][
        0
    ]["id"]


def subscribe(client, headers, case_id: int):
    return client.post(SUBSCRIPTIONS, json={"case_id": case_id}, headers=headers)


def move(client, headers, case_id: int, stage: str, **extra: Any):
    version = client.get(f"{CASES}/{case_id}", headers=headers).get_json()["version"]
    return client.post(
        f"{CASES}/{case_id}/advance",
        json={"stage": stage, "version": version, **extra},
        headers=headers,
    )


def outbox_rows() -> list[NotificationOutbox]:
    db.session.expire_all()
    return list(
        db.session.execute(select(NotificationOutbox).order_by(NotificationOutbox.id)).scalars()
    )


FAST = DeliveryPolicy(lease_seconds=60, max_attempts=3, backoff_base=30, backoff_cap=600)


# --- subscriptions -----------------------------------------------------------------------------
def test_subscribe_to_own_case(client, citizen_headers):
    headers = citizen_headers("chen")
    case_id = chen_case_id(client, citizen_headers)
    first = subscribe(client, headers, case_id)
    assert first.status_code == 201
    assert first.get_json()["subscribed"] is True
    assert subscribe(client, headers, case_id).status_code == 200  # idempotent
    view = client.get(f"/api/v1/me/handover/{case_id}", headers=headers).get_json()
    assert view["subscribed"] is True


def test_cannot_subscribe_to_anothers_case(client, citizen_headers):
    case_id = chen_case_id(client, citizen_headers)
    response = subscribe(client, citizen_headers("zhou"), case_id)
    assert response.status_code == 404
    assert response.get_json()["code"] == "case_not_found"


def test_unsubscribe_stops_messages(client, citizen_headers, staff_headers):
    headers = citizen_headers("chen")
    case_id = chen_case_id(client, citizen_headers)
    subscribe(client, headers, case_id)
    assert client.delete(f"{SUBSCRIPTIONS}/{case_id}", headers=headers).status_code == 204
    assert client.delete(f"{SUBSCRIPTIONS}/{case_id}", headers=headers).status_code == 204
    assert (
        client.get(f"/api/v1/me/handover/{case_id}", headers=headers).get_json()["subscribed"]
        is False
    )
    move(client, staff_headers("clerk"), case_id, "transfer_application")
    assert outbox_rows() == []


def test_unsubscribe_with_body(client, citizen_headers):
    headers = citizen_headers("chen")
    case_id = chen_case_id(client, citizen_headers)
    subscribe(client, headers, case_id)
    response = client.delete(SUBSCRIPTIONS, json={"case_id": case_id}, headers=headers)
    assert response.status_code == 204


# --- the outbox is written with the change -----------------------------------------------------
def test_stage_change_queues_one_message_per_subscriber(client, citizen_headers, staff_headers):
    case_id = chen_case_id(client, citizen_headers)
    subscribe(client, citizen_headers("chen"), case_id)
    assert move(client, staff_headers("clerk"), case_id, "transfer_application").status_code == 200
    [row] = outbox_rows()
    assert row.openid == "o_demo_chenhao"
    assert row.template_id == "tmpl-handover-progress"
    assert row.url == f"https://bdc.example.gov.cn/app/handover.html?case={case_id}"
    assert set(row.data) == {"first", "keyword1", "keyword2", "keyword3", "remark"}
    assert row.data["keyword1"].startswith("友阿悦玺")
    assert row.data["keyword2"] == "转移登记受理"
    assert row.sent_at is None and row.attempts == 0
    assert row.dedupe_key == f"case:{case_id}:v2:a{_account_id('o_demo_chenhao')}"


def _account_id(openid: str) -> int:
    from miniapp_api.models import WechatAccount

    return db.session.execute(
        select(WechatAccount.id).where(WechatAccount.openid == openid)
    ).scalar_one()


def test_refused_change_queues_nothing(client, citizen_headers, staff_headers):
    case_id = chen_case_id(client, citizen_headers)
    subscribe(client, citizen_headers("chen"), case_id)
    response = client.post(
        f"{CASES}/{case_id}/advance",
        json={"stage": "transfer_application", "version": 99},
        headers=staff_headers("clerk"),
    )
    assert response.status_code == 409
    assert outbox_rows() == []


def test_blockers_queue_messages(client, citizen_headers, staff_headers):
    case_id = chen_case_id(client, citizen_headers)
    subscribe(client, citizen_headers("chen"), case_id)
    project_id = db.session.get(HandoverCase, case_id).project_id
    headers = staff_headers("clerk")
    blocker = client.post(
        f"/api/v1/staff/handover/projects/{project_id}/blockers",
        json={"kind": "court_seizure", "authority": "汨罗市人民法院", "reason": "查封开发企业财产"},
        headers=headers,
    ).get_json()
    client.post(
        f"/api/v1/staff/handover/blockers/{blocker['id']}/resolve",
        json={"resolution": "已解除查封"},
        headers=headers,
    )
    rows = outbox_rows()
    assert [r.data["keyword2"] for r in rows] == ["待处理：司法查封", "已解除：司法查封"]
    assert "汨罗市人民法院" in rows[0].data["remark"]


def test_project_stage_change_notifies_the_projects_subscribers(
    client, citizen_headers, staff_headers
):
    case_id = chen_case_id(client, citizen_headers)
    subscribe(client, citizen_headers("chen"), case_id)
    project = db.session.get(HandoverCase, case_id).project
    other = HousingProject(name="无关项目", developer="某公司", location="某地", stage=None)
    db.session.add(other)
    db.session.commit()
    # a change in another project reaches nobody here
    client.post(
        f"/api/v1/staff/handover/projects/{other.id}/advance",
        json={"stage": "land_first_registration", "version": 1},
        headers=staff_headers("clerk"),
    )
    assert outbox_rows() == []
    assert project.stage == "developer_first_registration"


# --- delivery ----------------------------------------------------------------------------------
def queue_messages(client, citizen_headers, staff_headers, n: int = 1) -> int:
    """Subscribe chen and produce `n` messages about his case (blocker opened/resolved...)."""
    case_id = chen_case_id(client, citizen_headers)
    subscribe(client, citizen_headers("chen"), case_id)
    project_id = db.session.get(HandoverCase, case_id).project_id
    headers = staff_headers("clerk")
    for i in range(n):
        client.post(
            f"/api/v1/staff/handover/projects/{project_id}/blockers",
            json={"kind": "other", "authority": "住建局", "reason": f"事项{i}", "case_id": case_id},
            headers=headers,
        )
    return case_id


def test_sender_delivers_once_and_marks_sent(
    app, client, citizen_headers, staff_headers, fake_wechat
):
    queue_messages(client, citizen_headers, staff_headers)
    result = deliver_pending(FAST)
    assert result.sent == 1
    [message] = fake_wechat.messages
    assert message["touser"] == "o_demo_chenhao"
    assert message["template_id"] == "tmpl-handover-progress"
    assert message["url"].endswith(
        "/app/handover.html?case=" + str(chen_case_id(client, citizen_headers))
    )
    assert message["data"]["keyword2"] == "待处理：其他"
    [row] = outbox_rows()
    assert row.sent_at is not None and row.msgid == str(message["msgid"])
    assert row.claimed_until is None and row.attempts == 1


def test_sender_running_twice_sends_nothing_twice(
    app, client, citizen_headers, staff_headers, fake_wechat
):
    queue_messages(client, citizen_headers, staff_headers, n=3)
    assert deliver_pending(FAST).sent == 3
    assert deliver_pending(FAST).sent == 0
    assert len(fake_wechat.messages) == 3


def test_two_senders_at_once_send_each_message_once(
    app, client, citizen_headers, staff_headers, fake_wechat
):
    queue_messages(client, citizen_headers, staff_headers, n=6)
    db.session.remove()
    barrier = threading.Barrier(2)
    results: list[Any] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                results.append(deliver_pending(FAST))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.sent for r in results) == 6
    assert len(fake_wechat.messages) == 6
    assert len({m["data"]["remark"] for m in fake_wechat.messages}) == 6
    assert all(r.sent_at is not None for r in outbox_rows())


def test_crash_between_send_and_mark_never_sends_twice(
    app, client, citizen_headers, staff_headers, fake_wechat, monkeypatch
):
    queue_messages(client, citizen_headers, staff_headers)

    def crash(*_args: Any, **_kwargs: Any) -> None:
        raise SystemExit("sender killed after WeChat accepted the message")

    monkeypatch.setattr(outbox, "mark_sent", crash)
    with pytest.raises(SystemExit):
        deliver_pending(FAST)
    db.session.rollback()
    monkeypatch.undo()
    assert len(fake_wechat.messages) == 1
    # a restarted sender while the lease still runs: the row is in flight, nothing is sent
    assert deliver_pending(FAST).sent == 0
    # after the lease: the outcome is unknown, so the row is set aside, not resent
    later = datetime.now(UTC) + timedelta(seconds=FAST.lease_seconds + 1)
    result = deliver_pending(FAST, clock=lambda: later)
    assert result.sent == 0 and result.unknown == 1
    assert drain(FAST, clock=lambda: later + timedelta(hours=1)).sent == 0
    assert len(fake_wechat.messages) == 1
    [row] = outbox_rows()
    assert row.sent_at is None and row.failed_at is not None
    assert row.last_error.startswith("outcome_unknown")


def test_unknown_messages_are_listed_for_staff_review_and_requeued_by_admin(
    app, client, citizen_headers, staff_headers, fake_wechat, monkeypatch
):
    queue_messages(client, citizen_headers, staff_headers)
    monkeypatch.setattr(outbox, "mark_sent", lambda *a, **k: (_ for _ in ()).throw(OSError))
    with pytest.raises(OSError):
        deliver_pending(FAST)
    db.session.rollback()
    monkeypatch.undo()
    later = datetime.now(UTC) + timedelta(seconds=120)
    deliver_pending(FAST, clock=lambda: later)
    listed = client.get(
        "/api/v1/staff/handover/notifications", headers=staff_headers("clerk")
    ).get_json()
    [item] = listed["items"]
    assert item["state"] == "unknown"
    assert "openid" not in item
    url = f"/api/v1/staff/handover/notifications/{item['id']}/retry"
    assert client.post(url, headers=staff_headers("clerk")).status_code == 403
    requeued = client.post(url, headers=staff_headers("admin"))
    assert requeued.status_code == 200 and requeued.get_json()["state"] == "pending"
    assert deliver_pending(FAST).sent == 1
    assert len(fake_wechat.messages) == 2  # the second send is the admin's explicit decision


def test_retryable_error_backs_off_then_delivers(
    app, client, citizen_headers, staff_headers, fake_wechat
):
    queue_messages(client, citizen_headers, staff_headers)
    fake_wechat.fail_next_sends(1, errcode=-1)
    now = datetime.now(UTC)
    first = deliver_pending(FAST, clock=lambda: now)
    assert first.retried == 1 and first.sent == 0
    [row] = outbox_rows()
    assert row.attempts == 1 and row.claimed_until is None
    assert row.next_attempt_at >= now + timedelta(seconds=29)
    assert deliver_pending(FAST, clock=lambda: now + timedelta(seconds=5)).sent == 0
    assert deliver_pending(FAST, clock=lambda: now + timedelta(seconds=31)).sent == 1
    [row] = outbox_rows()
    assert row.attempts == 2 and row.sent_at is not None
    assert len(fake_wechat.messages) == 1


def test_backoff_is_exponential_and_capped():
    policy = DeliveryPolicy(backoff_base=30, backoff_cap=100)
    assert [policy.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_gives_up_after_max_attempts(app, client, citizen_headers, staff_headers, fake_wechat):
    queue_messages(client, citizen_headers, staff_headers)
    fake_wechat.fail_next_sends(5, errcode=-1)
    policy = DeliveryPolicy(max_attempts=3, backoff_base=0, backoff_cap=0)
    result = drain(policy)
    assert result.retried == 2 and result.failed == 1
    [row] = outbox_rows()
    assert row.attempts == 3 and row.failed_at is not None and row.sent_at is None
    assert "wechat_unavailable" in row.last_error
    assert fake_wechat.messages == []


def test_non_retryable_error_fails_at_once(
    app, client, citizen_headers, staff_headers, fake_wechat
):
    queue_messages(client, citizen_headers, staff_headers)
    fake_wechat.fail_next_sends(1, errcode=43004)
    result = drain(FAST)
    assert result.failed == 1 and result.retried == 0
    [row] = outbox_rows()
    assert row.attempts == 1 and "43004" in row.last_error


def test_cli_once_drains_the_outbox(app, client, citizen_headers, staff_headers, fake_wechat):
    queue_messages(client, citizen_headers, staff_headers, n=2)
    db.session.remove()
    result = app.test_cli_runner().invoke(args=["send-notifications", "--once"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["sent"] == 2
    assert len(fake_wechat.messages) == 2


def test_loop_stops_when_asked(app):
    rounds: list[float] = []
    outbox.run_loop(0.2, FAST, should_stop=lambda: len(rounds) >= 2, sleep=rounds.append)
    assert rounds  # it slept between empty rounds and then stopped


# --- end to end: contract filing to 交房即交证 with a message at every step --------------------
def test_end_to_end_from_contract_to_handover_with_wechat_messages(
    app, client, citizen_headers, staff_headers, fake_wechat
):
    clerk = staff_headers("clerk")
    imported = client.post(
        "/api/v1/staff/import/handover",
        data=GOOD_CSV,
        headers={**clerk, "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200
    zhao = citizen_headers("zhao")
    [case] = client.get("/api/v1/me/handover", headers=zhao).get_json()["items"]
    assert case["stage"] == "contract_filing"
    assert subscribe(client, zhao, case["id"]).status_code == 201
    project_id = case["project"]["id"]

    def project_step(stage: str, **extra: Any) -> None:
        version = client.get(f"/api/v1/handover/projects/{project_id}").get_json()["version"]
        response = client.post(
            f"/api/v1/staff/handover/projects/{project_id}/advance",
            json={"stage": stage, "version": version, **extra},
            headers=clerk,
        )
        assert response.status_code == 200, response.get_json()

    def deliver() -> list[dict[str, Any]]:
        before = len(fake_wechat.messages)
        drain(FAST)
        return fake_wechat.messages[before:]

    project_step("land_first_registration")
    assert len(deliver()) == 1
    project_step("construction_mortgage", skipped=True, note="无在建工程抵押")
    assert "跳过" in deliver()[0]["data"]["keyword2"]
    project_step("completion_survey")
    assert len(deliver()) == 1
    # the unit cannot pass 契税 before the developer's first registration
    for stage in ("advance_notice", "deed_tax"):
        assert move(client, clerk, case["id"], stage).status_code == 200
        [message] = deliver()
        assert message["touser"] == "o_demo_zhaomin"
    assert move(client, clerk, case["id"], "transfer_application").status_code == 409
    assert deliver() == []
    project_step("developer_first_registration")
    assert len(deliver()) == 1
    for stage, label in (
        ("transfer_application", "转移登记受理"),
        ("registered", "登簿"),
        ("certificate_issued", "缮证发证"),
        ("handed_over", "交房即交证"),
    ):
        response = move(client, clerk, case["id"], stage)
        assert response.status_code == 200, response.get_json()
        [message] = deliver()
        assert message["data"]["keyword2"] == label
        assert message["url"].endswith(f"/app/handover.html?case={case['id']}")
    view = client.get(f"/api/v1/me/handover/{case['id']}", headers=zhao).get_json()
    assert view["stage"] == "handed_over"
    assert all(t["status"] == "reached" for t in view["timeline"])
    assert view["certificate"]["verification_url"].startswith("https://bdc.example.gov.cn/v/")
    assert client.get(view["e_license"]["path"], headers=zhao).status_code == 200
    verify = client.get(
        view["certificate"]["verification_url"].replace("https://bdc.example.gov.cn", "")
    )
    assert verify.status_code == 200
    project = client.get(f"/api/v1/handover/projects/{project_id}").get_json()
    assert project["handover_reached"] is True
    assert db.session.execute(select(func.count(NotificationOutbox.id))).scalar_one() == len(
        fake_wechat.messages
    )
