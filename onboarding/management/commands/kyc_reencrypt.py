"""Re-encrypt every stored applicant file and face template with the newest key.

Run after adding a key at the front of KYC_ENCRYPTION_KEYS."""

import collections

from django.core.management.base import BaseCommand

from onboarding.models import LivenessChallenge, LivenessDataFile, Photo
from onboarding.services.applicant import analysis
from onboarding.services.compliance import audit
from onboarding.services.identity import documents
from onboarding.services.integrations import webhooks


class Command(BaseCommand):
    help = "Re-encrypt stored photos and liveness files with the first key of KYC_ENCRYPTION_KEYS."

    def handle(self, *args, **options):
        counts = collections.Counter()
        for model, field in ((Photo, "file"), (LivenessDataFile, "file"), (LivenessChallenge, "frames")):
            for item in model.objects.exclude(**{field: ""}).only(field).iterator(chunk_size=500):
                stored = getattr(item, field)
                if not stored.storage.exists(stored.name):
                    counts["missing"] += 1
                    continue
                counts[stored.storage.reencrypt(stored.name)] += 1
        counts["photo analyses re-encrypted"] = analysis.reencrypt()
        counts["identity data re-encrypted"] = documents.reencrypt() + webhooks.reencrypt()
        audit.record("files_reencrypted", actor=audit.Actor.system("kyc_reencrypt"), **dict(counts))
        self.stdout.write(", ".join(f"{n} {what}" for what, n in sorted(counts.items())) or "no files")
