"""The one interface every vendor implements, the one sequence that runs it, and the normalized
result it returns (like django-anymail's backends: one base class, one small module per vendor)."""

from __future__ import annotations

import dataclasses
import enum
import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from .analysis import Analysis


def vendor_setting(vendor: str, key: str, default=""):
    """A vendor's own setting: settings.KYC_VENDORS[vendor][key] when the operator's settings give
    it, else the environment's <VENDOR>_<KEY> (BAIDU_API_KEY), else the vendor module's default."""
    configured = settings.KYC_VENDORS.get(vendor) or {}
    if key in configured:
        return configured[key]
    return os.environ.get(f"{vendor.upper()}_{key}", default)


class CheckKind(str, enum.Enum):
    QUALITY = "quality"
    LIVENESS = "liveness"
    COMPARE = "compare"
    DOCUMENT = "document"  # read the identity document and check what it says
    SCREENING = "screening"  # the person against the sanctions and PEP lists


class Subject(str, enum.Enum):
    """What a check looks at."""

    SELFIE = "selfie"
    ID_CARD = "id_card"
    PAIR = "pair"  # selfie against the ID card portrait
    PERSON = "person"  # who the applicant is: their name, date of birth, nationality


@dataclasses.dataclass(frozen=True)
class ImageInput:
    """A validated, normalized image (see onboarding.services.applicant.images).

    Its bytes are read (a stored photo decrypted) when a check first asks for `data`: the local
    engine's checks that judge the photo's stored analysis never do."""

    read: Callable[[], bytes] = dataclasses.field(repr=False, compare=False)
    content_type: str
    width: int
    height: int
    sha256: str
    # Vendors that fetch images themselves (AceData) get a short-lived signed URL from this.
    url_factory: Callable[[], str] | None = dataclasses.field(default=None, repr=False, compare=False)
    # The photo's stored analysis (vendors.analysis), for a vendor that reads_analysis.
    analysis: Analysis | None = dataclasses.field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, data: bytes, content_type: str, width: int, height: int, sha256: str, **kwargs) -> ImageInput:
        """An image whose bytes are at hand."""
        return cls(lambda: data, content_type, width, height, sha256, **kwargs)

    @functools.cached_property
    def data(self) -> bytes:
        return self.read()


@dataclasses.dataclass(frozen=True)
class ChallengeInput:
    """An active liveness challenge answered in the browser (see vendors.liveness)."""

    moves: list[str]
    frames: list[bytes] = dataclasses.field(repr=False)
    # What was found when the burst arrived and cannot be seen in the frames (expired, replayed).
    prior_reasons: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class PersonInput:
    """Who is screened: the names read from the document or declared, birth date, nationality.
    Personal data: never logged, never put in a check's details."""

    names: list[str] = dataclasses.field(repr=False)
    birth_date: str = dataclasses.field(default="", repr=False)
    nationality: str = dataclasses.field(default="", repr=False)
    source: str = ""  # "document" or "declared"


@dataclasses.dataclass(frozen=True)
class CheckRequest:
    kind: CheckKind
    subject: Subject
    request_id: str  # ours; also the idempotency key sent to vendors that accept one
    selfie: ImageInput | None = None
    id_card: ImageInput | None = None
    id_card_back: ImageInput | None = None  # document checks: the card's back, when it was taken
    liveness_data: bytes | None = dataclasses.field(default=None, repr=False)
    challenge: ChallengeInput | None = None
    # Screening: the person, and the lists to search (the operator's, in the database: the pipeline
    # passes their search, person -> hits as dicts, with the policy's weights).
    person: PersonInput | None = None
    screen: Callable[[PersonInput], list[dict]] | None = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def subject_image(self) -> ImageInput | None:
        return self.id_card if self.subject == Subject.ID_CARD else self.selfie


class ResultStatus(str, enum.Enum):
    COMPLETED = "completed"
    NOT_APPLICABLE = "not_applicable"


@dataclasses.dataclass
class Reason:
    code: str
    message: str

    def as_dict(self):
        return {"code": self.code, "message": str(self.message)}


@dataclasses.dataclass
class CheckResult:
    vendor: str
    kind: CheckKind
    status: ResultStatus = ResultStatus.COMPLETED
    score: float | None = None
    score_scale: str = ""
    threshold: float | None = None
    threshold_source: str = ""
    passed: bool | None = None
    risk_level: str = ""
    risk_tags: list = dataclasses.field(default_factory=list)
    vendor_request_id: str = ""
    latency_ms: int | None = None
    raw_response: dict | list | None = None  # already redacted: no secrets, no image bytes
    details: dict = dataclasses.field(default_factory=dict)
    reasons: list[Reason] = dataclasses.field(default_factory=list)
    # Document checks: what was read ({"type", "fields": {name: {value, confidence, side, box}}}).
    # Personal data: stored encrypted (onboarding.services.identity), never in details or logs.
    document: dict | None = dataclasses.field(default=None, repr=False)


@dataclasses.dataclass(frozen=True)
class Threshold:
    value: float
    source: str


class VendorBackend:
    """Base class: one subclass per vendor, registered in vendors.registry.

    run() is the one sequence every vendor goes through: skip what the vendor cannot judge
    (not_applicable), check its settings, build the request, send it, parse the answer into a
    CheckResult (a vendor's error codes mapped onto vendors.exceptions on the way). Subclasses set
    `name`, `kinds`, `score_scales`, `default_thresholds` and `settings_defaults`, and fill in the
    hooks. The defaults suit a vendor that computes in this process (the local engine, test
    doubles): the request is the CheckRequest and "sending" it runs check_<kind>().
    """

    name: str = ""
    label: str = ""
    kinds: frozenset[CheckKind] = frozenset()
    score_scales: dict[CheckKind, str] = {}
    # kind -> Threshold(value, where the value comes from in the vendor's documents)
    default_thresholds: dict[CheckKind, Threshold] = {}
    # The vendor's settings and their defaults, read through setting() (docs/configuration.md);
    # those in required_settings must be set before a call.
    settings_defaults: dict[str, str] = {}
    required_settings: tuple[str, ...] = ()
    # What a check sends besides the photos. Only these are decrypted for the vendor: biometric
    # data it will not look at stays sealed, and costs no work.
    reads_challenge: bool = False  # the active-liveness burst (liveness checks)
    reads_liveness_data: bool = False  # a mobile SDK's liveness file
    reads_analysis: bool = False  # the photo's stored analysis (vendors.analysis): the local engine
    # The work is done here, on the CPU, holding the GIL (the local engine): costs no vendor money,
    # and a check whose call does that work (works_in_call) runs in its own task, since on a thread
    # beside network calls it would stall their answers' storing.
    computes_locally: bool = False
    # The vendor's documented score-to-false-accept-rate tables (vendors.calibration.Calibration).
    calibrations: tuple = ()

    def works_in_call(self, kind, *, challenge: bool = True) -> bool:
        """Whether this kind of check does its CPU work during its call (`challenge`: whether the
        case has an active-liveness challenge). One that computes locally from the photos' analyses
        only (which the case's task makes before it claims its checks and calls their vendors), or
        does nothing at all, may go in the case's task with the network checks."""
        return self.computes_locally

    def judges_analysis(self, kind) -> bool:
        """Whether this kind of check judges the photos' stored analyses and does nothing else in its
        call: in a case's task with network checks, the task makes those analyses before its claim."""
        return self.reads_analysis and not self.works_in_call(kind)

    def setting(self, key: str):
        return vendor_setting(self.name, key, self.settings_defaults.get(key, ""))

    def setting_name(self, key: str) -> str:
        """The environment variable that sets `key`."""
        return f"{self.name.upper()}_{key}"

    # Error reports (mail to ADMINS) blank every variable of this frame and of all frames below it:
    # adapters hold tokens, signatures and image bytes, requests holds the headers and bodies.
    @sensitive_variables()
    def run(self, request: CheckRequest) -> CheckResult:
        if not self.supports(request.kind):
            raise ValueError(f"{self.name} does not do {request.kind.value} checks")
        skipped = self.not_applicable(request)
        if skipped is not None:
            return skipped
        self.check_configured(request)
        outgoing = self.build_request(request)
        answer = self.send_request(outgoing)
        return self.parse_response(answer, outgoing, request)

    # The hooks, in the order run() calls them ---------------------------------------------

    def not_applicable(self, request: CheckRequest) -> CheckResult | None:
        """A NOT_APPLICABLE result when this vendor cannot judge this case (nothing is sent)."""
        return None

    def check_configured(self, request: CheckRequest) -> None:
        missing = [self.setting_name(key) for key in self.required_settings if not self.setting(key)]
        if missing:
            raise ConfigurationError(f"{', '.join(missing)} not set", code="no_credentials")

    def build_request(self, request: CheckRequest):
        return request

    def send_request(self, outgoing):
        return getattr(self, f"check_{outgoing.kind.value}")(outgoing)

    def parse_response(self, answer, outgoing, request: CheckRequest) -> CheckResult:
        return answer

    def supports(self, kind: CheckKind) -> bool:
        return CheckKind(kind) in self.kinds

    def threshold(self, kind: CheckKind) -> Threshold | None:
        kind = CheckKind(kind)
        key = f"{self.name}_{kind.value}"
        if key in settings.KYC_THRESHOLDS:
            return Threshold(settings.KYC_THRESHOLDS[key], f"setting KYC_THRESHOLD_{key.upper()}")
        return self.default_thresholds.get(kind)

    def score_passes(self, kind: CheckKind, score: float, threshold: float, details: dict) -> bool | None:
        """Whether a score passes a threshold, the way this vendor's check judges it.

        None: the score alone does not decide (the policy's what-if replay leaves such checks as
        they were). Subclasses override where their rule differs from "higher passes, from the
        threshold on".
        """
        return score >= threshold

    def judge(
        self,
        result: CheckResult,
        *,
        higher_is_better: bool = True,
        threshold: Threshold | None = None,
    ) -> CheckResult:
        """Fill threshold, its source and pass/fail from the configured (or the given) threshold."""
        threshold = threshold or self.threshold(result.kind)
        result.score_scale = result.score_scale or self.score_scales.get(result.kind, "")
        if threshold is not None and result.score is not None:
            result.threshold = threshold.value
            result.threshold_source = threshold.source
            if higher_is_better:
                result.passed = result.score >= threshold.value
            else:
                result.passed = result.score <= threshold.value
        return result
