"""Imports every model, so that ``Base.metadata`` is complete for Alembic and the tests."""

from app.aftercare.models import Consent, FollowUpVisit, RehabilitationService
from app.agencies.models import Agency
from app.audit.models import AccessLogEntry, AuditEvent, SecurityLogEntry
from app.auth.models import AuthSession, AuthThrottle, RefreshToken
from app.cases.models import (
    BlindIndex,
    Case,
    CaseAssignee,
    CaseCodeSequence,
    CaseExploitation,
    CaseNote,
    CaseReport,
    IdentityRecord,
    RescueEvent,
    RescueEventAgency,
)
from app.clients.models import MachineClient
from app.compensation.models import CompensationClaim, CompensationClaimAct
from app.db import Base
from app.deadlines.models import Deadline
from app.documents.models import Document
from app.idempotency.models import IdempotencyRecord
from app.ledger.models import Checkpoint, LogLeaf, LogNode
from app.orders.models import Order
from app.referrals.models import Referral, ReferralAct
from app.transfers.models import Transfer, TransferAct, TransferDocument
from app.users.models import User, UserRole

__all__ = [
    "AccessLogEntry",
    "Agency",
    "AuditEvent",
    "AuthSession",
    "AuthThrottle",
    "Base",
    "BlindIndex",
    "Case",
    "CaseAssignee",
    "CaseCodeSequence",
    "CaseExploitation",
    "CaseNote",
    "CaseReport",
    "Checkpoint",
    "CompensationClaim",
    "CompensationClaimAct",
    "Consent",
    "Deadline",
    "Document",
    "FollowUpVisit",
    "IdempotencyRecord",
    "IdentityRecord",
    "LogLeaf",
    "LogNode",
    "MachineClient",
    "Order",
    "Referral",
    "ReferralAct",
    "RefreshToken",
    "RehabilitationService",
    "RescueEvent",
    "RescueEventAgency",
    "SecurityLogEntry",
    "Transfer",
    "TransferAct",
    "TransferDocument",
    "User",
    "UserRole",
]
