"""Test settings: the real settings with tasks run eagerly and a throwaway var/.

Only unit tests run eagerly; tests marked `worker` start a real worker on a real broker.
"""

import os
import tempfile

os.environ.setdefault("KYC_VAR_DIR", tempfile.mkdtemp(prefix="kyc-test-var-"))
os.environ.setdefault("DJANGO_DEBUG", "true")

from kyc.settings import *  # noqa: E402,F401,F403

CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
KYC_VENDOR_RETRY_BASE_SECONDS = 0.0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not :memory:, so a worker process can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405
STATIC_ROOT = VAR_DIR / "static"  # noqa: F405
STATIC_ROOT.mkdir(exist_ok=True)
# Live-server threads must not keep connections open past the test (the test database is dropped after).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# The duplicate scan is a dlib pass per photo on every submission; tests/admin/test_review.py turns it on.
KYC_DUPLICATE_SCAN = False
# Reading the card is an OCR pass per case; tests/documents/ turn it on with cards that can be read.
# Screening needs imported lists; tests/screening/ turn it on with theirs.
KYC_CHECK_VENDORS = {**KYC_CHECK_VENDORS, "document": [], "screening": []}  # noqa: F405
# Each commit seals its own events at once, so a test sees the chain complete after each action;
# the sealer thread has its own tests (tests/compliance/test_audit_chain.py).
KYC_AUDIT_SEAL_DELAY_MS = 0
# The webhook tests' receivers listen on loopback over plain http: allowed here only
# (tests/integrations/test_webhook_targets.py checks the production rules).
KYC_WEBHOOK_ALLOW_HTTP = True
KYC_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
