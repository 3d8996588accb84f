"""`flask demo-info` section: sample 交房即交证 case ids per project, to try the staff API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..database import db
from ..models import HandoverCase, HousingProject


def handover_samples() -> dict[str, Any]:
    projects = []
    for project in db.session.execute(select(HousingProject).order_by(HousingProject.id)).scalars():
        samples: dict[str, int] = {}
        rows = db.session.execute(
            select(HandoverCase.stage, HandoverCase.id)
            .where(HandoverCase.project_id == project.id)
            .order_by(HandoverCase.id)
        ).all()
        for stage, case_id in rows:
            samples.setdefault(stage, case_id)
        projects.append(
            {
                "id": project.id,
                "name": project.name,
                "stage": project.stage,
                "version": project.version,
                "case_per_stage": samples,
            }
        )
    return {
        "handover": {
            "projects": projects,
            "public": "/api/v1/handover/projects",
            "buyer": "/api/v1/me/handover (log in as chen or zhou)",
            "staff": "/api/v1/staff/handover/cases?project_id=…&stage=…",
        }
    }
