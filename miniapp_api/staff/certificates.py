"""Staff endpoints for certificates and encumbrances (clerks and admins).

The work is in ``certificate_service``; what staff change here is what the next
verification shows.
"""

from __future__ import annotations

from typing import Any

from ..auth.guards import staff_required
from . import bp
from . import certificate_service as service
from .schemas import (
    CertificateQuerySchema,
    EncumbranceCreateSchema,
    ReasonSchema,
    StaffCertificateSchema,
    StaffEncumbranceSchema,
    SupersedeResultSchema,
    SupersedeSchema,
)

ROLES = ("clerk", "admin")


@bp.get("/certificates")
@bp.arguments(CertificateQuerySchema, location="query")
@bp.response(200, StaffCertificateSchema)
@bp.alt_response(404, description="未找到该证书")
@staff_required(*ROLES)
def find_certificate(query: dict[str, str]) -> dict[str, Any]:
    """按证书号查询证书（完整记录）

    Full, unmasked record for staff: holders with ID numbers, all encumbrances (with ids),
    issued documents with their verification links. The access is audited.
    """
    return service.find_by_number(query["number"])


@bp.post("/certificates/<int:certificate_id>/encumbrances")
@bp.arguments(EncumbranceCreateSchema)
@bp.response(201, StaffEncumbranceSchema)
@bp.alt_response(404, description="未找到该证书")
@staff_required(*ROLES)
def add_encumbrance(data: dict[str, str], certificate_id: int) -> dict[str, Any]:
    """登记抵押、查封、异议或预告登记

    Adds an active encumbrance on the certificate's unit; the next verification shows it.
    """
    return service.add_encumbrance(certificate_id, data["kind"], data["holder"], data["reason"])


@bp.post("/certificates/<int:certificate_id>/encumbrances/<int:encumbrance_id>/release")
@bp.arguments(ReasonSchema)
@bp.response(200, StaffEncumbranceSchema)
@bp.alt_response(404, description="未找到该证书或该登记")
@bp.alt_response(409, description="已经注销")
@staff_required(*ROLES)
def release_encumbrance(
    data: dict[str, str], certificate_id: int, encumbrance_id: int
) -> dict[str, Any]:
    """注销抵押、解除查封、注销异议或预告登记

    Ends the encumbrance. Releasing a mortgage also cancels the 不动产登记证明 issued for it.
    """
    return service.release_encumbrance(certificate_id, encumbrance_id, data["reason"])


@bp.post("/certificates/<int:certificate_id>/cancel")
@bp.arguments(ReasonSchema)
@bp.response(200, StaffCertificateSchema)
@bp.alt_response(404, description="未找到该证书")
@bp.alt_response(409, description="证书已注销或已换证")
@staff_required(*ROLES)
def cancel_certificate(data: dict[str, str], certificate_id: int) -> dict[str, Any]:
    """注销证书

    The certificate's verification answers `cancelled` from the next scan on.
    """
    return service.cancel_certificate(certificate_id, data["reason"])


@bp.post("/certificates/<int:certificate_id>/supersede")
@bp.arguments(SupersedeSchema)
@bp.response(200, SupersedeResultSchema)
@bp.alt_response(404, description="未找到该证书或新证书")
@bp.alt_response(409, description="证书已注销或已换证")
@bp.alt_response(422, description="新证书不符合要求")
@staff_required(*ROLES)
def supersede_certificate(data: dict[str, Any], certificate_id: int) -> dict[str, Any]:
    """换证（旧证作废，以新证为准）

    With `replacement_certificate_id`: an already issued, valid certificate of the same unit
    replaces this one. Without it: a new certificate for the same right is issued now (new
    number, print serial, e-license and QR). The old certificate answers `superseded`.
    """
    return service.supersede_certificate(
        certificate_id, data["reason"], data.get("replacement_certificate_id")
    )
