"""Housing proofs (有房/无房证明) — endpoints."""

from __future__ import annotations

from typing import Any

from flask import g

from .. import downloads
from ..auth.guards import citizen_required
from ..extensions import limiter
from ..kinds import HOUSING_PROOF
from . import bp, service
from .schemas import HousingProofRequestSchema, HousingProofSchema

PROOF_PATH = "/me/housing-proofs/<string:proof_id>"


@bp.post("/me/housing-proofs")
@citizen_required
@limiter.limit(downloads.ISSUE_LIMIT, key_func=downloads.account_key)
@bp.arguments(HousingProofRequestSchema)
@bp.response(201, HousingProofSchema)
@bp.alt_response(422, description="查询范围或事由不符合要求")
@bp.doc(
    summary="开具房屋证明",
    description="查询本登记机构的登记簿（个人：本人；家庭：本人、登记簿记载的配偶和未成年子女），"
    "出具有房（逐套列明）或无房证明：证明编号、查询时点、出具时间、有效期（30 天，购房资格审核"
    "和贷款 15 天）和核验链接。返回中含 download_links（无需登录头的短时下载链接）。",
)
def issue_proof(data: dict[str, Any]) -> dict[str, Any]:
    proof = service.issue_proof(g.person, data["scope"], data["purpose"])
    return service.proof_dict(proof, account_id=g.account.id)


@bp.get("/me/housing-proofs")
@citizen_required
@bp.response(200, HousingProofSchema(many=True))
@bp.doc(
    summary="我的房屋证明",
    description="本人开具的房屋证明，新的在前；每项含 download_links（短时下载链接）。",
)
def list_proofs() -> list[dict[str, Any]]:
    proofs = service.list_proofs(g.person)
    return [service.proof_dict(p, account_id=g.account.id) for p in proofs]


@bp.get(PROOF_PATH)
@citizen_required
@bp.response(200, HousingProofSchema)
@bp.alt_response(404, description="不存在或不属于本人")
@bp.doc(summary="房屋证明详情（含短时下载链接）")
def get_proof(proof_id: str) -> dict[str, Any]:
    proof = service.view_proof(g.person, proof_id)
    return service.proof_dict(proof, account_id=g.account.id)


downloads.add_document_routes(
    bp,
    citizen_required,
    PROOF_PATH,
    HOUSING_PROOF,
    lambda proof_id: service.get_proof(g.person, proof_id),
    title="房屋证明",
    links_description="短时（≤10 分钟）签名链接，绑定本文书、格式和本人账号，无需登录头。",
)
