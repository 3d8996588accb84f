"""SQLAlchemy models. Import from here: `from miniapp_api.models import Person`."""

from .accounts import RefreshToken, StaffUser, WechatAccount
from .alerts import Alert, AlertSetting, ApplicationHold  # noqa: F401  (miniapp_api/alerts)
from .applications import (  # noqa: F401  (一窗办事, miniapp_api/applications)
    Application,
    ApplicationDailyStat,
    ApplicationEvent,
    ApplicationMaterial,
    ApplicationParty,
    IdempotencyRecord,
    WebhookDelivery,
    WebhookEndpoint,
    WorkingDayOverride,
)
from .base import UTCDateTime, utcnow
from .documents import DOCUMENT_KINDS, HousingProof, IssuedDocument, LicenseCopy
from .handover import (
    HandoverBlocker,
    HandoverCase,
    HandoverStageEvent,
    HandoverSubscription,
    HousingProject,
    NotificationOutbox,
    ProjectStageEvent,
)
from .partners import PARTNER_KINDS, Partner
from .people import Person, parent_child
from .registry import (
    CERTIFICATE_KINDS,
    CERTIFICATE_STATUSES,
    CO_OWNERSHIP,
    ENCUMBRANCE_KINDS,
    Certificate,
    ElectronicLicense,
    Encumbrance,
    PropertyRight,
    RealEstateUnit,
    RightHolder,
)
from .system import AuditEvent, KeyValueEntry
from .utilities import (  # noqa: F401  (miniapp_api/utilities)
    UTILITY_SERVICES,
    UtilityDailyStat,
    UtilityTask,
)

__all__ = [
    "CERTIFICATE_KINDS",
    "CERTIFICATE_STATUSES",
    "CO_OWNERSHIP",
    "DOCUMENT_KINDS",
    "ENCUMBRANCE_KINDS",
    "PARTNER_KINDS",
    "AuditEvent",
    "Certificate",
    "ElectronicLicense",
    "Encumbrance",
    "HandoverBlocker",
    "HandoverCase",
    "HandoverStageEvent",
    "HandoverSubscription",
    "HousingProject",
    "HousingProof",
    "IssuedDocument",
    "KeyValueEntry",
    "LicenseCopy",
    "NotificationOutbox",
    "Partner",
    "Person",
    "ProjectStageEvent",
    "PropertyRight",
    "RealEstateUnit",
    "RefreshToken",
    "RightHolder",
    "StaffUser",
    "UTCDateTime",
    "WechatAccount",
    "parent_child",
    "utcnow",
]
