"""`manage.py evaluate_documents`: each page read as the local document check reads it."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from tests.conftest import jpeg_bytes
from tests.documents import pages
from vendors.documents.evaluation import labelled_documents


def _turned(data: bytes, degrees: int) -> bytes:
    """The photo's pixels turned, as a phone without an orientation sensor would save it (no EXIF)."""
    return jpeg_bytes(Image.open(io.BytesIO(data)).rotate(degrees, expand=True))


def test_pages_are_read_as_the_check_reads_them(tmp_path):
    person = pages.Person(latin_surname="LI", latin_given="NA", sex="F", passport_number="E87654321")
    passport = {
        "type": "passport",
        "fields": {
            "surname": "LI",
            "given_names": "NA",
            "date_of_birth": person.born.isoformat(),
            "sex": "F",
            "nationality": "CHN",
            "expiry_date": person.expires.isoformat(),
            "document_number": "E87654321",
        },
    }
    # Held sideways: the check turns the page upright by its portrait before reading it. A camera's
    # file name (.JPG) is the page of passport.json.
    (tmp_path / "passport.JPG").write_bytes(_turned(pages.photograph(pages.passport(person, face="biden_1.jpg")), 90))
    (tmp_path / "passport.json").write_text(json.dumps(passport))
    # A file an upload would refuse is read as nothing, and listed.
    (tmp_path / "tiny.jpg").write_bytes(jpeg_bytes(Image.new("RGB", (120, 90))))
    (tmp_path / "tiny.json").write_text(json.dumps({"type": "passport", "fields": {"surname": "X"}}))
    out = io.StringIO()
    call_command("evaluate_documents", str(tmp_path), "--out", str(tmp_path / "figures.json"), stdout=out)
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert figures["refused"] == ["tiny.jpg: refused as an upload (too_small)"]
    assert "refused   tiny.jpg: refused as an upload (too_small) (read as empty)" in out.getvalue()
    assert figures["pages"] == 1  # the refused page is not timed
    row = figures["by_type"]["passport"]
    assert row["documents"] == 2 and row["type_detected"] == 1
    assert all(f["correct"] == 1 for f in row["fields"].values() if f["expected"] == 1)
    assert figures["misses"] == [{"document": "tiny", "field": "surname"}]


def test_labels_meet_their_pages_whatever_the_suffixs_case(tmp_path):
    for name in ("card.jpeg", "card.back.PNG", "passport.HEIC", "alone.jpg"):
        (tmp_path / name).write_bytes(b"")
    for name in ("card", "passport", "nothing"):
        (tmp_path / f"{name}.json").write_text(json.dumps({"type": "unknown", "fields": {}}))
    found = {d.name: (d.front.name, d.back and d.back.name) for d in labelled_documents(tmp_path)}
    assert found == {"card": ("card.jpeg", "card.back.PNG"), "passport": ("passport.HEIC", None)}


def test_a_label_that_is_not_json_is_named(tmp_path):
    (tmp_path / "card.jpg").write_bytes(b"")
    (tmp_path / "card.json").write_text('{"type": "passport", "fields": {"surname": "LI",}}')
    with pytest.raises(CommandError, match="card.json is not a JSON label"):
        call_command("evaluate_documents", str(tmp_path))
