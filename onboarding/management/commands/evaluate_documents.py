"""Measure the document reader on labelled documents (vendors.documents.evaluation), each page read
as the local document check reads it: stored as an upload is, turned upright as the check turns it."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from onboarding.management.evaluation import as_stored
from vendors.analysis import card_text
from vendors.documents.evaluation import evaluate, labelled_documents


class Command(BaseCommand):
    help = "Field accuracy per field and per document type, and CPU per page, on a labelled folder."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="NAME.jpg [+ NAME.back.jpg] + NAME.json per document")
        parser.add_argument("--out", type=Path, help="write the figures as JSON here")

    def handle(self, *args, **options):
        directory = options["directory"]
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder")
        try:
            documents = labelled_documents(directory)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if not documents:
            raise CommandError("no labelled document (NAME.jpg beside NAME.json) in the folder")
        figures = evaluate(documents, read=as_stored, lines=card_text)
        if options["out"]:
            options["out"].write_text(json.dumps(figures, indent=2, ensure_ascii=False))
        w = self.stdout.write
        cpu = figures["cpu_seconds_per_page"]
        w(f"documents {figures['documents']}, pages {figures['pages']}")
        w(f"CPU per page p50 {cpu['p50']} s, max {cpu['max']} s")
        w(f"reader    {figures['reader']}")
        if figures["refused"]:
            w(f"refused   {', '.join(figures['refused'])} (read as empty)")
        for name, row in figures["by_type"].items():
            n = row["documents"]
            w(
                f"{name:15} {n:4} documents, type detected {row['type_detected']}/{n}, read {row['readable']}/{n}"
                + (
                    f", checks as expected {row['checks_as_expected']}/{row['checks_expected']}"
                    if row["checks_expected"]
                    else ""
                )
            )
            for field, f in row["fields"].items():
                w(f"    {field:18} {f['correct']:4}/{f['expected']:<4} {100 * f['accuracy']:6.1f} %")
        w("all types")
        for field, f in figures["by_field"].items():
            w(f"    {field:18} {f['correct']:4}/{f['expected']:<4} {100 * f['accuracy']:6.1f} %")
