"""不动产登记证明 (``registration_certificate``): the certificate kind, plus the printed
证明 a bank downloads for its mortgage (display rows, file name, PNG/PDF with the QR of the
certificate's signed document). Citizens do not download it (not ``printable``)."""

from __future__ import annotations

from ..domain import documents
from ..domain.masking import mask_name
from ..labels import CERTIFICATE_STATUS_LABELS
from ..models import Certificate
from .certificate import CertificateKind
from .rows import render_rows

TITLE = "不动产登记证明"


class RegistrationCertificateKind(CertificateKind):
    def display(self, cert: Certificate) -> list[tuple[str, str]]:
        """The rows of the printed 证明 (the mortgagors' names masked)."""
        right = cert.right
        unit = right.unit
        enc = cert.encumbrance
        return [
            ("证明号", cert.number),
            ("印制编号", cert.print_serial),
            ("证明权利或事项", "抵押权"),
            ("权利人（抵押权人）", cert.rights_holder_org or ""),
            ("义务人（抵押人）", "、".join(mask_name(h.person.name) for h in right.holders)),
            ("坐落", unit.location),
            ("不动产单元号", unit.unit_number),
            ("其他", enc.reason if enc is not None and enc.reason else "/"),
            ("状态", CERTIFICATE_STATUS_LABELS.get(cert.status, cert.status)),
            ("登记时间", cert.issued_at.strftime("%Y-%m-%d")),
        ]

    def verification_url(self, cert: Certificate) -> str | None:
        doc = documents.certificate_document(cert)
        return documents.document_url(doc) if doc is not None else None

    def filename(self, record: Certificate, fmt: str, *, ascii_only: bool = False) -> str:
        if ascii_only:
            return f"registration-certificate-{record.id}.{fmt}"
        return f"不动产登记证明_{record.number}.{fmt}"

    def render(self, record: Certificate, fmt: str) -> bytes:
        return render_rows(TITLE, self.display(record), fmt, url=self.verification_url(record))


REGISTRATION_CERTIFICATE = RegistrationCertificateKind("registration_certificate")
