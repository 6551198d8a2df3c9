"""Crash proof on real processes: PostgreSQL, Redis, a Celery worker we kill -9, and the vendor sandbox.

The sandbox answers after a delay, so a worker is killed while it waits for a vendor. It
counts, per vendor and per distinct input, the calls that did the work and reached their
client; a call whose client hung up (the killed worker) did none. At the end every case has
exactly one decision, no work was done twice, and nothing is left half-way.
"""

import contextlib
import io
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from PIL import Image

from kyc.celery import app as celery_app
from onboarding.models import Check, Decision, Verification
from onboarding.services.applicant.applicants import add_photo
from onboarding.services.compliance import audit_chain
from onboarding.services.pipeline.verifications import submit_verification
from tests.conftest import SANDBOX_CREDENTIALS, face_bytes, id_card_bytes, jpeg_bytes
from tests.factories import ApplicantFactory
from tests.pipeline.test_worker import database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
CONCURRENCY = 4
LATENCY_MS = 800
SANDBOXED = ("tencent", "baidu")


@pytest.fixture
def services():
    problems = []
    if connection.vendor != "postgresql":
        problems.append("DATABASE_URL pointing at PostgreSQL")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        problems.append("CELERY_BROKER_URL pointing at Redis")
    if problems:
        message = "the crash test needs " + " and ".join(problems)
        if os.environ.get("KYC_REQUIRE_SERVICES") == "1":  # CI: a skip would hide a missing service
            pytest.fail(message)
        pytest.skip(message)


class Cluster:
    """A worker (restarted after each kill), a beat for the sweeper, and the sandbox."""

    def __init__(self, sandbox_app, sandbox_url, **env):
        import redis

        self.app, self.url = sandbox_app, sandbox_url
        self.queue = f"kyc-crash-{uuid.uuid4().hex[:8]}"
        broker_db = int(settings.CELERY_BROKER_URL.rsplit("/", 1)[-1] or 0)
        cache_url = settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + f"/{(broker_db + 15) % 16}"
        redis.Redis.from_url(cache_url).flushdb()  # circuit breakers from an earlier run
        self.env = dict(
            os.environ,
            DJANGO_SETTINGS_MODULE="kyc.settings",
            DJANGO_DEBUG="true",
            DATABASE_URL=database_url(),
            KYC_VAR_DIR=str(settings.VAR_DIR),
            CACHE_URL=cache_url,
            KYC_PRIVATE_MEDIA_ROOT=str(settings.KYC_PRIVATE_MEDIA_ROOT),
            CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
            CELERY_QUEUE=self.queue,
            KYC_QUALITY_VENDORS="local",
            KYC_LIVENESS_VENDORS="tencent",
            KYC_COMPARE_VENDORS="baidu",
            KYC_DOCUMENT_VENDORS="",  # these cards carry no document to read; tests/documents/ read them
            KYC_SCREENING_VENDORS="",  # no list is imported here; tests/screening/ screen
            # Short and coherent (the kyc.E00x checks hold): a vendor call < soft < hard limit < lease
            # < visibility timeout, so a killed worker's tasks come back within seconds, not an hour.
            KYC_VENDOR_CONNECT_TIMEOUT="1",
            KYC_VENDOR_READ_TIMEOUT="3",
            CELERY_TASK_SOFT_TIME_LIMIT="9",
            CELERY_TASK_TIME_LIMIT="11",
            KYC_CHECK_LEASE_SECONDS="13",
            KYC_STORE_RETRY_SECONDS="0.5",
            CELERY_VISIBILITY_TIMEOUT="20",
            KYC_VENDOR_RETRY_BASE_SECONDS="0.5",
            KYC_VENDOR_RETRY_MAX_SECONDS="4",
            KYC_VENDOR_MAX_RETRIES="8",
            KYC_CIRCUIT_FAILURES="3",
            KYC_CIRCUIT_OPEN_SECONDS="3",
            KYC_SWEEP_INTERVAL_SECONDS="5",
            KYC_STALLED_AFTER_SECONDS="60",
            KYC_DECISION_DEADLINE_SECONDS="900",
            **SANDBOX_CREDENTIALS,
            **{
                name: sandbox_url
                for name in (
                    "ACEDATA_BASE_URL",
                    "BAIDU_BASE_URL",
                    "LINKFACE_BASE_URL",
                    "TENCENT_LEGACY_BASE_URL",
                    "TENCENT_API_ENDPOINT",
                )
            },
        )
        self.env.update(env)
        self.log = open(Path(settings.VAR_DIR) / f"{self.queue}.log", "w+")
        self.worker = self.beat = None
        self.incarnation = 0

    def _spawn(self, *args):
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kyc", *args],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self):
        self.incarnation += 1
        self.worker = self._spawn(
            "worker",
            "-Q",  # every queue, the face index's too: this worker also runs the duplicate scan
            f"{self.queue},{self.queue}.interactive,{self.queue}.faces",
            "--concurrency",
            str(CONCURRENCY),
            "--loglevel",
            "INFO",
            "--hostname",
            f"{self.queue}-{self.incarnation}@%h",
        )
        self.started_at = time.monotonic()

    def start(self):
        self.beat = self._spawn(
            "beat", "--loglevel", "INFO", "--schedule", str(Path(settings.VAR_DIR) / f"{self.queue}-beat")
        )
        self.start_worker()

    def pool_children(self):
        path = Path(f"/proc/{self.worker.pid}/task/{self.worker.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def kill_worker(self):
        """kill -9 the whole worker, as an OOM killer or a lost machine would, and start a new one."""
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait()
        self.start_worker()

    def kill_one_child(self):
        """kill -9 one pool process: the worker survives and re-queues its task (reject_on_worker_lost)."""
        children = self.pool_children()
        if children:
            os.kill(random.choice(children), signal.SIGKILL)
        return bool(children)

    def all_busy_calling(self):
        """Every pool process waits for a vendor answer not yet billed, well before it comes, and
        every answer billed so far is stored: a kill now lands mid-call, never between a billed
        answer and its storing (an answer is billed only on its way to a client still connected;
        a process calls its case's vendors together, so a busy one may also hold an answer)."""
        with self.app.state.lock:
            now = time.time()
            waits = [
                float("inf") if c["answer_at"] is None else c["answer_at"] - now
                for c in self.app.state.inflight.values()
            ]
            billed = sum(self.app.state.successes[vendor] for vendor in SANDBOXED)
        if len(waits) < CONCURRENCY or min(waits) <= 0.25:
            return False
        return billed == Check.objects.filter(vendor__in=SANDBOXED, status=Check.Status.COMPLETED).count()

    def stop(self):
        for proc in (self.worker, self.beat):
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        self.log.seek(0)
        return self.log.read()


@pytest.fixture
def cluster(services, sandbox_server, settings):
    with running_cluster(sandbox_server, settings) as c:
        yield c


@contextlib.contextmanager
def running_cluster(sandbox_server, settings, **env):
    """A Cluster (not started) on a fresh queue, with the sandbox reset and slowed; stopped after."""
    import requests

    # The plan is made at submission, in this process: the same vendors as the worker's.
    settings.KYC_CHECK_VENDORS = {"quality": ["local"], "liveness": ["tencent"], "compare": ["baidu"]}
    app, url = sandbox_server
    requests.post(f"{url}/_sandbox/reset", timeout=5).raise_for_status()
    app.state.baidu_tokens.clear()
    for vendor in SANDBOXED:
        requests.post(f"{url}/_sandbox/faults", json={"vendor": vendor, "latency_ms": LATENCY_MS}, timeout=5)
    c = Cluster(app, url, **env)
    eager, queue_before = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = c.queue
    try:
        yield c
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = eager, queue_before
        log = c.stop()
        print(log[-6000:])  # shown by pytest when the test fails


def variant(data: bytes, n: int) -> bytes:
    """The same photo with a few pixels changed: distinct work for the vendor, the same face."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    for i in range(4):
        image.putpixel((i, 0), ((n * 37 + i) % 256, (n * 11) % 256, (n // 7 + i * 50) % 256))
    return jpeg_bytes(image, quality=95)


def submit_cases(count, first=0):
    selfie, card = face_bytes("obama_1"), id_card_bytes("obama_2")
    ids = []
    for n in range(first, first + count):
        applicant = ApplicantFactory()
        v = submit_verification(
            applicant,
            selfie=add_photo(applicant, "selfie", variant(selfie, n)),
            id_card=add_photo(applicant, "id_card", variant(card, n)),
        )
        ids.append(v.pk)
    return ids


def wait_all_decided(ids, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not Verification.objects.filter(pk__in=ids, status__in=["submitted", "processing"]).exists():
            return
        time.sleep(1)
    left = Verification.objects.filter(pk__in=ids, status__in=["submitted", "processing"])
    raise AssertionError(
        f"{left.count()} cases still undecided: "
        f"{list(Check.objects.filter(verification__in=left).values('status', 'vendor', 'attempt_count'))[:10]}"
    )


def assert_exactly_once(cluster, ids):
    """One decision per case; every check done once; every vendor success stored, none repeated."""
    decisions = Decision.objects.filter(verification_id__in=ids)
    assert decisions.count() == len(ids)
    assert set(decisions.values_list("verification_id", flat=True)) == set(ids)
    checks = Check.objects.filter(verification_id__in=ids, vendor__in=SANDBOXED)
    assert checks.count() == 2 * len(ids)
    assert not Check.objects.filter(verification_id__in=ids).exclude(status=Check.Status.COMPLETED).exists(), list(
        Check.objects.filter(verification_id__in=ids)
        .exclude(status=Check.Status.COMPLETED)
        .values("vendor", "status", "error_code")
    )
    assert set(Verification.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"approved"}
    # Many workers wrote and sealed the audit trail at once, some killed between commit and sealing:
    # what they left unsealed is sealed as beat would, and the chain holds.
    audit_chain.seal_pending(wait=True)
    report = audit_chain.verify()
    assert report.ok and report.unsealed == 0, report
    snapshot = cluster.app.state.snapshot()
    assert snapshot["duplicated_work"] == {}
    for vendor in SANDBOXED:
        # Each completed check matches exactly one call that did the work: none lost, none twice.
        assert snapshot["successes"][vendor] == checks.filter(vendor=vendor).count()
    return snapshot


def test_kill_dash_nine_mid_call_loses_nothing_and_repeats_nothing(cluster):
    ids = submit_cases(100)
    cluster.start()
    kills, child_kills, started = 0, 0, time.monotonic()
    while kills < 24 and time.monotonic() - started < 420:
        if Verification.objects.filter(pk__in=ids, status__in=["submitted", "processing"]).count() < 8:
            # Too little work left to kill mid-call: more cases, each with its own photos (100
            # can be decided before 20 kills land, as each restart takes seconds).
            if len(ids) >= 400:
                break
            ids += submit_cases(40, first=len(ids))
        # Let each incarnation do some work before its death.
        if time.monotonic() - cluster.started_at < random.uniform(2.0, 5.0) or not cluster.all_busy_calling():
            time.sleep(0.02)
            continue
        if kills % 3 == 2 and cluster.kill_one_child():
            child_kills += 1
            cluster.started_at = time.monotonic()
        else:
            cluster.kill_worker()
        kills += 1
    assert kills >= 20, f"only {kills} kills landed mid-call"
    wait_all_decided(ids, timeout=300)
    snapshot = assert_exactly_once(cluster, ids)
    assert sum(snapshot["abandoned"].values()) >= kills  # the kills did land in the middle of vendor calls
    took_over = Check.objects.filter(verification_id__in=ids, vendor__in=SANDBOXED, attempt_count__gt=1).count()
    print(
        f"{kills} kills ({child_kills} of one pool process) in {time.monotonic() - started:.0f}s; "
        f"{took_over} checks taken over; sandbox: {snapshot['calls']} calls, "
        f"{snapshot['abandoned']} abandoned, {snapshot['successes']} successes"
    )


def test_a_fault_window_delays_cases_and_loses_none(cluster):
    """Rate limits, then 5xx, then timeouts for ~20 s: every case finishes once the vendors recover."""
    import requests

    def fault(vendor, sticky):
        requests.post(
            f"{cluster.url}/_sandbox/faults", json={"vendor": vendor, "sticky": sticky, "timeout_seconds": 5}, timeout=5
        )

    ids = submit_cases(20)
    fault("baidu", "ratelimit")
    fault("tencent", "5xx")
    cluster.start()
    time.sleep(8)
    fault("baidu", "5xx")
    fault("tencent", "timeout")
    time.sleep(6)
    fault("baidu", "timeout")
    time.sleep(6)
    decided_during_outage = (
        Verification.objects.filter(pk__in=ids).exclude(status__in=["submitted", "processing"]).count()
    )
    fault("baidu", "")
    fault("tencent", "")
    wait_all_decided(ids, timeout=180)
    snapshot = assert_exactly_once(cluster, ids)
    log = cluster.stop()
    assert decided_during_outage == 0
    assert "circuit baidu opened" in log and "circuit baidu closed" in log
    assert "circuit tencent opened" in log and "circuit tencent closed" in log
    print(f"sandbox: {snapshot['calls']} calls for {2 * len(ids)} checks")
