"""A real Celery worker process on a real broker and a real database.

The broker is CELERY_BROKER_URL when set (CI: Redis), else the filesystem broker
of the embedded default. The worker runs kyc.settings, not the eager test settings.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from kyc.celery import app as celery_app
from onboarding.models import Verification
from tests.factories import submitted_verification

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def database_url():
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    auth = f"{user}:{db['PASSWORD']}@" if db.get("PASSWORD") else f"{user}@"
    return f"postgres://{auth}{host}:{port}/{db['NAME']}"


def worker_env(queue) -> dict:
    """A worker process's environment: kyc.settings on this test's database, files and broker."""
    return dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="kyc.settings",
        DJANGO_DEBUG="true",
        DATABASE_URL=database_url(),
        KYC_VAR_DIR=str(settings.VAR_DIR),
        KYC_PRIVATE_MEDIA_ROOT=str(settings.KYC_PRIVATE_MEDIA_ROOT),
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CELERY_QUEUE=queue,
    )


@pytest.fixture
def worker():
    queue = f"kyc-test-{uuid.uuid4().hex[:8]}"  # no stale messages from other runs on a shared broker
    env = worker_env(queue)
    log = open(Path(settings.VAR_DIR) / f"{queue}.log", "w+")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "kyc",
            "worker",
            "-Q",  # every queue, the face index's too
            f"{queue},{queue}.interactive,{queue}.faces",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--hostname",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    eager, queue_before = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    try:
        yield proc, log
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = eager, queue_before
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.seek(0)
        print(log.read()[-4000:])  # shown by pytest when the test fails


def wait_decided(pk, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = Verification.objects.get(pk=pk)
        if v.is_decided:
            return v
        time.sleep(0.25)
    raise AssertionError(f"verification still {v.status} after {timeout}s")


def test_worker_process_decides_submitted_verifications(worker):
    proc, log = worker
    same = submitted_verification("obama_1", "obama_2")
    other = submitted_verification("leslie_1", "biden_2")
    same, other = wait_decided(same.pk), wait_decided(other.pk)
    assert proc.poll() is None, "worker died"
    log.seek(0)
    worker_log = log.read()
    # The work was done by the worker process, not in this one.
    # Each case's local checks (the four of them) in one task.
    assert worker_log.count("onboarding.tasks.run_case_checks[") >= 2 and "process_verification[" not in worker_log
    assert same.status == Verification.Status.NEEDS_REVIEW
    assert other.status == Verification.Status.REJECTED
    for v in (same, other):
        assert v.checks.count() == 4 and all(c.attempt_count == 1 for c in v.checks.all())
        assert v.decisions.count() == 1


def other_backends():
    """PostgreSQL backends connected to the test database, other than this process's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL's backends")
def test_worker_keeps_its_database_connections_between_tasks(worker):
    # Celery closes Django's connections around every task: a new PostgreSQL backend per task.
    first = wait_decided(submitted_verification("obama_1", "obama_2").pk)
    after_first = other_backends()
    assert after_first, "the worker closed its connections after its tasks"
    second = wait_decided(submitted_verification("leslie_1", "biden_2").pk)
    assert first.is_decided and second.is_decided
    # The second case's tasks ran on connections that were already open.
    assert after_first & other_backends()


def test_a_shot_is_analysed_by_the_worker_and_its_checklist_read_by_the_page(worker, client):
    """The capture page's pre-check with a real worker: the web answers at once, the worker
    analyses the stored photo, the page's poll then gets the checklist; the case reuses it."""
    from django.urls import reverse

    from onboarding.models import PhotoAnalysis
    from tests.applicant.test_views import consent, upload
    from tests.conftest import face_bytes

    applicant = consent(client)
    sent = client.post(
        reverse("onboarding:selfie"), {"photo": upload(face_bytes("obama_1"))}, HTTP_ACCEPT="application/json"
    )
    check_url = sent.json()["check_url"]
    deadline = time.monotonic() + 60
    while (answer := client.get(check_url)).status_code == 202:
        assert time.monotonic() < deadline, "no checklist from the worker"
        time.sleep(0.2)
    assert answer.status_code == 200 and answer.json()["ok"], answer.json()
    # Then the embedding, which the case's compare and duplicate scan will read.
    while not PhotoAnalysis.objects.filter(photo__applicant=applicant, has_embedding=True).exists():
        assert time.monotonic() < deadline, "no embedding from the worker"
        time.sleep(0.2)
    log = worker[1]
    log.seek(0)
    assert "onboarding.tasks.analyse_photo[" in log.read()


def test_a_liveness_burst_is_verified_by_the_worker(worker, client):
    """The web answers 202 at once; the worker process verifies the burst; the page's poll gets the verdict."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.bursts import burst, frame

    client.post(reverse("onboarding:start"), {"agree": "on"})
    issued = client.post(reverse("onboarding:challenge_start")).json()
    files = [SimpleUploadedFile(f"f{i}.jpg", data, "image/jpeg") for i, data in enumerate(burst(issued["moves"]))]
    selfie = SimpleUploadedFile("s.jpg", frame("obama_1"), "image/jpeg")
    sent = client.post(issued["submit_url"], {"frame": files, "selfie": selfie})
    assert sent.status_code == 202
    deadline = time.monotonic() + 60
    while (verdict := client.get(sent.json()["state_url"])).status_code == 202:
        assert time.monotonic() < deadline, "no verdict from the worker"
        time.sleep(0.2)
    assert verdict.json()["passed"] is True, verdict.json()
    log = worker[1]
    log.seek(0)
    assert "onboarding.tasks.verify_burst[" in log.read()
