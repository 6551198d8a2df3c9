"""`manage.py kyc_verify`: one case through the same services and task code."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from onboarding.models import Applicant, Verification
from tests.conftest import face

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def card_path(tmp_path):
    from tests.conftest import id_card_bytes

    def make(name):
        path = tmp_path / f"card_{name}.jpg"
        path.write_bytes(id_card_bytes(name))
        return path

    return make


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("kyc_verify", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_json_output(card_path):
    code, out, _ = run("--selfie", str(face("obama_1")), "--id-card", str(card_path("obama_2")), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["status"] == "needs_review" and data["decision"] == "review"
    assert [r["code"] for r in data["reasons"]] == ["liveness_not_checked"]
    assert {(c["kind"], c["vendor"]) for c in data["checks"]} == {
        ("quality", "local"),
        ("liveness", "local"),
        ("compare", "local"),
    }
    for check in data["checks"]:
        assert {"vendor", "kind", "status", "score", "threshold", "passed"} <= set(check)
    compare = next(c for c in data["checks"] if c["kind"] == "compare")
    assert compare["passed"] is True and compare["score"] > compare["threshold"]
    assert Verification.objects.get().channel == "cli"


def test_table_output_for_a_mismatch(card_path):
    code, out, _ = run("--selfie", str(face("leslie_1")), "--id-card", str(card_path("biden_2")))
    assert code == 0
    assert "rejected" in out and "face_mismatch" in out and "compare" in out


def test_rejected_input_exits_2_with_reason(tmp_path, card_path):
    bad = tmp_path / "selfie.jpg"
    bad.write_bytes(b"<html>not a photo</html>")
    code, out, err = run("--selfie", str(bad), "--id-card", str(card_path("obama_2")), "--json")
    assert code == 2 and out == ""
    assert "selfie" in err and "not_an_image" in err
    assert not Applicant.objects.exists()  # nothing half-stored


def test_missing_file_exits_2(tmp_path, card_path):
    code, _, err = run("--selfie", str(tmp_path / "nope.jpg"), "--id-card", str(card_path("obama_2")))
    assert code == 2 and "cannot read" in err


def test_unknown_vendor_is_refused(card_path):
    with pytest.raises(CommandError, match="unknown vendor"):
        call_command(
            "kyc_verify",
            "--selfie",
            str(face("obama_1")),
            "--id-card",
            str(card_path("obama_2")),
            "--vendors",
            "nosuch",
        )
