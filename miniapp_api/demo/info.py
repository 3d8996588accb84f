"""`flask --app wsgi demo-info`: what a newcomer (and the tests) need to try the demo."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..database import db
from ..domain import pii
from ..models import Person, WechatAccount
from .citizens import DEMO_CITIZENS, UNBOUND_OPENID
from .features import SECTIONS as FEATURE_SECTIONS
from .handover import handover_samples
from .verification import verification_samples

# Sections per feature (sample case ids, sample verification links).
SECTIONS: tuple[Callable[[], dict[str, Any]], ...] = (
    handover_samples,
    verification_samples,
    *FEATURE_SECTIONS,
)


def demo_info() -> dict[str, Any]:
    citizens = []
    for citizen in DEMO_CITIZENS:
        person = db.session.execute(
            select(Person).where(Person.id_number_hash == pii.id_number_hash(citizen.id_number))
        ).scalar_one_or_none()
        account = db.session.execute(
            select(WechatAccount).where(WechatAccount.openid == citizen.openid)
        ).scalar_one_or_none()
        citizens.append(
            {
                "key": citizen.key,
                "name": citizen.name,
                "id_number": citizen.id_number,
                "openid": citizen.openid,
                "person_id": person.id if person else None,
                "identity_bound": bool(account and account.person_id),
                "story": citizen.story,
            }
        )
    info: dict[str, Any] = {
        "registry": current_app.config["REGISTRY_NAME"],
        "public_base_url": current_app.config["PUBLIC_BASE_URL"],
        "citizens": citizens,
        "unbound_openid": UNBOUND_OPENID,
    }
    for section in SECTIONS:
        info.update(section())
    return info


def wechat_users() -> dict[str, str]:
    """openid → display name, for the local fake WeChat server."""
    users = {c.openid: c.name for c in DEMO_CITIZENS}
    users[UNBOUND_OPENID] = "新用户（未实名）"
    return users
