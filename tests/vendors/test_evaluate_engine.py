"""`manage.py evaluate_engine`: figures on a known set, and the FAR threshold arithmetic."""

import io
import json
import shutil

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from tests.conftest import face, jpeg_bytes
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


def test_photos_are_read_as_uploads_are_stored(tmp_path):
    # An iPhone's HEIC is read as an upload of it is; a file an upload would refuse is skipped, with why.
    for person, names in (("obama", ("obama_1", "obama_2")), ("biden", ("biden_1", "biden_2"))):
        (tmp_path / person).mkdir()
        for name in names:
            shutil.copy(face(name), tmp_path / person / f"{name}.jpg")
    (tmp_path / "obama" / "obama_2.jpg").unlink()
    shutil.copy(face("obama_1").with_suffix(".heic"), tmp_path / "obama" / "IMG_0001.HEIC")
    (tmp_path / "biden" / "tiny.jpg").write_bytes(jpeg_bytes(Image.new("RGB", (120, 90))))
    out = io.StringIO()
    call_command("evaluate_engine", str(tmp_path), "--out", str(tmp_path / "report"), stdout=out)
    figures = json.loads((tmp_path / "report" / "evaluation.json").read_text())
    assert figures["photos"] == 4 and figures["genuine_pairs"] == 2 and figures["impostor_pairs"] == 4
    assert figures["skipped"] == ["biden/tiny.jpg: refused as an upload (too_small)"]
    assert figures["true_accept_rate"] == 1.0 and figures["false_accept_rate"] == 0.0


def test_a_persons_photos_at_any_depth_hidden_files_left_out(tmp_path):
    # A person's folder sorted into selfies/ and documents/; a Mac's .DS_Store and ._ copies are no photos.
    (tmp_path / "obama" / "selfies").mkdir(parents=True)
    (tmp_path / "obama" / "documents").mkdir()
    shutil.copy(face("obama_1"), tmp_path / "obama" / "selfies" / "1.jpg")
    shutil.copy(face("obama_2"), tmp_path / "obama" / "documents" / "1.jpg")
    (tmp_path / "obama" / "documents" / "._1.jpg").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    (tmp_path / "obama" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (tmp_path / "biden").mkdir()
    shutil.copy(face("biden_1"), tmp_path / "biden" / "1.jpg")
    (tmp_path / "biden" / "2.jpg").write_bytes(jpeg_bytes(Image.new("RGB", (120, 90))))
    out = io.StringIO()
    call_command("evaluate_engine", str(tmp_path), "--out", str(tmp_path / "report"), stdout=out)
    figures = json.loads((tmp_path / "report" / "evaluation.json").read_text())
    assert figures["photos"] == 3 and figures["genuine_pairs"] == 1 and figures["impostor_pairs"] == 2
    assert figures["skipped"] == ["biden/2.jpg: refused as an upload (too_small)"]  # which 2.jpg: its folder says
    assert figures["true_accept_rate"] == 1.0


def test_rates_and_roc_are_the_shares_at_each_threshold():
    rng = np.random.default_rng(7)
    genuine = np.round(rng.normal(68, 6, 300).clip(0, 100), 2).tolist()
    impostor = np.round(rng.normal(25, 8, 5000).clip(0, 100), 2).tolist()
    e = Evaluation(2, 4, [], genuine=genuine, impostor=impostor, threshold=50)

    def share(scores, t):
        return sum(s >= t for s in scores) / len(scores)

    points = e.roc()
    thresholds = [t for _far, _tar, t in points]
    assert thresholds == sorted(set(genuine + impostor + [0.0, 100.0]))
    for far, tar, t in points[:: len(points) // 50]:
        assert far == share(impostor, t) and tar == share(genuine, t)
    assert e.far == share(impostor, 50) and e.tar == share(genuine, 50)
    figures = e.as_dict()
    assert figures["impostor_scores"] == sorted(impostor) and figures["genuine_scores"] == sorted(genuine)
