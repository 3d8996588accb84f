"""Demo data: deterministic, realistic, idempotent."""

import json

from sqlalchemy import func, select

from miniapp_api.demo.seed import seed_demo
from miniapp_api.domain.stages import UNIT_STAGE_CODES
from miniapp_api.domain.validators import (
    is_valid_certificate_number,
    is_valid_id_number,
    is_valid_license_id,
    is_valid_print_serial,
    is_valid_unit_number,
)
from miniapp_api.extensions import db
from miniapp_api.models import (
    Certificate,
    ElectronicLicense,
    Encumbrance,
    HandoverCase,
    HousingProject,
    Person,
    PropertyRight,
    RealEstateUnit,
)


def count(model):
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def test_second_run_changes_nothing(app):
    before = (count(Person), count(Certificate), count(HousingProject))
    assert seed_demo(scale=60, seed=7) == {"created": 0}
    assert (count(Person), count(Certificate), count(HousingProject)) == before


def test_named_projects_have_units_at_every_stage(app):
    names = set(db.session.execute(select(HousingProject.name)).scalars())
    assert {"友阿悦玺", "欢乐水岸", "大汉龙城"} <= names
    assert len(names) >= 6
    stages = set(db.session.execute(select(HandoverCase.stage)).scalars())
    assert stages == set(UNIT_STAGE_CODES)


def test_every_identifier_is_well_formed(app):
    for unit_number in db.session.execute(select(RealEstateUnit.unit_number)).scalars():
        assert is_valid_unit_number(unit_number), unit_number
    for cert in db.session.execute(select(Certificate)).scalars():
        assert is_valid_certificate_number(cert.number), cert.number
        assert is_valid_print_serial(cert.print_serial)
    for lid in db.session.execute(select(ElectronicLicense.license_id)).scalars():
        assert is_valid_license_id(lid), lid


def test_statuses_and_encumbrances_are_all_represented(app):
    statuses = set(db.session.execute(select(Certificate.status)).scalars())
    assert statuses == {"valid", "cancelled", "superseded"}
    kinds = set(db.session.execute(select(Encumbrance.kind)).scalars())
    assert {"mortgage", "seizure", "objection"} <= kinds
    co_owned = (
        db.session.execute(select(PropertyRight).where(PropertyRight.co_ownership != "sole"))
        .scalars()
        .first()
    )
    assert co_owned is not None and len(co_owned.holders) >= 2


def test_demo_citizens_have_valid_ids_and_families(app, demo):
    keys = {c["key"] for c in demo["citizens"]}
    assert {"zhang", "li", "zhao", "chen"} <= keys
    for citizen in demo["citizens"]:
        assert is_valid_id_number(citizen["id_number"])
        assert citizen["openid"].startswith("o_demo_")
    zhang = db.session.get(
        Person, next(c["person_id"] for c in demo["citizens"] if c["key"] == "zhang")
    )
    assert zhang.spouse is not None and zhang.spouse.name == "李秀英"
    assert [child.name for child in zhang.children] == ["张子涵"]


def test_demo_info_command_prints_json(app):
    result = app.test_cli_runner().invoke(args=["demo-info"])
    assert result.exit_code == 0
    info = json.loads(result.output)
    assert info["citizens"][0]["name"] == "张建国"
