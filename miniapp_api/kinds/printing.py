"""From database rows to the renderer's plain records (miniapp_api.rendering), and back to
problems: the only place that knows both the models and the renderer's input types."""

from __future__ import annotations

from typing import Any

from flask import current_app

from .. import rendering
from ..clock import CHINA_TZ
from ..domain.properties import sorted_holders
from ..errors import Problem
from ..labels import CO_OWNERSHIP_LABELS, PROOF_SCOPE_LABELS
from ..models import HousingProof, LicenseCopy


def watermark(purpose: str) -> str:
    return rendering.watermark_text(purpose)


def license_document(copy: LicenseCopy, url: str) -> rendering.LicenseDocument:
    lic = copy.license
    cert = lic.certificate
    right = cert.right
    unit = right.unit
    shares = right.co_ownership == "shares"
    return rendering.LicenseDocument(
        registry_name=current_app.config["REGISTRY_NAME"],
        certificate_number=cert.number,
        license_id=lic.license_id,
        holders=[
            rendering.Holder(h.person.name, h.share if shares else None)
            for h in sorted_holders(right)
        ],
        co_ownership=CO_OWNERSHIP_LABELS[right.co_ownership],
        location=unit.location,
        unit_number=unit.unit_number,
        right_type=unit.right_type,
        right_nature=unit.right_nature,
        use=unit.use,
        area_m2=unit.area_m2,
        term=unit.land_term or "/",
        notes=list(copy.notes or []),
        issued_on=cert.issued_at.astimezone(CHINA_TZ).date(),
        maker=copy.maker,
        made_at=copy.created_at,
        purpose=copy.purpose,
        valid_until=copy.valid_until,
        verification_url=url,
        copy_serial=copy.serial,
    )


def proof_document(proof: HousingProof, url: str) -> rendering.ProofDocument:
    result: dict[str, Any] = proof.result
    applicant = result["applicant"]
    return rendering.ProofDocument(
        registry_name=current_app.config["REGISTRY_NAME"],
        serial=proof.serial,
        applicant_name=applicant["name"],
        applicant_id_masked=applicant["id_masked"],
        scope=PROOF_SCOPE_LABELS[proof.scope],
        family_members=[
            rendering.FamilyMember(m["relation"], m["name"], m["id_masked"])
            for m in result.get("members", [])
        ],
        purpose=proof.purpose,
        queried_at=proof.queried_at,
        has_property=proof.has_property,
        units=[
            rendering.PropertyUnit(
                u["location"], u["area_m2"], u["use"], u["certificate_number"], u["holders"]
            )
            for u in result.get("units", [])
        ],
        issued_at=proof.issued_at,
        valid_until=proof.valid_until,
        verification_url=url,
    )


def check_printable(doc: rendering.LicenseDocument | rendering.ProofDocument) -> None:
    """Lay the page out once (no raster): a 422 when a character cannot be printed."""
    try:
        if isinstance(doc, rendering.LicenseDocument):
            rendering.license_page(doc)
        else:
            rendering.proof_page(doc)
    except rendering.MissingGlyphError as exc:
        chars = "".join(sorted(exc.chars))
        raise Problem(
            422, "unprintable_characters", f"文书中有无法打印的字符（{chars}），请到窗口办理"
        ) from exc
    except rendering.DocumentTooLong as exc:
        raise Problem(
            422, "document_too_long", "文书内容过多，无法生成电子文书，请到窗口办理"
        ) from exc
    except rendering.FontNotFound as exc:
        raise Problem(503, "renderer_unavailable", "文书生成服务暂时不可用，请稍后再试") from exc


def render(doc: rendering.LicenseDocument | rendering.ProofDocument, fmt: str) -> bytes:
    """PNG or PDF bytes of a document (problems instead of renderer exceptions)."""
    try:
        if isinstance(doc, rendering.LicenseDocument):
            return (
                rendering.render_license_png(doc)
                if fmt == "png"
                else rendering.render_license_pdf(doc)
            )
        return rendering.render_proof_png(doc) if fmt == "png" else rendering.render_proof_pdf(doc)
    except (rendering.MissingGlyphError, rendering.DocumentTooLong) as exc:
        # Checked when the document was issued; only a changed font can bring us here.
        raise Problem(
            503, "renderer_unavailable", "文书暂时无法生成，请稍后再试或到窗口办理"
        ) from exc
    except rendering.FontNotFound as exc:
        raise Problem(503, "renderer_unavailable", "文书生成服务暂时不可用，请稍后再试") from exc
