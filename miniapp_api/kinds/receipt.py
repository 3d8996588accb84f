"""受理凭证 (acceptance receipt of an application) as a document kind.

Built from the application row (no snapshot table: what it states — numbers, dates, parties
masked — never changes after acceptance); not signed, so there is nothing to verify: it has
no ``IssuedDocument`` and no ``view``. Loaded by its acceptance number; the filer (a partner)
and the window fetch it, the parties may (``owned_by``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from flask import current_app
from sqlalchemy import select

from ..clock import minutes_cn
from ..database import db
from ..domain.masking import mask_name
from ..errors import Problem
from ..labels import APPLICATION_KIND_LABELS, APPLICATION_ROLE_LABELS, DOCUMENT_KIND_LABELS
from ..models import Application, ApplicationParty, Person
from .base import DocumentKind
from .rows import render_rows

TITLE = "不动产登记受理凭证"


class ReceiptKind(DocumentKind):
    """``application_receipt``: the 受理凭证 printed and downloaded as PNG or PDF."""

    name: ClassVar[str] = "application_receipt"
    label: ClassVar[str] = DOCUMENT_KIND_LABELS["application_receipt"]
    printable: ClassVar[bool] = False  # no header-free citizen links (yet)

    def load(self, public_id: str) -> Application | None:
        return db.session.execute(
            select(Application).where(Application.acceptance_number == public_id)
        ).scalar_one_or_none()

    def owned_by(self, record: Application, person_id: int | None) -> bool:
        if person_id is None:
            return False
        person = db.session.get(Person, person_id)
        return person is not None and any(
            p.id_number_hash == person.id_number_hash for p in record.parties
        )

    def check_filer(self, record: Application, partner_id: int | None) -> None:
        """Accepted, and the filer's own (staff pass ``partner_id=None`` on purpose)."""
        if record.acceptance_number is None:
            raise Problem(404, "receipt_not_found", "该申请尚未受理，没有受理凭证")
        if partner_id is not None and record.partner_id != partner_id:
            raise Problem(404, "application_not_found", "未找到该申请")

    def display(self, record: Application) -> list[tuple[str, str]]:
        """The rows printed on the receipt (names masked: it may be forwarded)."""
        parties = "；".join(_party(p) for p in record.parties) or "（由提交机构申请）"
        accepted = record.accepted_at
        return [
            ("登记机构", current_app.config["REGISTRY_NAME"]),
            ("受理编号", record.acceptance_number or ""),
            ("申请编号", record.number),
            ("登记类型", APPLICATION_KIND_LABELS[record.kind]),
            ("不动产单元号", record.unit.unit_number),
            ("坐落", record.unit.location),
            ("申请人", parties),
            ("受理时间", minutes_cn(accepted) if accepted else ""),
            ("承诺办结日期", record.promised_date.isoformat() if record.promised_date else ""),
            ("查询方式", "凭受理编号和申请人姓名在“我的办件”或登记中心网站查询办理进度"),
        ]

    def rows(self, record: Application) -> dict[str, Any]:
        return {"title": TITLE, "rows": [{"label": k, "value": v} for k, v in self.display(record)]}

    def filename(self, record: Application, fmt: str, *, ascii_only: bool = False) -> str:
        if ascii_only:
            return f"receipt-{record.acceptance_number}.{fmt}"
        return f"受理凭证_{record.acceptance_number}.{fmt}"

    def render(self, record: Application, fmt: str) -> bytes:
        return render_rows(TITLE, self.display(record), fmt, url=None)


def _party(party: ApplicationParty) -> str:
    return f"{APPLICATION_ROLE_LABELS[party.role]} {mask_name(party.name)}"


APPLICATION_RECEIPT = ReceiptKind()
