"""The blocklist from the command line: add a case's faces and document number, remove, list."""

import uuid

from django.core.management.base import BaseCommand, CommandError

from onboarding.models import BlocklistEntry, Verification
from onboarding.services.compliance import audit
from onboarding.services.faces import blocklist


class Command(BaseCommand):
    help = "Add a case's faces (and document number) to the blocklist with a reason, remove entries, list them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="bar a case's faces and document number")
        add.add_argument("--case", required=True, help="the verification's id")
        add.add_argument("--reason", required=True)
        remove = sub.add_parser("remove", help="take an entry off the blocklist")
        remove.add_argument("entry", help="the entry's id")
        remove.add_argument("--why", default="")
        sub.add_parser("list", help="every entry, newest first")

    def handle(self, *args, **options):
        actor = audit.Actor.system("kyc_blocklist")
        w = self.stdout.write
        if options["action"] == "add":
            try:
                case_id = uuid.UUID(options["case"])
            except ValueError:
                raise CommandError(f"not a case id: {options['case']}") from None
            verification = Verification.objects.select_related("selfie", "id_card").filter(pk=case_id).first()
            if verification is None:
                raise CommandError(f"no case {options['case']}")
            try:
                entries = blocklist.add_case(verification, reason=options["reason"], actor=actor)
            except blocklist.BlocklistError as exc:
                raise CommandError(str(exc)) from None
            for entry in entries:
                w(f"added {entry.pk} {entry.kind} {entry.source_photo_kind}")
        elif options["action"] == "remove":
            try:
                entry_id = uuid.UUID(options["entry"])
            except ValueError:
                raise CommandError(f"not an entry id: {options['entry']}") from None
            if not blocklist.remove(entry_id, actor=actor, why=options["why"]):
                raise CommandError(f"no blocklist entry {options['entry']}")
            w(f"removed {options['entry']}")
        else:
            for entry in BlocklistEntry.objects.order_by("-created_at"):
                w(
                    f"{entry.pk}  {entry.created_at:%Y-%m-%d %H:%M}  {entry.kind:8}  "
                    f"case {entry.source_verification_id or '-'}  {entry.created_by}: {entry.reason}"
                )
