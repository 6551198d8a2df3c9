"""Startup checks (`manage.py check`, run by every command) that the timing and retention settings fit together.

Each rule keeps one guarantee: a vendor call ends before its task's time limit; a task is
killed before another worker may take its check over; the broker never re-delivers a task
that is still running or still waiting for its countdown.
"""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register("kyc")
def timing_settings(app_configs=None, **kwargs):
    s = settings
    errors = []
    # Baidu makes two calls in one task (token, then match).
    call = 2 * (s.KYC_VENDOR_CONNECT_TIMEOUT + s.KYC_VENDOR_READ_TIMEOUT)
    soft, hard, lease = s.CELERY_TASK_SOFT_TIME_LIMIT, s.CELERY_TASK_TIME_LIMIT, s.KYC_CHECK_LEASE_SECONDS
    # Then storing the answers may wait for the database (KYC_STORE_RETRY_SECONDS).
    if call + s.KYC_STORE_RETRY_SECONDS >= soft:
        errors.append(
            Error(
                f"Two vendor calls may take {call:g}s and storing their answers {s.KYC_STORE_RETRY_SECONDS:g}s more, "
                f"not less than CELERY_TASK_SOFT_TIME_LIMIT ({soft}s).",
                hint="Lower KYC_VENDOR_READ_TIMEOUT or KYC_STORE_RETRY_SECONDS, or raise CELERY_TASK_SOFT_TIME_LIMIT.",
                id="kyc.E001",
            )
        )
    if soft >= hard:
        errors.append(
            Error(
                f"CELERY_TASK_SOFT_TIME_LIMIT ({soft}s) must be below CELERY_TASK_TIME_LIMIT ({hard}s).", id="kyc.E002"
            )
        )
    if hard >= lease:
        errors.append(
            Error(
                f"KYC_CHECK_LEASE_SECONDS ({lease}s) must exceed CELERY_TASK_TIME_LIMIT ({hard}s): otherwise a "
                "second worker may take over a check whose first worker is still calling the vendor.",
                id="kyc.E003",
            )
        )
    visibility = (getattr(s, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}).get("visibility_timeout")
    if visibility is not None:
        longest_wait = max(lease, s.KYC_VENDOR_RETRY_MAX_SECONDS, s.KYC_CIRCUIT_OPEN_SECONDS) + 2
        if visibility <= longest_wait:
            errors.append(
                Error(
                    f"CELERY_VISIBILITY_TIMEOUT ({visibility}s) must exceed the check lease, the longest retry "
                    f"backoff and the circuit's open period ({longest_wait:g}s): Redis re-delivers a task not "
                    "acknowledged within it, even one still waiting for its countdown.",
                    id="kyc.E004",
                )
            )
    if s.KYC_DECISION_DEADLINE_SECONDS <= max(s.KYC_STALLED_AFTER_SECONDS, lease):
        errors.append(
            Warning(
                "KYC_DECISION_DEADLINE_SECONDS is not above KYC_STALLED_AFTER_SECONDS and the lease: stalled cases "
                "go to review without being resumed once.",
                id="kyc.W001",
            )
        )
    return errors


@register("kyc")
def retention_settings(app_configs=None, **kwargs):
    days = settings.KYC_RETENTION_DAYS
    problems = [
        Error(
            f"KYC_RETAIN_{kind.upper()}_DAYS is {value}: a number of days, 0 for no period of its own.", id="kyc.E005"
        )
        for kind, value in days.items()
        if value < 0
    ]
    if problems:
        return problems
    decisions, audit_trail = days["decisions"] or float("inf"), days["audit_trail"] or float("inf")
    for kind in ("photos", "liveness_files", "vendor_responses"):
        if days[kind] > decisions:
            problems.append(
                Warning(
                    f"KYC_RETAIN_{kind.upper()}_DAYS ({days[kind]}) is longer than KYC_RETAIN_DECISIONS_DAYS "
                    f"({days['decisions']}): a case's {kind.replace('_', ' ')} go with the case, at the shorter one.",
                    id="kyc.W002",
                )
            )
    if audit_trail < decisions:
        problems.append(
            Warning(
                f"KYC_RETAIN_AUDIT_TRAIL_DAYS ({days['audit_trail']}) is shorter than KYC_RETAIN_DECISIONS_DAYS "
                f"({days['decisions'] or 'no period'}): kept cases would lose the trail that proves how they were "
                "decided.",
                id="kyc.W003",
            )
        )
    return problems


@register("kyc")
def model_licences(app_configs=None, **kwargs):
    """The engine's models must allow commercial use unless the operator opts out knowingly."""
    if not settings.KYC_ENGINE_68_POINT_LANDMARKS:
        return []
    return [
        Warning(
            "KYC_ENGINE_68_POINT_LANDMARKS is on: dlib's 68-point landmark model is trained on iBUG 300-W, "
            "whose licence excludes commercial use; its author says it cannot be used in a commercial product.",
            hint="Turn it off (the default: the 5-point model, free to use) unless your use is not commercial. "
            "docs/licences.md lists every model's terms.",
            id="kyc.W004",
        )
    ]


@register("kyc", deploy=True)
def support_contact(app_configs=None, databases=None, **kwargs):
    """A rejected applicant is told whom to contact: part of setting up a deployment."""
    if settings.KYC_SUPPORT_CONTACT:
        return []
    try:
        from onboarding.services.applicant.branding import current

        if current().support:
            return []
    except Exception:  # no database yet (before migrate): say it anyway
        pass
    return [
        Warning(
            "No support contact: a rejected applicant's page can only send them back to your business.",
            hint="Set KYC_SUPPORT_CONTACT (an address or a page) or the support contact in the admin's branding.",
            id="kyc.W005",
        )
    ]
