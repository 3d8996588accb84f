"""Demo WeChat accounts already bound to their citizens, for `make run` (not for the tests,
which start every citizen unbound): a newcomer logs in as 张建国 and sees his property at
once. The fake WeChat's 「新用户（未实名）」 stays unbound for trying real-name binding."""

from __future__ import annotations

from sqlalchemy import select

from ..database import db
from ..domain import pii
from ..models import Person, WechatAccount, utcnow
from .citizens import DEMO_CITIZENS


def bind_demo_citizens() -> list[str]:
    """Create or bind each demo citizen's WeChat account (idempotent); returns the names."""
    names = []
    for citizen in DEMO_CITIZENS:
        person = db.session.execute(
            select(Person).where(Person.id_number_hash == pii.id_number_hash(citizen.id_number))
        ).scalar_one_or_none()
        if person is None:
            continue
        account = db.session.execute(
            select(WechatAccount).where(WechatAccount.openid == citizen.openid)
        ).scalar_one_or_none()
        if account is None:
            account = WechatAccount(openid=citizen.openid)
            db.session.add(account)
        if account.person_id is None:
            taken = db.session.execute(
                select(WechatAccount.id).where(WechatAccount.person_id == person.id)
            ).first()
            if taken is None:
                account.person_id = person.id
                account.bound_at = utcnow()
        names.append(citizen.name)
    db.session.commit()
    return names
