"""Document kinds: certificates (and a bank's printed 登记证明), annotated e-license copies,
housing proofs, the 受理凭证 receipt of an application (see base.py).

Each kind is one module implementing :class:`~miniapp_api.kinds.base.DocumentKind`;
``create_app`` registers them with :func:`init_app`.
"""

from .base import DocumentKind, KindView, get, init_app
from .certificate import PROPERTY_CERTIFICATE
from .housing_proof import HOUSING_PROOF
from .license_copy import LICENSE_COPY
from .receipt import APPLICATION_RECEIPT
from .registration_certificate import REGISTRATION_CERTIFICATE

__all__ = [
    "APPLICATION_RECEIPT",
    "HOUSING_PROOF",
    "LICENSE_COPY",
    "PROPERTY_CERTIFICATE",
    "REGISTRATION_CERTIFICATE",
    "DocumentKind",
    "KindView",
    "get",
    "init_app",
]
