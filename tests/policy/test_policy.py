"""The decision policy on known sets of checks (unsaved rows: the policy is a pure function)."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.models import Check, Decision
from onboarding.services.policy import rules, versions

T0 = timezone.now()
_made = itertools.count(1)  # each check a moment later than the one before


def check(kind, subject="selfie", status=Check.Status.COMPLETED, passed=True, **kw):
    n = next(_made)
    return Check(
        kind=kind,
        subject=subject,
        vendor=kw.pop("vendor", "local"),
        status=status,
        passed=passed,
        created_at=T0 + timedelta(seconds=n),
        **kw,
    )


def evaluate(checks, **config):
    """The policy alone, no database: the built-in policy, or one with `config` over it."""
    return rules.evaluate(checks, policy=versions.Policy("test", versions.complete(config)))


def good():
    return [
        check("quality", "selfie"),
        check("quality", "id_card"),
        check("liveness", score=90, threshold=40),
        check("compare", "pair", score=70, threshold=50),
    ]


def codes(evaluation):
    return [r["code"] for r in evaluation.reasons]


def test_all_passed_approves():
    e = evaluate(good())
    assert e.outcome == Decision.Outcome.APPROVE and codes(e) == ["all_checks_passed"]


def test_local_liveness_not_applicable_needs_review():
    checks = good()
    checks[2] = check("liveness", status=Check.Status.NOT_APPLICABLE, passed=None)
    e = evaluate(checks)
    assert e.outcome == Decision.Outcome.REVIEW and codes(e) == ["liveness_not_checked"]


def test_clear_mismatch_rejects():
    checks = good()
    checks[3] = check("compare", "pair", passed=False, score=20, threshold=50)
    assert codes(evaluate(checks)) == ["face_mismatch"]
    assert evaluate(checks).outcome == Decision.Outcome.REJECT


@pytest.mark.parametrize("score,outcome", [(46, Decision.Outcome.REVIEW), (44.9, Decision.Outcome.REJECT)])
def test_compare_review_margin(score, outcome):
    checks = good()
    checks[3] = check("compare", "pair", passed=False, score=score, threshold=50, score_scale="0-100 similarity")
    assert evaluate(checks, review_margin=0.05).outcome == outcome


@pytest.mark.parametrize("score,outcome", [(0.66, Decision.Outcome.REVIEW), (0.64, Decision.Outcome.REJECT)])
def test_review_margin_is_a_share_of_the_scale(score, outcome):
    # 0.05 of a 0-1 scale is 0.05, not 5 points: LinkFace's 0.3 is no longer "borderline" at 0.7.
    checks = good()
    checks[3] = check(
        "compare",
        "pair",
        passed=False,
        score=score,
        threshold=0.7,
        vendor="linkface",
        score_scale="0-1 verify_score, higher is the same person",
    )
    assert evaluate(checks, review_margin=0.05).outcome == outcome


def test_quality_failure_rejects_with_fixable_reason():
    checks = good()
    checks[0] = check("quality", passed=False, reasons=[{"code": "blurry", "message": "blurry"}])
    e = evaluate(checks)
    assert e.outcome == Decision.Outcome.REJECT
    assert e.reasons[0]["code"] == "blurry" and e.reasons[0]["fixable"] is True


def test_bad_input_failure_rejects_fixable():
    checks = good()
    checks[3] = check(
        "compare",
        "pair",
        status=Check.Status.FAILED,
        passed=None,
        error_category="bad_input",
        error_code="no_face",
        reasons=[{"code": "no_face", "message": "no face"}],
    )
    e = evaluate(checks)
    assert e.outcome == Decision.Outcome.REJECT and e.reasons[0]["fixable"]


def test_vendor_failure_needs_review():
    checks = good()
    checks[2] = check("liveness", status=Check.Status.FAILED, passed=None, error_category="retryable", error_code="429")
    e = evaluate(checks)
    assert e.outcome == Decision.Outcome.REVIEW and codes(e) == ["check_error"]


def test_failed_vendor_replaced_by_fallback_counts_only_the_fallback():
    checks = good()
    failed = check(
        "compare", "pair", status=Check.Status.FAILED, passed=None, error_category="retryable", vendor="other"
    )
    failed.created_at = T0 - timedelta(seconds=10)
    assert evaluate([failed] + checks).outcome == Decision.Outcome.APPROVE


def test_missing_check_kind_needs_review():
    e = evaluate([c for c in good() if c.kind != "compare"])
    assert e.outcome == Decision.Outcome.REVIEW and codes(e) == ["compare_not_checked"]


def test_reject_wins_over_review_and_keeps_both_reasons():
    checks = good()
    checks[2] = check("liveness", status=Check.Status.NOT_APPLICABLE, passed=None)
    checks[3] = check("compare", "pair", passed=False, score=10, threshold=50)
    e = evaluate(checks)
    assert e.outcome == Decision.Outcome.REJECT and codes(e) == ["face_mismatch", "liveness_not_checked"]


def test_liveness_verdict_on_a_compare_check_rejects_as_liveness():
    checks = good()
    checks[3] = check(
        "compare",
        "pair",
        passed=False,
        score=None,
        vendor="baidu",
        reasons=[{"code": "liveness_failed", "message": "x"}],
    )
    e = evaluate(checks)
    assert e.outcome == Decision.Outcome.REJECT and codes(e) == ["liveness_failed"]
