"""docs/licences.md is true: every model file the engine loads and every runtime package is listed,
and what runs by default allows commercial use."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image

from vendors import blazeface, engine

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "licences.md").read_text()


def table(heading: str) -> dict[str, list[str]]:
    """The rows of the table under `heading`, by their first cell."""
    section = PAGE.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| ---")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows[1:]]  # after the header
    return {row[0].strip("`"): row for row in cells}


def commercial_use_allowed(row) -> bool:
    return row[3].startswith("yes")


@pytest.mark.parametrize("landmarks_68", [False, True])
def test_the_engine_loads_only_listed_model_files(landmarks_68):
    models = table("Model files")
    loaded = engine.FaceEngine(landmarks_68=landmarks_68).model_files
    assert loaded and set(loaded) <= set(models), f"not in docs/licences.md: {set(loaded) - set(models)}"
    if not landmarks_68:  # the default: only what a business may run
        assert all(commercial_use_allowed(models[name]) for name in loaded)
    else:
        assert not commercial_use_allowed(models[engine.LANDMARKS_68])


def test_the_default_engine_is_the_commercially_usable_one(settings):
    settings.KYC_ENGINE_68_POINT_LANDMARKS = False
    engine._engine = None
    try:
        assert engine.get_engine().model_files == (engine.LANDMARKS_5, engine.EMBEDDING, blazeface.MODEL)
    finally:
        engine._engine = None


def test_opting_in_to_the_68_point_model_is_warned_about(settings, capsys):
    settings.KYC_ENGINE_68_POINT_LANDMARKS = True
    call_command("check")
    assert "kyc.W004" in capsys.readouterr().err


def test_every_runtime_package_is_listed():
    locked = {
        m.group(1).lower()
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if (m := re.match(r"^([A-Za-z0-9_.-]+)==", line))
    }
    listed = {name.lower() for name in table("Runtime packages")}
    assert locked and locked - listed == set(), "pinned in requirements.lock, missing from docs/licences.md"
    assert listed - locked == set(), "in docs/licences.md, no longer pinned in requirements.lock"


def test_document_reading_loads_only_listed_commercially_usable_model_files(monkeypatch):
    """Every ONNX model the OCR engine opens is in the table, and may be used commercially."""
    import onnxruntime

    from vendors.documents import ocr

    opened = []
    real = onnxruntime.InferenceSession.__init__

    def recording(self, path_or_bytes, *args, **kwargs):
        opened.append(Path(str(path_or_bytes)).name)
        real(self, path_or_bytes, *args, **kwargs)

    monkeypatch.setattr(onnxruntime.InferenceSession, "__init__", recording)
    monkeypatch.setattr(ocr, "_reader", None)
    image = io.BytesIO()
    Image.new("RGB", (320, 240), "white").save(image, "JPEG")
    ocr.read_text(image.getvalue())  # the models load on the first reading
    models = table("Model files")
    assert opened and set(opened) <= set(models), f"not in docs/licences.md: {set(opened) - set(models)}"
    assert all(commercial_use_allowed(models[name]) for name in opened)


def test_document_reading_needs_no_network(monkeypatch):
    """The OCR models ship inside the wheel: loading them and reading a page opens no connection."""
    import socket

    from vendors.documents import ocr

    def refuse(*args, **kwargs):
        raise AssertionError("the document reader tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(ocr, "_reader", None)
    image = io.BytesIO()
    Image.new("RGB", (320, 240), "white").save(image, "JPEG")
    assert ocr.read_text(image.getvalue()) == []
