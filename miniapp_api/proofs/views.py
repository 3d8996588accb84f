"""Housing proofs (有房/无房证明) — endpoints."""

from __future__ import annotations

from typing import Any

from flask import g

from .. import downloads
from ..auth.guards import NOT_OWN, citizen_required, citizen_route
from ..kinds import HOUSING_PROOF
from . import bp, service
from .schemas import HousingProofRequestSchema, HousingProofSchema

PROOF_PATH = "/me/housing-proofs/<string:proof_id>"


@citizen_route(
    bp,
    "post",
    "/me/housing-proofs",
    HousingProofSchema,
    status=201,
    arguments=HousingProofRequestSchema,
    limit=downloads.ISSUE_RATE,
    errors={422: "查询范围或事由不符合要求"},
    summary="开具房屋证明",
    description="查询本登记机构的登记簿（个人：本人；家庭：本人、登记簿记载的配偶和未成年子女），"
    "出具有房（逐套列明）或无房证明：证明编号、查询时点、出具时间、有效期（30 天，购房资格审核"
    "和贷款 15 天）和核验链接。返回中含 download_links（无需登录头的短时下载链接）。",
)
def issue_proof(data: dict[str, Any]) -> dict[str, Any]:
    proof = service.issue_proof(g.person, data["scope"], data["purpose"])
    return service.proof_dict(proof, account_id=g.account.id)


@citizen_route(bp, "get", "/me/housing-proofs", HousingProofSchema(many=True))
def list_proofs() -> list[dict[str, Any]]:  # OpenAPI summary and description: the docstring
    """我的房屋证明

    本人开具的房屋证明，新的在前；每项含 download_links（短时下载链接）。
    """
    proofs = service.list_proofs(g.person)
    return [service.proof_dict(p, account_id=g.account.id) for p in proofs]


@citizen_route(
    bp,
    "get",
    PROOF_PATH,
    HousingProofSchema,
    errors={404: NOT_OWN},
    summary="房屋证明详情（含短时下载链接）",
)
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
