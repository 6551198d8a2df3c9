"""Measure the local engine's face compare on labelled photos (one subfolder per person), each read
as a check reads it: stored as an upload is."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from onboarding.management.evaluation import as_stored
from vendors.base import CheckKind
from vendors.evaluation import evaluate, labelled_photos, plot_roc
from vendors.registry import get_backend


class Command(BaseCommand):
    help = "Pairs tried, TAR and FAR at the threshold, the threshold for a target FAR; writes a ROC plot and JSON."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument("--threshold", type=float, help="default: the configured local compare threshold")
        parser.add_argument("--far", type=float, default=1e-3, help="target false-accept rate (default 1e-3)")
        parser.add_argument("--out", type=Path, default=Path("."), help="folder for roc.png and evaluation.json")
        parser.add_argument(
            "--by-prefix",
            action="store_true",
            help="a flat folder of person_N.jpg files instead of one subfolder per person",
        )

    def handle(self, *args, **options):
        directory = options["directory"]
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a folder")
        groups = labelled_photos(directory, by_prefix=options["by_prefix"])
        if len(groups) < 2:
            raise CommandError("need photos of at least two people (one subfolder each, or --by-prefix)")
        threshold = options["threshold"]
        if threshold is None:
            threshold = get_backend("local").threshold(CheckKind.COMPARE).value
        result = evaluate(groups, threshold, read=as_stored, root=directory)
        figures = result.as_dict(options["far"])
        out = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        (out / "evaluation.json").write_text(json.dumps(figures, indent=2))
        plot_roc(result, out / "roc.png")
        t_far = figures["threshold_for_far_target"]
        w = self.stdout.write
        w(
            f"identities            {figures['identities']} ({figures['photos']} photos; skipped: "
            f"{', '.join(figures['skipped']) or 'none'})"
        )
        w(f"pairs tried           {figures['genuine_pairs']} same person, {figures['impostor_pairs']} different")
        w(f"threshold             {threshold:g}")
        w(f"true-accept rate      {figures['true_accept_rate']:.4f}")
        w(f"false-accept rate     {figures['false_accept_rate']:.4f}")
        note = (
            ""
            if figures["far_target_resolvable"]
            else (
                f"  (not resolvable: {figures['impostor_pairs']} impostor pairs cannot measure {options['far']:g}; "
                f"this is only above every impostor score seen)"
            )
        )
        w(f"threshold for FAR {options['far']:g}  {t_far}{note}")
        w(f"wrote {out / 'roc.png'} and {out / 'evaluation.json'}")
