"""Prove the audit trail intact, or name the first event that was altered, removed or reordered."""

from django.core.management.base import BaseCommand, CommandError

from onboarding.services.compliance import audit_chain
from onboarding.services.policy import versions


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain (exit 0 intact, 1 broken)."

    def add_arguments(self, parser):
        parser.add_argument("--seal", action="store_true", help="seal pending events first")

    def handle(self, *args, seal=False, **options):
        if seal:
            audit_chain.seal_pending(wait=True)
        report = audit_chain.verify()
        if not report.ok:
            where = f" at event #{report.event_id}" if report.event_id is not None else ""
            raise CommandError(
                f"audit trail BROKEN{where}: {report.problem} ({report.events} links verified before it)", returncode=1
            )
        altered = versions.altered_versions()
        if altered:
            raise CommandError(
                f"decision policy version(s) {', '.join(altered)} changed after publication: "
                "the content no longer matches the digest in the audit trail",
                returncode=1,
            )
        self.stdout.write(f"audit trail intact: {report.events} events chained, head {report.head_hash}")
        if report.checkpoint is not None:
            c = report.checkpoint
            self.stdout.write(
                f"the chain starts after checkpoint {c.seq}: retention removed the events written "
                f"through {c.removed_through:%Y-%m-%d %H:%M:%S} ({c.hash[:12]}…)"
            )
        if report.unsealed:
            self.stdout.write(f"{report.unsealed} recent events not sealed yet (sealed within a minute by beat)")
