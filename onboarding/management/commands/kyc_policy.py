"""The decision policy from the command line: show the one in force, publish a file, list versions.

`kyc_policy publish policy.json` is idempotent (nothing is written when the file's content is
already in force), so a deployment can run it on every release and keep the policy in its repository.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from onboarding.models import PolicyVersion
from onboarding.services.compliance import audit
from onboarding.services.policy import versions


class Command(BaseCommand):
    help = "Show the decision policy in force, publish a JSON file as a new version, or list the versions."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("show", help="print the policy in force as JSON")
        publish = sub.add_parser("publish", help="validate FILE and put it in force (audited)")
        publish.add_argument("file")
        publish.add_argument("--comment", default="", help="why (kept with the version and in the audit trail)")
        publish.add_argument("--version", default=None, help="version name (default: the file's, or the date)")
        publish.add_argument("--check", action="store_true", help="validate only, publish nothing")
        sub.add_parser("versions", help="list the published versions, newest first")

    def handle(self, *args, action, **options):
        if action == "show":
            current = versions.active()
            self.stdout.write(json.dumps({"version": current.version, **current.config}, indent=2, ensure_ascii=False))
        elif action == "versions":
            for row in PolicyVersion.objects.order_by("-id"):
                self.stdout.write(f"{row.version}\t{row.created_at:%Y-%m-%d %H:%M}\t{row.created_by}\t{row.comment}")
        else:
            self._publish(**options)

    def _publish(self, file, comment, version, check, **_options):
        try:
            config = json.loads(Path(file).read_text())
            versions.validate(config)
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"{file}: {exc}") from None
        except versions.PolicyError as exc:
            raise CommandError(
                "\n".join([f"{file}: not a valid policy:"] + [f"  - {p}" for p in exc.problems])
            ) from None
        if check:
            self.stdout.write(f"{file}: valid")
            return
        row, created = versions.publish(
            config,
            actor=audit.Actor.system("kyc_policy"),
            comment=comment or f"published from {Path(file).name}",
            version=version,
        )
        self.stdout.write(f"published {row.version}" if created else f"already in force: {row.version}")
