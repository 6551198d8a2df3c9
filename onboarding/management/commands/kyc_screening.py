"""Sanctions and PEP lists from the command line: import a file, screen a name, list the sources."""

import json
import re

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from onboarding.models import ScreeningListVersion, ScreeningSource
from onboarding.services.compliance import audit
from onboarding.services.policy import versions
from onboarding.services.screening import lists, search
from vendors.screening import formats, matching


class Command(BaseCommand):
    help = "Import a sanctions or PEP list file (a new version of its source), screen a name, list the sources."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser(
            "import",
            help="import a list file: FtM JSON lines, targets.simple.csv, the UN's, OFAC's, the EU's, the UK's, "
            "Switzerland's or Canada's XML, a CSV",
        )
        imp.add_argument("file")
        imp.add_argument("--source", help="the list's name here (default: from the file's name)")
        imp.add_argument("--format", choices=formats.FORMATS, help="default: detected from the first line")
        imp.add_argument(
            "--shrink",
            action="store_true",
            help="the list really lost more than half its entries (otherwise such a file is refused as cut short)",
        )
        find = sub.add_parser("search", help="screen one person against every list")
        find.add_argument("name", help='the name, quoted: "Viktor Bout"')
        find.add_argument("--alias", action="append", default=[], help="another name of the same person")
        find.add_argument("--dob", default="", help="date of birth, YYYY-MM-DD")
        find.add_argument("--nationality", default="", help="ISO 3166 code")
        find.add_argument("--json", action="store_true")
        sub.add_parser("lists", help="the imported sources and their latest versions")

    def handle(self, *args, **options):
        w = self.stdout.write
        if options["action"] == "import":
            path = options["file"]
            source = options["source"] or slugify(re.sub(r"\.[a-z.]+$", "", path.rsplit("/", 1)[-1])) or "list"
            try:
                with open(path, "rb") as f:
                    version = lists.import_file(
                        f,
                        source=source,
                        actor=audit.Actor.system("kyc_screening"),
                        fmt=options["format"],
                        file_name=path.rsplit("/", 1)[-1],
                        shrink=options["shrink"],
                    )
            except OSError as exc:
                raise CommandError(f"cannot read {path}: {exc.strerror}") from None
            except formats.ListFormatError as exc:
                raise CommandError(f"{path}: {exc}") from None
            w(
                f"{source} version {version.version}: {version.total} entries "
                f"({version.added} added, {version.changed} changed, {version.removed} removed)"
            )
        elif options["action"] == "search":
            person = matching.Person.of([options["name"], *options["alias"]], options["dob"], options["nationality"])
            hits = search.screen(person, versions.active().screening)
            if options["json"]:
                w(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=2))
                return
            for h in hits:
                w(f"{h.match.score:5.1f}  {h.entry.source.name}:{h.entry.key}  {h.entry.caption}  ({h.match.why})")
            if not hits:
                w("no match")
        else:
            for source in ScreeningSource.objects.all():
                latest = ScreeningListVersion.objects.filter(source=source).order_by("-version").first()
                w(
                    f"{source.name:20} v{source.version}  {source.entry_count} entries  "
                    f"{source.updated_at:%Y-%m-%d %H:%M}  by {latest.imported_by if latest else '-'}"
                )
