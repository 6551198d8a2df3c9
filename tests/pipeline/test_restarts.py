"""PostgreSQL, then Redis, restarted in the middle of a 100-case run, on real processes.

The crash test's cluster (a Celery worker and beat on Redis, PostgreSQL, the slowed vendor
sandbox) plus the production web server (gunicorn, DEBUG off). PostgreSQL is stopped while vendor
calls are out, so answers arrive with no database to store them in; Redis (which keeps nothing on
disk) loses the broker's queue, the circuit breakers and the caches. Every case must still be
decided once, no vendor work done twice, nothing lost; while the database is down the web
answers 503 with Retry-After.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.db import connections

from onboarding.models import Verification
from tests.api.test_api import client_for
from tests.pipeline.test_crash import assert_exactly_once, running_cluster, services, submit_cases, wait_all_decided  # noqa: F401
from tests.pipeline.test_worker import database_url

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
PG_DOWN_SECONDS = 6
# Longer task limits than the crash test's: a worker holding paid answers waits for the database
# (KYC_STORE_RETRY_SECONDS) inside its task's soft limit, and the lease outlives the hard limit.
TIMINGS = dict(
    KYC_STORE_RETRY_SECONDS="15",
    CELERY_TASK_SOFT_TIME_LIMIT="25",
    CELERY_TASK_TIME_LIMIT="28",
    KYC_CHECK_LEASE_SECONDS="31",
    CELERY_VISIBILITY_TIMEOUT="45",
    KYC_STALLED_AFTER_SECONDS="30",
)


def _control():
    """The commands that stop and start this machine's PostgreSQL and Redis, or why we cannot."""
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    missing = [c for c in ("pg_ctlcluster", "pg_isready", "redis-server", "redis-cli") if not shutil.which(c)]
    if missing or not versions or os.geteuid() != 0:
        return None, f"restarting services needs root and {', '.join(missing) or 'a local cluster'}"
    return versions[0], ""


@pytest.fixture
def machine(services):
    version, why = _control()
    if version is None:
        if os.environ.get("KYC_REQUIRE_SERVICES") == "1":
            pytest.fail(why)
        pytest.skip(why)
    control = Services(version)
    try:
        yield control
    finally:
        control.ensure_up()  # whatever happened, the rest of the suite needs them
        connections.close_all()


class Services:
    def __init__(self, version):
        self.version = version

    def pg(self, action):
        extra = ["-m", "fast"] if action == "stop" else []
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", action, *extra],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def pg_up(self) -> bool:
        return subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0

    def redis_up(self) -> bool:
        return (
            subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"], capture_output=True).stdout.strip()
            == b"PONG"
        )

    def redis_stop(self):
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"], capture_output=True)
        wait_for(lambda: not self.redis_up(), 20, "Redis to stop")

    def redis_start(self):
        # As .ci/run starts it: nothing kept on disk, so a restart loses every key.
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "-::1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                "/var/lib/redis",
                "--logfile",
                "/var/log/redis/ci.log",
            ],
            check=True,
            capture_output=True,
        )
        wait_for(self.redis_up, 30, "Redis to start")

    def ensure_up(self):
        if not self.pg_up():
            self.pg("start")
            wait_for(self.pg_up, 60, "PostgreSQL to start")
        if not self.redis_up():
            self.redis_start()


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout}s for {what}")
        time.sleep(0.2)


@pytest.fixture
def web(services, settings):
    """The production web server on loopback, with the worker's database and Redis."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    broker_db = int(settings.CELERY_BROKER_URL.rsplit("/", 1)[-1] or 0)
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="kyc.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="restart-test-" + "x" * 50,
        KYC_ENCRYPTION_KEYS=",".join(settings.KYC_ENCRYPTION_KEYS),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DATABASE_URL=database_url(),
        KYC_VAR_DIR=str(settings.VAR_DIR),
        CACHE_URL=settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + f"/{(broker_db + 15) % 16}",
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
    )
    log = open(Path(settings.VAR_DIR) / "restart-web.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kyc.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "--timeout", "30"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(url + "/healthz"), 90, "gunicorn")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.seek(0)
        print(log.read()[-4000:])


def _answers(url) -> bool:
    try:  # a worker's first request loads the app: slow on a busy machine
        return requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def decided(ids) -> int:
    return Verification.objects.filter(pk__in=ids).exclude(status__in=["submitted", "processing"]).count()


def test_postgresql_then_redis_restarted_mid_run(machine, web, sandbox_server, settings):
    _api, _client, _key, raw = client_for("integrator")
    auth = {"Authorization": f"Bearer {raw}"}
    with running_cluster(sandbox_server, settings, **TIMINGS) as cluster:
        ids = submit_cases(100)  # queued for the cluster's worker, not run here
        connections.close_all()
        cluster.start()
        wait_for(lambda: decided(ids) >= 15, 180, "the first cases")
        connections.close_all()

        machine.pg("stop")
        down_since = time.monotonic()
        api = requests.get(f"{web}/api/v1/verifications/", headers=auth, timeout=10)
        page = requests.get(f"{web}/verify/status/{ids[0]}/json", timeout=10)
        time.sleep(max(0.0, PG_DOWN_SECONDS - (time.monotonic() - down_since)))
        machine.pg("start")
        wait_for(machine.pg_up, 60, "PostgreSQL to start")
        assert api.status_code == 503 and api.headers["Retry-After"] == "10", api.text
        assert api.headers["Content-Type"] == "application/problem+json"
        assert api.json()["code"] == "service_unavailable"
        assert page.status_code == 503 and page.headers["Retry-After"] == "10", page.text
        wait_for(
            lambda: requests.get(f"{web}/api/v1/verifications/", headers=auth, timeout=10).status_code == 200,
            30,
            "the web to answer again",
        )

        connections.close_all()
        before = decided(ids)
        wait_for(lambda: decided(ids) >= min(len(ids), before + 15), 240, "work after the database restart")
        connections.close_all()
        machine.redis_stop()
        time.sleep(2)
        machine.redis_start()

        wait_all_decided(ids, timeout=420)
        snapshot = assert_exactly_once(cluster, ids)
        log = cluster.stop()
        print(
            f"sandbox: {snapshot['calls']} calls, {snapshot['abandoned']} abandoned, {snapshot['successes']} successes"
        )
        # The database went away while answers were on their way: they were kept and stored later.
        assert "database unreachable" in log
        assert "Connection to broker lost" in log  # and the worker outlived Redis's restart
