"""The decision policy as versioned configuration: what is required, thresholds, what sends a case
to review, how cases are routed to vendors.

The newest PolicyVersion row is in force; with none, the built-in default below (from settings).
A policy is a JSON object; every key is optional and falls back to the default:

    {
      "required": ["quality", "liveness", "compare"],
      "thresholds": {"baidu.compare": 82},              raw thresholds per vendor.kind
      "far": {"compare": {"accept": 1e-4, "review": 1e-3}},
      "review_margin": 0.05,                            share of the score's scale, where no FAR is known
      "review_on": ["compare_borderline", "presentation_attack_suspected", "duplicate_face",
                    "duplicate_photo", "high_risk", "velocity"],
      "risk": {"review_level": "2", "near_margin": 0.05, "velocity_hours": 24, "velocity_attempts": 3},
      "blocklist": "review",                            or "reject": a face or number on the blocklist
      "document": {"min_age": 18, "expiring_within_days": 30,
                   "outcomes": {"document_number_invalid": "reject", "document_unreadable": "review", ...}},
      "screening": {"threshold": 88, "min_name_score": 82, "dob_match": 8, "dob_year": 3,
                    "dob_differs": -20, "nationality_match": 3, "nationality_differs": -4},
      "routing": {"compare": {"vendors": [{"vendor": "local", "weight": 70},
                                          {"vendor": "baidu", "weight": 30, "off": false}],
                              "shadow": "linkface"}}
    }

Publishing validates the whole object, refuses what would not run, and is an audited action.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time

from django.conf import settings
from django.core.signals import setting_changed
from django.db import transaction
from django.utils import timezone

from onboarding.models import AuditEvent, PolicyVersion
from onboarding.services.compliance import audit
from onboarding.services.compliance.audit_chain import canonical_sha256
from vendors.base import CheckKind
from vendors.registry import UnknownVendor, get_backend
from vendors.screening.matching import DEFAULTS as SCREENING_DEFAULTS

KINDS = [k.value for k in CheckKind]
# Signals that may send an otherwise approvable case to review (a required check that could not
# be done always does: nothing is approved unchecked).
REVIEW_SIGNALS = {
    "compare_borderline": "a failed compare close to its threshold (else: reject)",
    "presentation_attack_suspected": "the passive heuristics flag a photo of a screen or a print",
    "duplicate_face": "the same face under another applicant",
    "duplicate_photo": "the same photo under another applicant",
    "high_risk": "the case's risk level is at or above risk.review_level",
    "velocity": "more than risk.velocity_attempts submissions by one applicant within risk.velocity_hours",
}
RISK_DEFAULTS = {"review_level": "2", "near_margin": 0.05, "velocity_hours": 24, "velocity_attempts": 3}
# What each finding of a document check does to the case (docs/reasons.md): "reject", "review", or
# "note" (kept in the risk reasons only).
DOCUMENT_OUTCOMES = {
    "document_number_invalid": "reject",
    "mrz_check_failed": "reject",
    "document_expired": "reject",
    "underage": "reject",
    "document_inconsistent": "review",
    "document_unreadable": "review",
    "declared_data_mismatch": "review",
    "document_expiring": "review",
    "document_expiry_unknown": "review",
}
DOCUMENT_DEFAULTS = {"min_age": 18, "expiring_within_days": 30, "outcomes": DOCUMENT_OUTCOMES}


class PolicyError(ValueError):
    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclasses.dataclass(frozen=True)
class Route:
    kind: str
    vendors: tuple[tuple[str, int], ...]  # (vendor, weight), enabled only, in the configured order
    shadow: str | None = None

    @property
    def every_vendor(self) -> list[str]:
        """Every vendor the route may send a case to: deciding, fallbacks and shadow."""
        return [name for name, _weight in self.vendors] + ([self.shadow] if self.shadow else [])

    def plan(self, key: str) -> list[str]:
        """The vendors for one case, deciding one first (picked by weight), then the fallbacks in order.

        The pick hashes the case id with the kind, so a case always gets the same vendor and the
        shares hold over many cases.
        """
        weighted = [(v, w) for v, w in self.vendors if w > 0]
        if not weighted:
            return [v for v, _w in self.vendors]
        bucket = int(hashlib.sha256(f"{key}:{self.kind}".encode()).hexdigest()[:12], 16) % sum(w for _v, w in weighted)
        for vendor, weight in weighted:  # noqa: B007 (the vendor the loop stops at is the pick)
            if bucket < weight:
                break
            bucket -= weight
        return [vendor] + [v for v, _w in self.vendors if v != vendor]


def _kind(kind) -> str:
    # CheckKind is a str enum whose str() is "CheckKind.COMPARE" and whose hash is not its value's.
    return getattr(kind, "value", kind)


@dataclasses.dataclass(frozen=True)
class Policy:
    version: str
    config: dict
    built_in: bool = False

    def required(self, kind) -> bool:
        return _kind(kind) in self.config["required"]

    def raw_threshold(self, vendor, kind) -> float | None:
        return self.config["thresholds"].get(f"{vendor}.{_kind(kind)}")

    def far_targets(self, kind) -> tuple[float | None, float | None]:
        targets = self.config["far"].get(_kind(kind)) or {}
        return targets.get("accept"), targets.get("review")

    def reviews_on(self, signal) -> bool:
        return signal in self.config["review_on"]

    @property
    def review_margin(self) -> float:
        return self.config["review_margin"]

    @property
    def risk(self) -> dict:
        return self.config["risk"]  # complete() filled in the defaults

    @property
    def document(self) -> dict:
        return self.config["document"]  # complete() filled in the defaults

    @property
    def screening(self) -> dict:
        """Name-matching threshold and evidence weights (vendors.screening.matching)."""
        return self.config["screening"]  # complete() filled in the defaults

    def document_outcome(self, code) -> str:
        return self.config["document"]["outcomes"].get(code, "review")

    def route(self, kind) -> Route:
        kind = _kind(kind)
        routing = self.config["routing"].get(kind)
        if routing is None:  # not in the policy: KYC_<KIND>_VENDORS, the first deciding, the rest fallbacks
            names = settings.KYC_CHECK_VENDORS.get(kind, [])
            return Route(kind, tuple((n, 100 if i == 0 else 0) for i, n in enumerate(names)))
        return Route(
            kind,
            tuple((v["vendor"], int(v.get("weight", 0))) for v in routing.get("vendors", []) if not v.get("off")),
            routing.get("shadow") or None,
        )


def default_config() -> dict:
    # Documents and screening are required where a vendor does them (KYC_DOCUMENT_VENDORS and
    # KYC_SCREENING_VENDORS, on by default).
    optional = (CheckKind.DOCUMENT.value, CheckKind.SCREENING.value)  # required where a vendor is set for them
    required = [k for k in KINDS if k not in optional or settings.KYC_CHECK_VENDORS.get(k)]
    return {
        "required": required,
        "thresholds": {},
        "far": {},
        "review_margin": settings.KYC_REVIEW_MARGIN,
        "review_on": list(REVIEW_SIGNALS),
        "risk": dict(RISK_DEFAULTS),
        "document": {**DOCUMENT_DEFAULTS, "outcomes": dict(DOCUMENT_OUTCOMES)},
        # A face or document number on the blocklist: "review" (at risk level 1) or "reject".
        "blocklist": "review",
        "screening": dict(SCREENING_DEFAULTS),
        "routing": {},
    }


def complete(config: dict) -> dict:
    """The config with every missing key taken from the default."""
    full = default_config()
    full.update({k: v for k, v in config.items() if k != "version"})
    full["risk"] = {**RISK_DEFAULTS, **(config.get("risk") or {})}
    full["screening"] = {**SCREENING_DEFAULTS, **(config.get("screening") or {})}
    document = config.get("document") or {}
    full["document"] = {
        **DOCUMENT_DEFAULTS,
        **document,
        "outcomes": {**DOCUMENT_OUTCOMES, **(document.get("outcomes") or {})},
    }
    return full


def digest(config: dict) -> str:
    return canonical_sha256(config)


def built_in() -> Policy:
    return Policy(settings.KYC_POLICY_VERSION, complete({}), built_in=True)


# Every stored answer asks which policy is in force, so a process remembers the answer for
# MEMO_SECONDS instead of asking the database each time. Publishing forgets it at once in its own
# process; other processes take a new policy up within that time (a case then is decided under the
# policy its decision records). The built-in policy follows settings, so changing one forgets too.
MEMO_SECONDS = 1.0
_remembered: tuple[float, Policy] | None = None


def active() -> Policy:
    global _remembered
    now, memo = time.monotonic(), _remembered
    if memo is not None and now - memo[0] < MEMO_SECONDS:
        return memo[1]
    policy = _read_active()
    _remembered = (now, policy)
    return policy


def forget(**_signal):
    global _remembered
    _remembered = None


setting_changed.connect(forget)


def _read_active() -> Policy:
    row = PolicyVersion.objects.order_by("-id").only("version", "config").first()
    return built_in() if row is None else Policy(row.version, complete(row.config))


def _backend_for(vendor, kind, where, problems):
    try:
        backend = get_backend(vendor)
    except UnknownVendor:
        problems.append(f"{where}: unknown vendor {vendor!r}")
        return None
    if not backend.supports(kind):
        problems.append(f"{where}: {vendor} does not do {kind} checks")
        return None
    return backend


def _number(value, where, problems, *, low, high, integer=False):
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and low <= value <= high and (not integer or float(value).is_integer())
    if not ok:
        problems.append(f"{where}: a number from {low} to {high}{' (whole)' if integer else ''}, not {value!r}")
    return ok


def validate(config) -> dict:
    """The completed config, or PolicyError listing every problem."""
    if not isinstance(config, dict):
        raise PolicyError(["the policy is a JSON object"])
    problems = []
    known = set(default_config()) | {"version"}
    problems += [f"unknown key {k!r}" for k in config if k not in known]
    full = complete(config)
    if not isinstance(full["required"], list) or not set(full["required"]) <= set(KINDS):
        problems.append(f"required: a list of {', '.join(KINDS)}")
    for key, value in (full["thresholds"] or {}).items():
        vendor, _, kind = key.partition(".")
        if kind not in KINDS:
            problems.append(f"thresholds.{key}: vendor.kind, kind one of {', '.join(KINDS)}")
        elif _backend_for(vendor, kind, f"thresholds.{key}", problems):
            _number(value, f"thresholds.{key}", problems, low=0, high=100)
    for kind, targets in (full["far"] or {}).items():
        if kind != CheckKind.COMPARE.value:
            problems.append(f"far.{kind}: only compare scores have a false-accept rate")
            continue
        if not isinstance(targets, dict) or set(targets) - {"accept", "review"}:
            problems.append(f"far.{kind}: an object with accept and review")
            continue
        for name in ("accept", "review"):
            if targets.get(name) is not None:
                _number(targets[name], f"far.{kind}.{name}", problems, low=1e-9, high=0.5)
        accept, review = targets.get("accept"), targets.get("review")
        if review is not None and (accept is None or review < accept):
            problems.append(f"far.{kind}.review: a rate at least far.{kind}.accept (the band below acceptance)")
    _number(full["review_margin"], "review_margin", problems, low=0, high=0.5)
    if not isinstance(full["review_on"], list):
        problems.append("review_on: a list")
    else:
        problems += [
            f"review_on: unknown signal {s!r} (known: {', '.join(REVIEW_SIGNALS)})"
            for s in full["review_on"]
            if s not in REVIEW_SIGNALS
        ]
    risk = full["risk"]
    problems += [f"unknown key risk.{k!r}" for k in risk if k not in RISK_DEFAULTS]
    if risk["review_level"] not in ("1", "2", "3", "4", None):
        problems.append('risk.review_level: "1", "2", "3", "4" or null')
    _number(risk["near_margin"], "risk.near_margin", problems, low=0, high=0.5)
    _number(risk["velocity_hours"], "risk.velocity_hours", problems, low=0.1, high=24 * 365)
    _number(risk["velocity_attempts"], "risk.velocity_attempts", problems, low=1, high=1000, integer=True)
    if full["blocklist"] not in ("review", "reject"):
        problems.append(f"blocklist: review or reject, not {full['blocklist']!r}")
    document = full["document"]
    problems += [f"unknown key document.{k!r}" for k in document if k not in DOCUMENT_DEFAULTS]
    _number(document["min_age"], "document.min_age", problems, low=0, high=120, integer=True)
    _number(document["expiring_within_days"], "document.expiring_within_days", problems, low=0, high=3650, integer=True)
    for code, outcome in document["outcomes"].items():
        if code not in DOCUMENT_OUTCOMES:
            problems.append(f"document.outcomes: unknown finding {code!r} (known: {', '.join(DOCUMENT_OUTCOMES)})")
        elif outcome not in ("reject", "review", "note"):
            problems.append(f"document.outcomes.{code}: reject, review or note, not {outcome!r}")
    screening = full["screening"]
    problems += [f"unknown key screening.{k!r}" for k in screening if k not in SCREENING_DEFAULTS]
    for key in ("threshold", "min_name_score"):
        _number(screening[key], f"screening.{key}", problems, low=50, high=100)
    for key in ("dob_match", "dob_year", "nationality_match"):
        _number(screening[key], f"screening.{key}", problems, low=0, high=50)
    for key in ("dob_differs", "nationality_differs"):
        _number(screening[key], f"screening.{key}", problems, low=-100, high=0)
    for kind, routing in (full["routing"] or {}).items():
        _validate_route(kind, routing, problems)
    if problems:
        raise PolicyError(problems)
    return full


def _validate_route(kind, routing, problems):
    where = f"routing.{kind}"
    if kind not in KINDS:
        problems.append(f"{where}: unknown check kind")
        return
    if not isinstance(routing, dict) or set(routing) - {"vendors", "shadow"}:
        problems.append(f"{where}: an object with vendors and shadow")
        return
    vendors = routing.get("vendors") or []
    names = []
    for i, entry in enumerate(vendors):
        at = f"{where}.vendors[{i}]"
        if not isinstance(entry, dict) or "vendor" not in entry or set(entry) - {"vendor", "weight", "off"}:
            problems.append(f"{at}: an object with vendor, weight and off")
            continue
        _backend_for(entry["vendor"], kind, at, problems)
        _number(entry.get("weight", 0), f"{at}.weight", problems, low=0, high=100, integer=True)
        if not isinstance(entry.get("off", False), bool):
            problems.append(f"{at}.off: true or false")
        names.append(entry["vendor"])
    if len(set(names)) != len(names):
        problems.append(f"{where}.vendors: a vendor listed twice")
    weights = [e.get("weight", 0) for e in vendors if isinstance(e, dict)]
    if all(isinstance(w, (int, float)) for w in weights) and weights and sum(weights) != 100:
        problems.append(f"{where}.vendors: the weights add up to 100 (percent of cases), not {sum(weights)}")
    shadow = routing.get("shadow")
    if shadow:
        _backend_for(shadow, kind, f"{where}.shadow", problems)
        if shadow in names:
            problems.append(f"{where}.shadow: {shadow} already decides this kind; a shadow is another vendor")


def _next_version(today) -> str:
    prefix = today.strftime("%Y-%m-%d")
    taken = set(PolicyVersion.objects.filter(version__startswith=prefix).values_list("version", flat=True))
    n = 1
    while f"{prefix}.{n}" in taken:
        n += 1
    return f"{prefix}.{n}"


def publish(
    config: dict, *, actor: audit.Actor, comment: str = "", version: str | None = None
) -> tuple[PolicyVersion | None, bool]:
    """Make `config` the policy in force. (row, created); nothing is written when it is already in force."""
    full = validate(config)
    version = (version or config.get("version") or "").strip() or None
    with transaction.atomic():
        # One publisher at a time, so "the newest row" is always the one just validated against.
        PolicyVersion.objects.select_for_update().order_by("-id").first()
        current = _read_active()
        if digest(full) == digest(current.config) and (version is None or version == current.version):
            return PolicyVersion.objects.order_by("-id").first(), False
        version = version or _next_version(timezone.localdate())
        if PolicyVersion.objects.filter(version=version).exists():
            raise PolicyError([f"version {version!r} exists already; a new version needs a new name"])
        row = PolicyVersion.objects.create(
            version=version, config=full, digest=digest(full), comment=comment, created_by=actor.label
        )
        audit.record(
            "policy_published",
            actor=actor,
            version=version,
            previous_version=current.version,
            digest=row.digest,
            comment=comment,
            changed=changed_keys(current.config, full),
        )
        forget()  # this transaction's own reads see the new row
        transaction.on_commit(forget)  # and no read made meanwhile outlives the commit
    return row, True


def changed_keys(before: dict, after: dict) -> list[str]:
    keys = sorted(set(before) | set(after))
    return [k for k in keys if json.dumps(before.get(k), sort_keys=True) != json.dumps(after.get(k), sort_keys=True)]


def altered_versions() -> list[str]:
    """Policy versions whose content no longer matches the digest their publication audited.

    The audit event is in the hash chain, so a version edited by SQL (row and digest column
    alike) is found here. Versions whose event retention has removed cannot be checked.
    """
    audited = {
        e["data"].get("version"): e["data"].get("digest")
        for e in AuditEvent.objects.filter(action="policy_published").values("data")
    }
    return [
        row.version
        for row in PolicyVersion.objects.order_by("id")
        if row.version in audited and audited[row.version] != digest(row.config)
    ]
