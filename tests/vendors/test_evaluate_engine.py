"""`manage.py evaluate_engine`: figures on a known set, and the FAR threshold arithmetic."""

import io
import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import face
from vendors.evaluation import Evaluation


@pytest.fixture
def labelled(tmp_path):
    root = tmp_path / "people"
    for name in ("obama_1", "obama_2", "biden_1", "biden_2", "leslie_1", "leslie_2", "two_people"):
        person = name.rsplit("_", 1)[0]
        (root / person).mkdir(parents=True, exist_ok=True)
        shutil.copy(face(name), root / person / f"{name}.jpg")
    return root


def test_figures_plot_and_json(labelled, tmp_path):
    out = io.StringIO()
    call_command("evaluate_engine", str(labelled), "--out", str(tmp_path / "report"), stdout=out)
    text = out.getvalue()
    assert "3 same person, 12 different" in text  # three people with two photos each
    assert "true-accept rate      1.0000" in text and "false-accept rate     0.0000" in text
    assert "two_people.jpg: 2 faces" in text
    figures = json.loads((tmp_path / "report" / "evaluation.json").read_text())
    assert figures["genuine_pairs"] == 3 and figures["impostor_pairs"] == 12 and figures["threshold"] == 50
    assert figures["far_target_resolvable"] is False  # 12 pairs cannot measure 1e-3
    assert figures["threshold_for_far_target"] > max(figures["impostor_scores"])
    assert (tmp_path / "report" / "roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_needs_two_people(tmp_path):
    (tmp_path / "one").mkdir()
    shutil.copy(face("obama_1"), tmp_path / "one" / "a.jpg")
    with pytest.raises(CommandError):
        call_command("evaluate_engine", str(tmp_path))


def test_far_threshold_on_known_scores():
    impostor = [float(i) for i in range(1000)]  # 0 .. 999 scaled below
    e = Evaluation(2, 4, [], genuine=[60.0, 70.0], impostor=[s / 10 for s in impostor], threshold=50)
    assert e.far == pytest.approx(0.5) and e.tar == 1.0
    t, resolvable = e.threshold_for_far(1e-3)
    assert resolvable and e.rate(e.impostor, t) <= 1e-3 and e.rate(e.impostor, t - 0.1) > 1e-3
    t, resolvable = Evaluation(2, 4, [], [60.0], [10.0, 20.0, 30.0], 50).threshold_for_far(1e-3)
    assert not resolvable and t == 30.01
