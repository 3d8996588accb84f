"""What partners, staff and citizens see of an application (masked; features add keys
through ``hooks.extend_view``)."""

from __future__ import annotations

from typing import Any

from ..domain.masking import mask_contract_number, mask_name
from ..labels import APPLICATION_CHANNEL_LABELS as CHANNEL_LABELS
from ..labels import APPLICATION_KIND_LABELS as KIND_LABELS
from ..labels import APPLICATION_ROLE_LABELS as ROLE_LABELS
from ..labels import APPLICATION_STATUS_LABELS as STATUS_LABELS
from ..models import Application, ApplicationParty, Person
from .hooks import extend_view


def party_view(party: ApplicationParty) -> dict[str, Any]:
    return {
        "role": party.role,
        "role_label": ROLE_LABELS[party.role],
        "name": mask_name(party.name),
        "id_number": party.id_number_masked,
        "phone": party.phone_masked,
        "share": party.share,
        "confirmed": party.confirmed_at is not None,
        "declined": party.declined_at is not None,
        "confirmed_at": party.confirmed_at,
    }


def timeline(app: Application) -> list[dict[str, Any]]:
    items = []
    for event in app.events:
        if event.action.startswith("track:"):
            track = event.action.split(":", 1)[1]
            label = {"contract_filing": "网签备案完成", "tax": "缴税完成"}.get(track, track)
        else:
            label = STATUS_LABELS.get(event.action, event.action)
        items.append({"action": event.action, "label": label, "at": event.at})
    return items


def application_view(app: Application, *, for_staff: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": app.id,
        "number": app.number,
        "kind": app.kind,
        "kind_label": KIND_LABELS[app.kind],
        "channel": app.channel,
        "channel_label": CHANNEL_LABELS[app.channel],
        "status": app.status,
        "status_label": STATUS_LABELS[app.status],
        "unit_number": app.unit.unit_number,
        "location": app.unit.location,
        "parties": [party_view(p) for p in app.parties],
        "acceptance_number": app.acceptance_number,
        "accepted_at": app.accepted_at,
        "promised_date": app.promised_date,
        "reason": app.reason,
        "tracks": {
            "contract_filing": app.contract_filing_at is not None,
            "tax": app.tax_paid_at is not None,
        },
        "timeline": timeline(app),
        "filed_at": app.filed_at,
        "completed_at": app.completed_at,
        "version": app.version,
    }
    if app.contract_number:
        view["contract_number"] = (
            app.contract_number if for_staff else mask_contract_number(app.contract_number)
        )
    if app.price is not None:
        view["price"] = f"{app.price:.2f}"
    if app.loan_amount is not None:
        view["loan_amount"] = f"{app.loan_amount:.2f}"
    if app.term_months is not None:
        view["term_months"] = app.term_months
    if app.encumbrance_id is not None:
        view["encumbrance_id"] = app.encumbrance_id
    if app.result_certificate_id is not None:
        view["result_certificate_id"] = app.result_certificate_id
    return extend_view(app, view)


def citizen_view(app: Application, person: Person) -> dict[str, Any]:
    view = application_view(app)
    mine = [p for p in app.parties if p.id_number_hash == person.id_number_hash]
    view["role"] = mine[0].role if mine else None
    view["role_label"] = ROLE_LABELS[mine[0].role] if mine else None
    view["my_confirmation"] = (
        "confirmed"
        if mine and mine[0].confirmed_at
        else "declined"
        if mine and mine[0].declined_at
        else "pending"
    )
    view["can_confirm"] = (
        app.status == "awaiting_confirmation" and view["my_confirmation"] == "pending"
    )
    return view
