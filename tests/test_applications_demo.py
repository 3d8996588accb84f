"""Demo data for 一窗办事: partners with printable keys, applications in every status."""

from __future__ import annotations

from sqlalchemy import select

from miniapp_api.demo.applications import demo_section, seed_applications
from miniapp_api.extensions import db
from miniapp_api.models import Application, Partner
from miniapp_api.models.applications import APPLICATION_STATUSES


def test_demo_has_every_status_and_kind(app):
    assert seed_applications() > 0
    db.session.commit()
    rows = db.session.execute(select(Application)).scalars().all()
    assert {a.status for a in rows} == set(APPLICATION_STATUSES)
    assert {a.kind for a in rows} == {"transfer", "mortgage", "mortgage_release"}


def test_second_seed_changes_nothing(app):
    seed_applications()
    db.session.commit()
    assert seed_applications() == 0


def test_demo_info_keys_work(app, client):
    seed_applications()
    db.session.commit()
    section = demo_section()
    kinds = {p["kind"] for p in section["partners"]}
    assert {"bank", "agency", "tax", "developer"} <= kinds
    agency = next(p for p in section["partners"] if p["kind"] == "agency")
    listing = client.get("/api/v1/partner/applications", headers={"X-API-Key": agency["api_key"]})
    assert listing.status_code == 200 and listing.get_json()["items"]
    assert len(section["applications"]) == len(db.session.execute(select(Application)).all())


def test_real_partners_keys_are_not_printed(app):
    from miniapp_api.partners.service import create_partner

    create_partner("真实银行", "bank")
    seed_applications()
    db.session.commit()
    names = [p["name"] for p in demo_section()["partners"]]
    assert "真实银行" not in names
    assert db.session.execute(select(Partner).where(Partner.name == "真实银行")).scalar_one()
