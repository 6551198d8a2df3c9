"""Print a new random key for KYC_ENCRYPTION_KEYS (base64 of 32 bytes)."""

from django.core.management.base import BaseCommand

from onboarding.encryption import new_key


class Command(BaseCommand):
    help = "Print a new encryption key; put it first in KYC_ENCRYPTION_KEYS, then run kyc_reencrypt."

    def handle(self, *args, **options):
        self.stdout.write(new_key())
