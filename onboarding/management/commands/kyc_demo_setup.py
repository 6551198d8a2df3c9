"""Create (or refresh) the demo admin account for `make run` and print how to get in; import a small
made-up sanctions list so that cases are screened (a deployment imports real lists)."""

import io
import json
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from vendors.registry import get_backend

DEMO_USERNAME = "demo-admin"


class Command(BaseCommand):
    help = "Create the demo admin account (local runs only) and print its credentials and the URLs."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            self.stderr.write(
                "kyc_demo_setup is for local runs (DJANGO_DEBUG=true); create staff with createsuperuser."
            )
            return
        path = settings.VAR_DIR / "demo-admin-password"
        if path.exists():
            password = path.read_text().strip()
        else:
            password = secrets.token_urlsafe(12)
            path.write_text(password)
            path.chmod(0o600)
        user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self._demo_list()
        base = options["base_url"].rstrip("/")
        line = "=" * 64
        self.stdout.write(
            f"\n{line}\n kyc is starting on the embedded default (SQLite, local engine)\n\n"
            f"   Applicant flow : {base}/\n"
            f"   Review (admin) : {base}/admin/\n"
            f"   Admin login    : {DEMO_USERNAME} / {password}\n"
            f"   Vendor sandbox : {get_backend('baidu').base_url} (liveness: "
            f"{', '.join(settings.KYC_CHECK_VENDORS['liveness'])}; compare: "
            f"{', '.join(settings.KYC_CHECK_VENDORS['compare'])})\n"
            f"   Screening list : demo, 3 made-up people (declare the name Ivan Demoshenko to see a match)\n"
            f"{line}\n"
        )

    def _demo_list(self):
        from onboarding.models import ScreeningSource
        from onboarding.services.compliance import audit
        from onboarding.services.screening import lists

        if ScreeningSource.objects.exists():
            return
        people = [  # made up: no real person
            ("demo-1", "Ivan Demoshenko", ["Iwan Demoschenko"], "1966-02-03", "xx"),
            ("demo-2", "Zhou Demo", ["周德谟"], "1970-07-07", "xx"),
            ("demo-3", "Maria Exemplo", [], "1980", "xx"),
        ]
        lines = [
            json.dumps(
                {
                    "id": pid,
                    "schema": "Person",
                    "properties": {"name": [name], "alias": aliases, "birthDate": [born], "nationality": [country]},
                    "datasets": ["demo"],
                },
                ensure_ascii=False,
            )
            for pid, name, aliases, born, country in people
        ]
        lists.import_file(
            io.BytesIO("\n".join(lines).encode()), source="demo", actor=audit.Actor.system("kyc_demo_setup")
        )
