"""The app's models, one module per domain; the app label stays "onboarding"."""

from .applicant_flow import AttemptSlot, Branding, Handoff, LivenessChallenge, challenge_path
from .audit import AuditChainHead, AuditCheckpoint, AuditEvent, AuditPendingSeal, AuditSeal
from .base import AppendOnlyModel, AppendOnlyQuerySet, photo_path, private_storage
from .blocklist import BlocklistEntry, BlocklistMatch
from .cases import RISK_LEVELS, Applicant, Check, DuplicateSignal, LivenessDataFile, Photo, PhotoAnalysis, Verification
from .identity import DeclaredIdentity, DocumentReading
from .integrations import (
    ApiClient,
    ApiKey,
    IdempotencyRecord,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    validate_webhook_url,
)
from .policy import PolicyVersion
from .retention import ErasureReceipt, LegalHold
from .review import Decision, OverturnRequest, ReviewCase, ReviewReason
from .screening import (
    ScreeningEntry,
    ScreeningFrequentKey,
    ScreeningHit,
    ScreeningKey,
    ScreeningListVersion,
    ScreeningSource,
)

__all__ = [
    "private_storage",
    "photo_path",
    "AppendOnlyQuerySet",
    "AppendOnlyModel",
    "RISK_LEVELS",
    "Applicant",
    "Photo",
    "PhotoAnalysis",
    "DeclaredIdentity",
    "BlocklistEntry",
    "BlocklistMatch",
    "ScreeningSource",
    "ScreeningListVersion",
    "ScreeningEntry",
    "ScreeningKey",
    "ScreeningHit",
    "ScreeningFrequentKey",
    "DocumentReading",
    "Verification",
    "Check",
    "LivenessDataFile",
    "DuplicateSignal",
    "ReviewCase",
    "Decision",
    "OverturnRequest",
    "ReviewReason",
    "AuditEvent",
    "AuditPendingSeal",
    "AuditChainHead",
    "AuditSeal",
    "AuditCheckpoint",
    "PolicyVersion",
    "LegalHold",
    "ErasureReceipt",
    "validate_webhook_url",
    "ApiClient",
    "ApiKey",
    "IdempotencyRecord",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookDelivery",
    "challenge_path",
    "LivenessChallenge",
    "Handoff",
    "AttemptSlot",
    "Branding",
]
