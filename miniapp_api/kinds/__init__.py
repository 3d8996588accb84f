"""Document kinds: certificates, annotated e-license copies, housing proofs (see base.py).

Each kind is one module implementing :class:`~miniapp_api.kinds.base.DocumentKind`;
``create_app`` registers them with :func:`init_app`.
"""

from .base import DocumentKind, KindView, get, init_app
from .certificate import PROPERTY_CERTIFICATE, REGISTRATION_CERTIFICATE
from .housing_proof import HOUSING_PROOF
from .license_copy import LICENSE_COPY

__all__ = [
    "HOUSING_PROOF",
    "LICENSE_COPY",
    "PROPERTY_CERTIFICATE",
    "REGISTRATION_CERTIFICATE",
    "DocumentKind",
    "KindView",
    "get",
    "init_app",
]
