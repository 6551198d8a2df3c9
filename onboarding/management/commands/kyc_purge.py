"""Run retention now (beat runs it every KYC_RETENTION_INTERVAL_SECONDS), or show what is due."""

from django.core.management.base import BaseCommand

from onboarding.services.compliance import retention


class Command(BaseCommand):
    help = "Delete the data past its retention period (KYC_RETAIN_*_DAYS); --dry-run only counts it."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what is due, delete nothing")

    def handle(self, *args, dry_run=False, **options):
        periods = ", ".join(f"{k} {v or 'no period'}{' days' if v else ''}" for k, v in retention.periods().items())
        self.stdout.write(f"retention periods: {periods}")
        if dry_run:
            for kind, count in retention.due_summary().items():
                self.stdout.write(f"due: {kind}: {count}")
            return
        done = retention.purge()
        if not done:
            self.stdout.write("nothing was due")
        for kind, count in sorted(done.items()):
            self.stdout.write(f"purged: {kind}: {count}")
