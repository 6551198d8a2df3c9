"""Field accuracy of the document reader on a labelled folder (`manage.py evaluate_documents DIR`).

A labelled document is `NAME.jpg` (the front or the passport page), optionally `NAME.back.jpg`, and
`NAME.json`: {"type": one of reader.TYPES, "fields": {name: value}, "checks": {check: outcome}} with
the values as the reader gives them (ISO dates, M/F, ICAO codes). Any `checks` listed are compared
too (a generated card with a wrong check digit expects "number_check_digit": "failed").
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import statistics
import time
from collections import defaultdict
from pathlib import Path

from . import ocr, reader

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif")  # what an upload may be


@dataclasses.dataclass
class Labelled:
    name: str
    front: Path
    back: Path | None
    truth: dict


def labelled_documents(directory: Path) -> list[Labelled]:
    """The folder's labelled documents: each NAME.json with its NAME.jpg (any upload format, the
    suffix in any case: a camera's .JPG) and NAME.back.jpg if there is one. A label that is not
    JSON raises ValueError, naming it."""
    pages = {
        path.name[: -len(path.suffix)].casefold(): path
        for path in sorted(directory.iterdir(), reverse=True)  # the first suffix in name order wins
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES
    }
    found = []
    for label in sorted(directory.glob("*.json")):
        stem = label.stem
        front = pages.get(stem.casefold())
        if front is None:
            continue
        try:
            truth = json.loads(label.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{label.name} is not a JSON label: {exc}") from None
        found.append(Labelled(stem, front, pages.get(f"{stem}.back".casefold()), truth))
    return found


def evaluate(documents: list[Labelled], *, lines, read=Path.read_bytes, today: datetime.date | None = None) -> dict:
    """Per type: documents, type detected, read; per field: expected, correct (exact); the checks
    expected; CPU seconds per page (of `lines`).

    A page is `read(path)` (manage.py evaluate_documents: stored as an upload is; a ValueError, a
    page an upload would refuse, counts it as read empty and lists it in `refused`), then its lines
    are `lines(data, portrait=...)` (there: turned upright as the document check turns a page)."""
    today = today or datetime.date.today()
    by_type = defaultdict(
        lambda: {
            "documents": 0,
            "type_detected": 0,
            "readable": 0,
            "checks_expected": 0,
            "checks_as_expected": 0,
            "fields": defaultdict(lambda: [0, 0]),
        }
    )
    cpu = []
    misses, refused = [], []

    def page(path, portrait, timed=True):
        try:
            data = read(path)
        except ValueError as exc:
            if timed:
                refused.append(f"{path.name}: {exc}")
            return []
        started = time.process_time()
        found = lines(data, portrait=portrait)
        if timed:
            cpu.append(time.process_time() - started)
        return found

    page(documents[0].front, True, timed=False)  # the models load on the first reading: not timed
    for doc in documents:
        front = page(doc.front, True)
        back = None if doc.back is None else page(doc.back, False)
        reading = reader.read(front, back, today=today)
        expected_type = doc.truth.get("type", reader.UNKNOWN)
        row = by_type[expected_type]
        row["documents"] += 1
        row["type_detected"] += reading.type == expected_type
        row["readable"] += reading.readable
        for name, value in doc.truth.get("fields", {}).items():
            got = reading.value(name)
            row["fields"][name][0] += 1
            row["fields"][name][1] += got == value
            if got != value:
                misses.append({"document": doc.name, "field": name})
        outcomes = {c["check"]: c["outcome"] for c in reading.checks}
        for check, outcome in doc.truth.get("checks", {}).items():
            row["checks_expected"] += 1
            row["checks_as_expected"] += outcomes.get(check) == outcome
    types = {}
    for name, row in sorted(by_type.items()):
        fields = {
            f: {"expected": n, "correct": ok, "accuracy": round(ok / n, 4)}
            for f, (n, ok) in sorted(row["fields"].items())
        }
        types[name] = {**{k: v for k, v in row.items() if k != "fields"}, "fields": fields}
    totals = defaultdict(lambda: [0, 0])
    for row in by_type.values():
        for f, (n, ok) in row["fields"].items():
            totals[f][0] += n
            totals[f][1] += ok
    return {
        "documents": len(documents),
        "pages": len(cpu),
        "cpu_seconds_per_page": {
            "mean": round(statistics.fmean(cpu), 3) if cpu else None,
            "p50": round(statistics.median(cpu), 3) if cpu else None,
            "max": round(max(cpu), 3) if cpu else None,
        },
        "by_type": types,
        "by_field": {
            f: {"expected": n, "correct": ok, "accuracy": round(ok / n, 4)} for f, (n, ok) in sorted(totals.items())
        },
        "misses": misses,
        "refused": refused,
        "reader": ocr.version(),
    }
