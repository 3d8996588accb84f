"""水电气联动过户: opting in, the check and transfer steps per service, arrears shown to both
parties, isolation between utilities, duplicate answers, and the whole path."""

from __future__ import annotations

import csv
import io

import pytest
from applications_support import citizen, mortgage_body, partner_headers, sole_unit, staff_post
from sqlalchemy import select
from utilities_support import (
    TASKS,
    URL,
    accept,
    assert_no_id_numbers,
    file_transfer,
    my_application,
    pending,
    register,
    states,
    utility_answer,
    utility_get,
    utility_headers,
)

from miniapp_api.clock import china_today
from miniapp_api.extensions import db
from miniapp_api.models import NotificationOutbox, UtilityTask

ALL = [
    {"service": "water", "account_number": "W0012345"},
    {"service": "power", "account_number": "P20260001"},
    {"service": "gas"},
]


@pytest.fixture
def agency(app):
    return partner_headers("agency")


@pytest.fixture
def clerk(staff_headers):
    return staff_headers("clerk")


@pytest.fixture
def utilities(app):
    return {s: utility_headers(s) for s in ("water", "power", "gas")}


@pytest.fixture
def unit(app, demo):
    return sole_unit(citizen(demo, "zhang")["person_id"])


@pytest.fixture
def filed(client, demo, agency, unit, citizen_headers):
    return file_transfer(client, demo, agency, unit, citizen_headers, ALL)


# --- opting in and changing -----------------------------------------------------------------------
def test_filing_with_utilities_shows_each_service_waiting(filed):
    assert [u["service"] for u in filed["utilities"]] == ["water", "power", "gas"]
    assert states(filed) == {"water": "待核验", "power": "待核验", "gas": "待核验"}
    assert filed["utilities"][0]["account_number"] == "W0012345"
    assert filed["utilities"][2]["account_number"] is None


def test_no_task_before_acceptance(client, demo, filed, utilities):
    for headers in utilities.values():
        assert pending(client, demo, headers) == []


def test_utilities_go_with_transfers_only(client, demo, unit, citizen_headers):
    bank = partner_headers("bank")
    body = mortgage_body(demo, unit)
    body["utilities"] = [{"service": "water"}]
    response = client.post(URL, json=body, headers=bank)
    assert response.status_code == 422
    assert "utilities" in response.get_json()["errors"]


def test_one_choice_per_service(client, demo, agency, unit, citizen_headers):
    from applications_support import transfer_body

    body = transfer_body(demo, unit)
    body["utilities"] = [{"service": "water"}, {"service": "water", "account_number": "1"}]
    response = client.post(URL, json=body, headers=agency)
    assert response.status_code == 422
    assert response.get_json()["errors"]["utilities"]


def test_change_choice_until_registration(
    client, demo, agency, clerk, citizen_headers, unit, utilities
):
    created = file_transfer(
        client, demo, agency, unit, citizen_headers, [{"service": "water", "account_number": "W1"}]
    )
    app_id = created["id"]
    changed = client.put(
        f"{URL}/{app_id}/utilities",
        json={"utilities": [{"service": "water", "account_number": "W1"}, {"service": "power"}]},
        headers=agency,
    )
    assert changed.status_code == 200, changed.get_json()
    assert [u["service"] for u in changed.get_json()["utilities"]] == ["water", "power"]
    accept(client, clerk, citizen_headers, app_id)
    assert len(pending(client, demo, utilities["power"])) == 1
    # After acceptance: drop power (its check is cancelled), add gas (checked at once),
    # change water's old account (checked again with the new number).
    changed = client.put(
        f"/api/v1/staff/applications/{app_id}/utilities",
        json={
            "utilities": [
                {"service": "water", "account_number": "W2"},
                {"service": "gas", "account_number": "G1"},
            ]
        },
        headers=clerk,
    )
    assert changed.status_code == 200, changed.get_json()
    assert pending(client, demo, utilities["power"]) == []
    gas = pending(client, demo, utilities["gas"])
    assert [(t["step"], t["old_account_number"]) for t in gas] == [("check", "G1")]
    water = pending(client, demo, utilities["water"])
    assert [t["old_account_number"] for t in water] == ["W2"]
    cancelled = utility_get(client, demo, utilities["power"], f"{TASKS}?status=cancelled")
    assert len(cancelled.get_json()["items"]) == 1
    register(client, clerk, app_id)
    locked = client.put(
        f"{URL}/{app_id}/utilities", json={"utilities": [{"service": "water"}]}, headers=agency
    )
    assert locked.status_code == 409
    assert locked.get_json()["code"] == "utilities_locked"
    assert {t["service"] for t in pending(client, demo, utilities["gas"], "transfer")} == {"gas"}
    assert pending(client, demo, utilities["power"], "transfer") == []


def test_the_buyer_chooses_the_seller_cannot(client, demo, agency, unit, citizen_headers):
    created = file_transfer(client, demo, agency, unit, citizen_headers, None)
    assert created["utilities"] == []
    path = f"/api/v1/me/applications/{created['id']}/utilities"
    body = {"utilities": [{"service": "gas", "account_number": "G9"}]}
    seller = client.put(path, json=body, headers=citizen_headers("zhang"))
    assert seller.status_code == 403 and seller.get_json()["code"] == "obligee_only"
    buyer = client.put(path, json=body, headers=citizen_headers("zhao"))
    assert buyer.status_code == 200, buyer.get_json()
    assert states(buyer.get_json()) == {"gas": "待核验"}
    other = client.put(path, json=body, headers=citizen_headers("wang"))
    assert other.status_code == 404


# --- both steps for each service ------------------------------------------------------------------
@pytest.mark.parametrize("service", ["water", "power", "gas"])
def test_check_then_transfer(
    client, demo, agency, clerk, citizen_headers, unit, utilities, service
):
    created = file_transfer(
        client, demo, agency, unit, citizen_headers, [{"service": service, "account_number": "A1"}]
    )
    app_id = created["id"]
    accept(client, clerk, citizen_headers, app_id)
    [task] = pending(client, demo, utilities[service])
    assert task["step"] == "check" and task["service"] == service
    assert task["address"] == unit.location and task["unit_number"] == unit.unit_number
    assert task["old_holders"] == [citizen(demo, "zhang")["name"]]
    assert task["new_holders"] == [citizen(demo, "zhao")["name"]]
    assert task["contact_phones"] == ["13900001111"]
    assert task["old_account_number"] == "A1"
    ok = utility_answer(client, demo, utilities[service], task["id"], result="ok")
    assert ok.status_code == 200 and ok.get_json()["answer"]["result"] == "ok"
    assert states(my_application(client, citizen_headers, "zhao", app_id)) == {service: "可过户"}
    register(client, clerk, app_id)
    [transfer] = pending(client, demo, utilities[service], "transfer")
    done = utility_answer(
        client, demo, utilities[service], transfer["id"], result="completed", account_number="N77"
    )
    assert done.status_code == 200, done.get_json()
    mine = my_application(client, citizen_headers, "zhao", app_id)
    assert states(mine) == {service: "已过户 新户号 N77"}
    labels = [item["label"] for item in mine["timeline"]]
    assert any(label.endswith("已过户 新户号 N77") for label in labels)
    messages = db.session.execute(
        select(NotificationOutbox).where(NotificationOutbox.dedupe_key.like("utility:%"))
    ).scalars()
    assert [m.openid for m in messages] == [citizen(demo, "zhao")["openid"]]


def test_failed_transfer_shows_the_reason_and_tells_the_buyer(
    client, demo, filed, clerk, citizen_headers, utilities
):
    accept(client, clerk, citizen_headers, filed["id"])
    register(client, clerk, filed["id"])
    [task] = pending(client, demo, utilities["gas"], "transfer")
    failed = utility_answer(
        client, demo, utilities["gas"], task["id"], result="failed", reason="户号与地址不符"
    )
    assert failed.status_code == 200
    assert states(my_application(client, citizen_headers, "zhao", filed["id"]))["gas"] == (
        "失败 户号与地址不符"
    )
    message = db.session.execute(
        select(NotificationOutbox).where(NotificationOutbox.dedupe_key.like("utility:%"))
    ).scalar_one()
    assert message.openid == citizen(demo, "zhao")["openid"]
    assert "户号与地址不符" in message.data["remark"]


def test_arrears_are_shown_to_both_parties_and_never_block(
    client, demo, filed, clerk, citizen_headers, utilities
):
    accept(client, clerk, citizen_headers, filed["id"])
    [task] = pending(client, demo, utilities["power"])
    arrears = utility_answer(
        client,
        demo,
        utilities["power"],
        task["id"],
        result="arrears",
        amount_due="236.4",
        reason="10—11月电费未缴",
    )
    assert arrears.status_code == 200, arrears.get_json()
    assert arrears.get_json()["answer"]["amount_due"] == "236.40"
    for key in ("zhang", "zhao"):
        power = next(
            u
            for u in my_application(client, citizen_headers, key, filed["id"])["utilities"]
            if u["service"] == "power"
        )
        assert power["state"] == "arrears"
        assert power["state_label"] == "有欠费 ¥236.40（10—11月电费未缴）"
        assert power["amount_due"] == "236.40"
    seller_message = db.session.execute(
        select(NotificationOutbox).where(NotificationOutbox.dedupe_key.like("utility:%"))
    ).scalar_one()
    assert seller_message.openid == citizen(demo, "zhang")["openid"]
    # Registration goes ahead regardless; the transfer task is created all the same.
    register(client, clerk, filed["id"])
    assert len(pending(client, demo, utilities["power"], "transfer")) == 1


def test_answers_are_checked_against_the_step(
    client, demo, filed, clerk, citizen_headers, utilities
):
    accept(client, clerk, citizen_headers, filed["id"])
    [task] = pending(client, demo, utilities["water"])
    wrong = utility_answer(
        client, demo, utilities["water"], task["id"], result="completed", account_number="X"
    )
    assert wrong.status_code == 422 and "result" in wrong.get_json()["errors"]
    incomplete = utility_answer(client, demo, utilities["water"], task["id"], result="arrears")
    assert incomplete.status_code == 422
    assert set(incomplete.get_json()["errors"]) == {"amount_due", "reason"}


# --- isolation and minimum data -------------------------------------------------------------------
def test_a_utility_sees_only_its_own_service(
    client, demo, filed, clerk, citizen_headers, utilities
):
    accept(client, clerk, citizen_headers, filed["id"])
    water = pending(client, demo, utilities["water"])
    power = pending(client, demo, utilities["power"])
    assert {t["service"] for t in water} == {"water"} and len(water) == 1
    assert {t["service"] for t in power} == {"power"} and len(power) == 1
    everything = utility_get(client, demo, utilities["water"], f"{TASKS}?status=all")
    assert {t["service"] for t in everything.get_json()["items"]} == {"water"}
    other = utility_get(client, demo, utilities["water"], f"{TASKS}/{power[0]['id']}")
    assert other.status_code == 404
    answer = utility_answer(client, demo, utilities["water"], power[0]["id"], result="ok")
    assert answer.status_code == 404
    mine = utility_get(client, demo, utilities["water"], f"{TASKS}/{water[0]['id']}")
    assert mine.status_code == 200
    # Applications, materials and the webhook log of the filer stay out of reach.
    assert client.get(f"{URL}/{filed['id']}", headers=utilities["water"]).status_code == 404


def test_other_partners_cannot_use_the_task_api(client, agency):
    response = client.get(TASKS, headers=agency)
    assert response.status_code == 403
    assert response.get_json()["code"] == "utility_partner_required"


def test_create_partner_needs_a_service_for_utilities(app):
    from miniapp_api.partners.service import create_partner

    with pytest.raises(ValueError):
        create_partner("无服务的公司", "utility")
    with pytest.raises(ValueError):
        create_partner("银行带服务", "bank", service="water")
    partner, _key = create_partner("汨罗市燃气公司", "utility", service="gas")
    assert partner.service == "gas"


def test_create_partner_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-partner", "汨罗市自来水公司", "--kind", "utility", "--service", "water"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("bdcp_")
    refused = runner.invoke(args=["create-partner", "某公司", "--kind", "utility"])
    assert refused.exit_code != 0


# --- duplicate answers ----------------------------------------------------------------------------
def test_duplicate_answer_is_idempotent_and_a_different_one_is_409(
    client, demo, filed, clerk, citizen_headers, utilities
):
    accept(client, clerk, citizen_headers, filed["id"])
    [task] = pending(client, demo, utilities["water"])
    first = utility_answer(client, demo, utilities["water"], task["id"], result="ok")
    again = utility_answer(client, demo, utilities["water"], task["id"], result="ok")
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    different = utility_answer(
        client, demo, utilities["water"], task["id"], result="arrears", amount_due="1", reason="x"
    )
    assert different.status_code == 409
    assert different.get_json()["code"] == "utility_task_already_answered"
    row = db.session.get(UtilityTask, task["id"])
    assert row.result == "ok" and row.amount_due is None


def test_idempotency_key_replays_the_first_answer(
    client, demo, filed, clerk, citizen_headers, utilities
):
    accept(client, clerk, citizen_headers, filed["id"])
    [task] = pending(client, demo, utilities["gas"])
    headers = {**utilities["gas"], "Idempotency-Key": "gas-answer-1"}
    path = f"{TASKS}/{task['id']}/answer"
    first = client.post(path, json={"result": "ok"}, headers=headers)
    replay = client.post(path, json={"result": "ok"}, headers=headers)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json() == first.get_json()
    reused = client.post(path, json={"result": "arrears"}, headers=headers)
    assert reused.status_code == 422 and reused.get_json()["code"] == "idempotency_key_reused"


def test_withdrawal_cancels_pending_tasks(
    client, demo, filed, agency, clerk, citizen_headers, utilities
):
    accept(client, clerk, citizen_headers, filed["id"])
    assert client.post(f"{URL}/{filed['id']}/withdraw", headers=agency).status_code == 200
    for headers in utilities.values():
        assert pending(client, demo, headers) == []
    [task] = utility_get(client, demo, utilities["water"], f"{TASKS}?status=cancelled").get_json()[
        "items"
    ]
    late = utility_answer(client, demo, utilities["water"], task["id"], result="ok")
    assert late.status_code == 409 and late.get_json()["code"] == "utility_task_cancelled"


def test_accepting_again_after_a_correction_makes_no_second_check(
    client, demo, filed, agency, clerk, citizen_headers, utilities
):
    accept(client, clerk, citizen_headers, filed["id"])
    staff_post(client, clerk, filed["id"], "correction", reason="缺少完税凭证")
    assert client.post(f"{URL}/{filed['id']}/resubmit", headers=agency).status_code == 200
    assert len(pending(client, demo, utilities["water"])) == 1


# --- the whole path, figures and export -----------------------------------------------------------
def test_whole_path_three_completed_transfers(
    client, demo, filed, clerk, citizen_headers, utilities
):
    app_id = filed["id"]
    accept(client, clerk, citizen_headers, app_id)
    for headers in utilities.values():
        [task] = pending(client, demo, headers, "check")
        assert utility_answer(client, demo, headers, task["id"], result="ok").status_code == 200
    register(client, clerk, app_id)
    for service, headers in utilities.items():
        [task] = pending(client, demo, headers, "transfer")
        done = utility_answer(
            client, demo, headers, task["id"], result="completed", account_number=f"NEW-{service}"
        )
        assert done.status_code == 200, done.get_json()
    assert staff_post(client, clerk, app_id, "advance", stage="certified").status_code == 200
    assert staff_post(client, clerk, app_id, "advance", stage="completed").status_code == 200
    for key in ("zhao", "zhang"):
        mine = my_application(client, citizen_headers, key, app_id)
        assert mine["status"] == "completed"
        assert states(mine) == {
            "water": "已过户 新户号 NEW-water",
            "power": "已过户 新户号 NEW-power",
            "gas": "已过户 新户号 NEW-gas",
        }
    today = china_today().isoformat()  # the report's days are China's
    stats = client.get(f"/api/v1/stats/applications?from=2026-01-01&to={today}").get_json()
    for service in ("water", "power", "gas"):
        assert stats["utility_transfers"][service] == {
            "requested": 1,
            "completed": 1,
            "median_working_days": 0.0,
        }
    export = client.get(
        f"/api/v1/staff/applications/export.csv?from=2026-01-01&to={today}", headers=clerk
    )
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][-1] == "水电气联动过户"
    assert rows[1][-1] == (
        "水:已过户 新户号 NEW-water; 电:已过户 新户号 NEW-power; 燃气:已过户 新户号 NEW-gas"
    )
    messages = db.session.execute(
        select(NotificationOutbox.dedupe_key).where(NotificationOutbox.dedupe_key.like("utility:%"))
    ).scalars()
    assert len(list(messages)) == 3  # one per completed transfer, to the buyer


def test_openapi_documents_the_utility_api(client):
    spec = client.get("/api/openapi.json").get_json()
    paths = spec["paths"]
    assert "/api/v1/partner/utility-tasks" in paths
    assert "/api/v1/partner/utility-tasks/{task_id}/answer" in paths
    assert "/api/v1/staff/utility-tasks" in paths
    schemas = spec["components"]["schemas"]
    assert "id_number" not in schemas["UtilityTask"]["properties"]
    assert_no_id_numbers(schemas["UtilityTask"], {"citizens": []})


def test_the_id_number_check_can_fail(demo):
    number = citizen(demo, "zhao")["id_number"]
    for body in (
        {"id_number": None},
        {"x": number},
        {"x": number[:6] + "********" + number[-4:]},
        {"x": f"证件 {number[:6]}********123X"},
    ):
        with pytest.raises(AssertionError):
            assert_no_id_numbers(body, demo)
    assert_no_id_numbers({"phone": "13900001111", "unit": "430681001001GB00001F00010001"}, demo)


def test_requested_figures_follow_changes_and_match_a_rebuild(client, demo, filed, agency, clerk):
    from miniapp_api.utilities import rollup

    today = china_today().isoformat()  # the report's days are China's
    path = f"/api/v1/stats/applications?from=2026-01-01&to={today}"

    def requested():
        figures = client.get(path).get_json()["utility_transfers"]
        return {s: f["requested"] for s, f in figures.items()}

    assert requested() == {"water": 1, "power": 1, "gas": 1}
    changed = client.put(
        f"{URL}/{filed['id']}/utilities", json={"utilities": [{"service": "gas"}]}, headers=agency
    )
    assert changed.status_code == 200
    assert requested() == {"water": 0, "power": 0, "gas": 1}
    incremental = requested()
    rollup.rebuild()
    db.session.commit()
    assert requested() == incremental
    assert client.get("/api/v1/stats/applications?from=2025-01-01&to=2025-12-31").get_json()[
        "utility_transfers"
    ]["gas"] == {"requested": 0, "completed": 0, "median_working_days": None}
