"""Scores on the common scale: documented tables and the local engine's measured curve, on known scores."""

import json
import math

import pytest

from onboarding.models import Check
from onboarding.services.policy import scoring, versions
from vendors import calibration


def far(vendor, score, kind="compare"):
    return calibration.estimate(vendor, kind, score)


@pytest.mark.parametrize(
    "score,expected", [(0.4, 1e-1), (0.5, 1e-2), (0.6, 1e-3), (0.7, 1e-4), (0.8, 1e-5), (0.9, 1e-6)]
)
def test_linkface_documented_points(score, expected):
    estimate = far("linkface", score)
    assert estimate.relation == "=" and math.isclose(estimate.value, expected, rel_tol=1e-9)
    assert "LinkFace" in estimate.source


def test_linkface_between_and_beyond_the_table():
    between = far("linkface", 0.65)
    assert between.relation == "=" and math.isclose(between.value, 10**-3.5, rel_tol=1e-9)
    assert (far("linkface", 0.95).relation, far("linkface", 0.95).value) == ("<", 1e-6)
    assert (far("linkface", 0.3).relation, far("linkface", 0.3).value) == (">", 1e-1)
    assert str(far("linkface", 0.95)) == "< 1.0e-06" and str(far("linkface", 0.7)) == "≈ 1.0e-04"


def test_linkface_score_for_a_far_target():
    table = calibration.calibration("linkface", "compare")
    assert table.score_for(1e-4) == pytest.approx(0.7) and table.score_for(1e-3) == pytest.approx(0.6)
    assert table.score_for(10**-4.5) == pytest.approx(0.75)
    assert table.score_for(1e-7) is None and table.score_for(0.2) is None  # outside the documented table


def test_baidu_single_point_gives_bounds():
    assert (far("baidu", 85).relation, far("baidu", 85).value) == ("≤", 1e-4)
    assert (far("baidu", 79.9).relation, far("baidu", 79.9).value) == (">", 1e-4)
    table = calibration.calibration("baidu", "compare")
    assert table.score_for(1e-4) == 80 and table.score_for(1e-3) is None and table.score_for(1e-5) is None


def test_no_far_for_liveness_or_unknown_vendors():
    assert far("acedata", 90, "liveness") is None and far("tencent", 90, "liveness") is None
    assert far("linkface", 0.1, "liveness") is None


def test_local_curve_is_the_measured_impostor_share(settings, tmp_path):
    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps({"identities": 3, "impostor_scores": [10, 20, 30, 40]}))
    settings.KYC_CALIBRATION_LOCAL_COMPARE = str(path)
    assert (far("local", 25).relation, far("local", 25).value) == ("=", 0.5)  # 30 and 40 of 4
    assert (far("local", 40).relation, far("local", 40).value) == ("=", 0.25)
    assert (far("local", 41).relation, far("local", 41).value) == ("<", 0.25)  # cannot tell below 1/N
    table = calibration.calibration("local", "compare")
    assert table.score_for(0.25) > 30 and table.score_for(0.25) <= 30.0001  # one impostor (40) allowed
    assert table.score_for(0.1) is None  # four pairs cannot show 1e-1


def test_shipped_local_curve_cannot_show_small_rates():
    table = calibration.calibration("local", "compare")
    assert table.method == "measured" and table.resolution == pytest.approx(1 / 32)
    assert far("local", 70).relation == "<" and table.score_for(1e-4) is None


def compare(vendor, score, threshold, passed, scale="0-100 similarity"):
    reasons = [] if passed else [{"code": "face_mismatch", "message": "no match"}]
    return Check(
        vendor=vendor,
        kind="compare",
        subject="pair",
        status=Check.Status.COMPLETED,
        score=score,
        threshold=threshold,
        passed=passed,
        score_scale=scale,
        reasons=reasons,
        threshold_source="vendor document",
    )


def policy(**config):
    return versions.Policy("p1", versions.complete(config))


def test_a_far_target_becomes_each_vendors_threshold():
    p = policy(far={"compare": {"accept": 1e-3}})
    check = scoring.apply_policy(compare("linkface", 0.65, 0.7, False, "0-1 verify_score"), p)
    assert check.passed is True and check.threshold == pytest.approx(0.6) and check.reasons == []
    assert "FAR ≤ 0.001" in check.threshold_source and check.far == pytest.approx(10**-3.5)
    # A raw threshold in the policy wins over the FAR target for that vendor.
    p = policy(far={"compare": {"accept": 1e-3}}, thresholds={"linkface.compare": 0.66})
    check = scoring.apply_policy(compare("linkface", 0.65, 0.7, False, "0-1 verify_score"), p)
    assert check.passed is False and check.threshold == 0.66 and "thresholds linkface.compare" in check.threshold_source


def test_without_a_policy_threshold_the_vendor_judgement_stands():
    check = scoring.apply_policy(compare("baidu", 85, 80, True), policy())
    assert check.passed and check.threshold == 80 and check.threshold_source == "vendor document"
    assert (check.far, check.far_relation) == (1e-4, "≤")
