"""Real-name binding: a WeChat account is bound to one person after an identity check.

The check is done by an *identity provider*, chosen with the IDENTITY_PROVIDER setting
("package.module:ClassName"). The default, :class:`RegistryIdentityProvider`, matches the
registry's own person records (by the keyed hash of the ID number, then the name).
Production plugs in a real-name verification service with the same small interface:

    class MyProvider:
        def __init__(self, config: Mapping[str, Any]) -> None: ...
        def verify(self, name: str, id_number: str) -> IdentityCheck: ...

`verify` gets the name as typed and the normalised ID number (check digit already valid),
answers `IdentityCheck(matched=True)` when they belong together (optionally with the
registry `person_id` it found), `IdentityCheck(matched=False)` otherwise, and raises
`IdentityProviderUnavailable` when it cannot answer. It must never log the ID number.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import unit_of_work
from ..database import db
from ..domain import audit, pii
from ..domain.masking import mask_id_number
from ..domain.validators import birth_date_of, gender_of, normalize_id_number
from ..errors import Problem
from ..models import Person, WechatAccount, utcnow
from .service import normalize_name, profile


@dataclass(frozen=True)
class IdentityCheck:
    """A provider's answer. `person_id` is set when the provider knows the registry record."""

    matched: bool
    person_id: int | None = None


class IdentityProviderUnavailable(Exception):
    """The identity provider could not answer (network error, timeout, outage)."""


class IdentityProvider(Protocol):
    def verify(self, name: str, id_number: str) -> IdentityCheck: ...


class RegistryIdentityProvider:
    """Matches the registry's own person records: same ID number hash and same name."""

    def __init__(self, config: Mapping[str, Any] | None = None) -> None:
        self.config = config or {}

    def verify(self, name: str, id_number: str) -> IdentityCheck:
        person = db.session.execute(
            select(Person).where(Person.id_number_hash == pii.id_number_hash(id_number))
        ).scalar_one_or_none()
        if person is not None and normalize_name(person.name) == normalize_name(name):
            return IdentityCheck(matched=True, person_id=person.id)
        return IdentityCheck(matched=False)


def load_provider_class(path: str) -> type:
    """Import "package.module:ClassName" (or "package.module.ClassName")."""
    module_name, sep, attr = path.partition(":")
    if not sep:
        module_name, _, attr = path.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"IDENTITY_PROVIDER must be 'package.module:ClassName', not {path!r}")
    return getattr(importlib.import_module(module_name), attr)


def provider() -> IdentityProvider:
    """The app's identity provider (built once per app from IDENTITY_PROVIDER)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    instance = app.extensions.get("identity_provider")
    if instance is None:
        cls = load_provider_class(app.config["IDENTITY_PROVIDER"])
        instance = cls(app.config)
        app.extensions["identity_provider"] = instance
    return instance


def _refuse(account: WechatAccount, result: str, problem: Problem) -> Problem:
    return audit.refuse(
        problem, "identity.bind", result=result, object_type="wechat_account", object_id=account.id
    )


def _person_for(check: IdentityCheck, name: str, id_number: str) -> Person:
    """The registry person of a verified identity, created when the registry has none."""
    person = db.session.get(Person, check.person_id) if check.person_id is not None else None
    if person is None:
        person = db.session.execute(
            select(Person).where(Person.id_number_hash == pii.id_number_hash(id_number))
        ).scalar_one_or_none()
    if person is None:
        person = Person(
            name=" ".join(name.split()),
            id_number_enc=pii.encrypt(id_number),
            id_number_hash=pii.id_number_hash(id_number),
            id_number_masked=mask_id_number(id_number),
            birth_date=birth_date_of(id_number),
            gender=gender_of(id_number),
        )
        db.session.add(person)
        db.session.flush()
    return person


def bind_identity(account: WechatAccount, name: str, id_number: str) -> dict[str, Any]:
    """Bind `account` to the person with this name and ID number (one to one)."""
    conflict = Problem(
        409, "identity_conflict", "该身份已绑定其他微信账号，如有疑问请到登记中心窗口办理"
    )
    if account.person_id is not None:
        raise _refuse(
            account,
            "already_bound",
            Problem(409, "identity_already_bound", "您的微信账号已完成实名认证"),
        )
    id_number = normalize_id_number(id_number)
    try:
        check = provider().verify(name, id_number)
    except IdentityProviderUnavailable:
        raise _refuse(
            account,
            "provider_unavailable",
            Problem(503, "identity_provider_unavailable", "实名认证服务暂时不可用，请稍后再试"),
        ) from None
    if not check.matched:
        raise _refuse(
            account,
            "mismatch",
            # The registry's own check cannot tell a typo from a person it has no record of
            # (and must not: that would reveal who owns property here), so it says both.
            Problem(
                422,
                "identity_mismatch",
                "未能核实您的身份：姓名或身份证号可能填错，也可能是登记中心暂无您的不动产记录。"
                "请核对后重新输入；如您名下没有不动产，仍可开具无房证明，请携带身份证到登记中心"
                "窗口办理或拨打咨询电话。",
            ),
        )
    person = _person_for(check, name, id_number)
    other = db.session.execute(
        select(WechatAccount.id).where(
            WechatAccount.person_id == person.id, WechatAccount.id != account.id
        )
    ).first()
    if other is not None:
        db.session.rollback()
        raise _refuse(account, "conflict", conflict)
    account.person = person
    account.bound_at = utcnow()
    audit.record(
        "identity.bind",
        object_type="wechat_account",
        object_id=account.id,
        detail={"person_id": person.id},
    )
    try:
        unit_of_work.done()
    except IntegrityError:  # a concurrent binding of the same person won the race
        db.session.rollback()
        raise _refuse(account, "conflict", conflict) from None
    return profile(account)
