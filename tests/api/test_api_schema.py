"""schemathesis fuzzes the API from its own OpenAPI schema: no request may cause a server error."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from onboarding.models import ApiClient
from onboarding.services.integrations.api_keys import create_key

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_server_errors_under_schemathesis(live_server, tmp_path):
    client = ApiClient.objects.create(name="fuzzer", scopes=["verifications:read", "verifications:write"])
    _, raw = create_key(client)
    cli = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
    result = subprocess.run(
        [
            cli,
            "run",
            f"{live_server.url}/api/schema/?format=json",
            "-H",
            f"Authorization: Bearer {raw}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            os.environ.get("KYC_FUZZ_EXAMPLES", "20"),
            "--seed",
            os.environ.get("KYC_FUZZ_SEED", "20261122"),
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, NO_COLOR="1"),
    )
    print(result.stdout[-6000:], result.stderr[-2000:])
    assert result.returncode == 0, "schemathesis found failures (see output above)"
