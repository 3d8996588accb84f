"""受理凭证 (acceptance receipt): one document module — loading, owner check, display rows,
filename and renderer. The receipt is built from the application row (no snapshot table:
what it states — numbers, dates, parties masked — never changes after acceptance)."""

from __future__ import annotations

from typing import Any

from ..domain import audit
from ..domain.masking import mask_name
from ..errors import Problem
from ..labels import APPLICATION_KIND_LABELS as KIND_LABELS
from ..labels import APPLICATION_ROLE_LABELS as ROLE_LABELS
from ..models import Application

KIND = "application_receipt"
TITLE = "不动产登记受理凭证"


def issue_receipt(app: Application) -> None:
    """Record that the receipt exists (it is rendered on demand from the application)."""
    audit.record("application.receipt.issue", object_type="application", object_id=app.id)


def check_owner(app: Application, partner_id: int | None) -> None:
    """Only the filer (or staff, who pass ``partner_id=None`` on purpose) sees it."""
    if app.acceptance_number is None:
        raise Problem(404, "receipt_not_found", "该申请尚未受理，没有受理凭证")
    if partner_id is not None and app.partner_id != partner_id:
        raise Problem(404, "application_not_found", "未找到该申请")


def display_rows(app: Application, registry_name: str) -> list[tuple[str, str]]:
    """The rows printed on the receipt (names masked: it may be forwarded)."""
    parties = (
        "；".join(f"{ROLE_LABELS[p.role]} {mask_name(p.name)}" for p in app.parties)
        or "（由提交机构申请）"
    )
    return [
        ("登记机构", registry_name),
        ("受理编号", app.acceptance_number or ""),
        ("申请编号", app.number),
        ("登记类型", KIND_LABELS[app.kind]),
        ("不动产单元号", app.unit.unit_number),
        ("坐落", app.unit.location),
        ("申请人", parties),
        (
            "受理时间",
            app.accepted_at.strftime("%Y-%m-%d %H:%M") + " UTC" if app.accepted_at else "",
        ),
        ("承诺办结日期", app.promised_date.isoformat() if app.promised_date else ""),
        ("查询方式", "凭受理编号和申请人姓名在“我的办件”或登记中心网站查询办理进度"),
    ]


def filename(app: Application, fmt: str) -> tuple[str, str]:
    """(ASCII fallback, Chinese name) for Content-Disposition."""
    return (
        f"receipt-{app.acceptance_number}.{fmt}",
        f"受理凭证_{app.acceptance_number}.{fmt}",
    )


def render(app: Application, registry_name: str, fmt: str) -> bytes:
    from .render import render_rows

    return render_rows(TITLE, display_rows(app, registry_name), fmt, url=None)


def view(app: Application, registry_name: str) -> dict[str, Any]:
    return {
        "title": TITLE,
        "rows": [{"label": k, "value": v} for k, v in display_rows(app, registry_name)],
    }
