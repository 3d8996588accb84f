"""Real-name binding: check digit, identity provider, one-to-one, rate limits, audit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from miniapp_api.auth.identity import IdentityCheck, IdentityProviderUnavailable
from miniapp_api.demo.citizens import synthetic_id
from miniapp_api.domain import pii
from miniapp_api.extensions import db
from miniapp_api.models import AuditEvent, Person, WechatAccount

IDENTITY = "/api/v1/me/identity"
ME = "/api/v1/me"


def citizen(demo: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in demo["citizens"] if c["key"] == key)


def bind(client: Any, headers: dict[str, str], name: str, id_number: str) -> Any:
    return client.post(IDENTITY, json={"name": name, "id_number": id_number}, headers=headers)


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code
    return body


def audit_results() -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.result)
            .where(AuditEvent.action == "identity.bind")
            .order_by(AuditEvent.id)
        )
    )


def test_binding_links_the_account_to_the_person(client, citizen_headers, demo):
    zhao = citizen(demo, "zhao")
    headers = citizen_headers("zhao", bound=False)
    response = bind(client, headers, zhao["name"], zhao["id_number"])
    assert response.status_code == 200
    assert response.get_json()["name"] == zhao["name"]
    account = db.session.execute(
        select(WechatAccount).where(WechatAccount.openid == zhao["openid"])
    ).scalar_one()
    assert account.person_id == zhao["person_id"]
    assert account.bound_at is not None
    assert audit_results() == ["ok"]


def test_bound_citizen_passes_citizen_required(app, client, citizen_headers, demo):
    zhao = citizen(demo, "zhao")
    headers = citizen_headers("zhao", bound=False)
    from miniapp_api.auth.guards import citizen_required

    @app.route("/_test/private")
    @citizen_required
    def private() -> dict[str, Any]:
        return {"ok": True}

    assert client.get("/_test/private", headers=headers).get_json()["code"] == "identity_not_bound"
    bind(client, headers, zhao["name"], zhao["id_number"])
    assert client.get("/_test/private", headers=headers).get_json() == {"ok": True}


def test_lowercase_x_and_spaces_are_accepted(client, citizen_headers, demo):
    # about one ID number in eleven ends in X: make one and add it as a registry person
    person_id, id_number = _person_with_x(demo)
    headers = citizen_headers("zhao", bound=False)
    response = bind(client, headers, " 测 试人 ", id_number.lower())
    assert response.status_code == 200, response.get_json()
    account = db.session.execute(
        select(WechatAccount).where(WechatAccount.openid == citizen(demo, "zhao")["openid"])
    ).scalar_one()
    assert account.person_id == person_id


def _person_with_x(demo: dict[str, Any]) -> tuple[int, str]:
    from miniapp_api.domain.masking import mask_id_number
    from miniapp_api.domain.validators import birth_date_of

    id_number = next(
        i for i in (synthetic_id("19010203", n) for n in range(1, 999)) if i.endswith("X")
    )
    person = Person(
        name="测试人",
        id_number_enc=pii.encrypt(id_number),
        id_number_hash=pii.id_number_hash(id_number),
        id_number_masked=mask_id_number(id_number),
        birth_date=birth_date_of(id_number),
        gender="M",
    )
    db.session.add(person)
    db.session.commit()
    return person.id, id_number


def test_bad_check_digit_is_a_field_error(client, citizen_headers, demo):
    zhao = citizen(demo, "zhao")
    wrong = zhao["id_number"][:17] + ("0" if zhao["id_number"][17] != "0" else "1")
    body = problem(
        bind(client, citizen_headers("zhao", bound=False), zhao["name"], wrong),
        422,
        "validation_failed",
    )
    assert "id_number" in body["errors"]
    assert audit_results() == []  # refused before the provider is asked


@pytest.mark.parametrize("id_number", ["12345", "4306811982031401X1", "43068119820230001X"])
def test_malformed_id_numbers_are_refused(client, citizen_headers, id_number):
    body = problem(
        bind(client, citizen_headers("zhao", bound=False), "赵敏", id_number),
        422,
        "validation_failed",
    )
    assert "id_number" in body["errors"]


def test_name_mismatch_is_refused_and_audited(client, citizen_headers, demo):
    zhao = citizen(demo, "zhao")
    response = bind(client, citizen_headers("zhao", bound=False), "赵敏敏", zhao["id_number"])
    problem(response, 422, "identity_mismatch")
    assert audit_results() == ["mismatch"]


def test_unknown_id_number_looks_like_a_mismatch(client, citizen_headers):
    unknown = synthetic_id("20000101", 999)
    problem(
        bind(client, citizen_headers("zhao", bound=False), "赵敏", unknown),
        422,
        "identity_mismatch",
    )


def test_person_bound_to_another_account_is_a_conflict(client, citizen_headers, demo):
    zhang = citizen(demo, "zhang")
    citizen_headers("zhang")  # zhang's own account is bound to him
    other = citizen_headers("zhao", bound=False)
    problem(bind(client, other, zhang["name"], zhang["id_number"]), 409, "identity_conflict")
    assert audit_results() == ["conflict"]


def test_bound_account_cannot_bind_again(client, citizen_headers, demo):
    li = citizen(demo, "li")
    problem(
        bind(client, citizen_headers("zhang"), li["name"], li["id_number"]),
        409,
        "identity_already_bound",
    )


def test_audit_and_logs_never_hold_the_id_number(client, citizen_headers, demo, caplog):
    zhao = citizen(demo, "zhao")
    headers = citizen_headers("zhao", bound=False)
    bind(client, headers, "赵敏敏", zhao["id_number"])
    bind(client, headers, zhao["name"], zhao["id_number"])
    events = db.session.scalars(select(AuditEvent)).all()
    dumped = json.dumps(
        [[e.action, e.result, e.reason, e.detail, e.object_id] for e in events], ensure_ascii=False
    )
    assert zhao["id_number"] not in dumped and zhao["id_number"][:17] not in dumped
    assert zhao["name"] not in dumped
    assert zhao["id_number"] not in caplog.text


def test_binding_requires_login(client, demo):
    zhao = citizen(demo, "zhao")
    assert (
        client.post(
            IDENTITY, json={"name": zhao["name"], "id_number": zhao["id_number"]}
        ).status_code
        == 401
    )


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"IDENTITY_BIND_LIMIT_ACCOUNT": "3 per hour", "IDENTITY_BIND_LIMIT_CLIENT": "5 per hour"}


def test_attempts_are_rate_limited_per_account(client, citizen_headers, demo):
    zhao = citizen(demo, "zhao")
    headers = citizen_headers("zhao", bound=False)
    for _ in range(3):
        problem(bind(client, headers, "错名字", zhao["id_number"]), 422, "identity_mismatch")
    limited = bind(client, headers, zhao["name"], zhao["id_number"])
    problem(limited, 429, "rate_limited")
    assert "Retry-After" in limited.headers


def test_attempts_are_rate_limited_per_client(client, citizen_headers, demo):
    zhao = citizen(demo, "zhao")
    first = citizen_headers("zhao", bound=False)
    second = citizen_headers("chen", bound=False)
    for _ in range(3):
        bind(client, first, "错名字", zhao["id_number"])
    for _ in range(2):
        bind(client, second, "错名字", zhao["id_number"])
    problem(bind(client, second, "错名字", zhao["id_number"]), 429, "rate_limited")


# --- pluggable provider -------------------------------------------------------------------
class AlwaysYes:
    """A stand-in for a real-name service that knows everyone (creates registry persons)."""

    def __init__(self, config: Any) -> None:
        self.config = config

    def verify(self, name: str, id_number: str) -> IdentityCheck:
        return IdentityCheck(matched=True)


class Down:
    def __init__(self, config: Any) -> None:
        pass

    def verify(self, name: str, id_number: str) -> IdentityCheck:
        raise IdentityProviderUnavailable("timeout")


def test_configured_provider_can_bind_a_person_new_to_the_registry(app, client, citizen_headers):
    app.config["IDENTITY_PROVIDER"] = f"{__name__}:AlwaysYes"
    app.extensions.pop("identity_provider", None)
    newcomer = synthetic_id("19991231", 501)
    response = bind(client, citizen_headers("zhao", bound=False), "新市民", newcomer)
    assert response.status_code == 200
    assert response.get_json()["id_number_masked"] == newcomer[:6] + "********" + newcomer[-4:]
    person = db.session.execute(
        select(Person).where(Person.id_number_hash == pii.id_number_hash(newcomer))
    ).scalar_one()
    assert person.name == "新市民" and pii.decrypt(person.id_number_enc) == newcomer
    assert person.gender == "M" and str(person.birth_date) == "1999-12-31"


def test_provider_outage_is_503(app, client, citizen_headers, demo):
    app.config["IDENTITY_PROVIDER"] = f"{__name__}.Down"
    app.extensions.pop("identity_provider", None)
    zhao = citizen(demo, "zhao")
    response = bind(client, citizen_headers("zhao", bound=False), zhao["name"], zhao["id_number"])
    problem(response, 503, "identity_provider_unavailable")
    assert audit_results() == ["provider_unavailable"]
