"""The faces queue with real worker processes: only its worker holds the index; the others never
load it; a restarted faces worker rebuilds it and the scans go on."""

import os
import signal
import subprocess
import sys
import uuid

import pytest
from django.conf import settings

from kyc.celery import app as celery_app
from onboarding.models import DuplicateSignal
from tests.factories import submitted_verification
from tests.pipeline.test_worker import ROOT, wait_decided, worker_env

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class Workers:
    def __init__(self, queue):
        self.queue = queue
        self.env = worker_env(queue)
        self.procs = []

    def start(self, name, *args, **env):
        log = open(os.path.join(settings.VAR_DIR, f"{self.queue}-{name}.log"), "w+")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "kyc",
                "worker",
                "--loglevel",
                "INFO",
                "--hostname",
                f"{self.queue}-{name}@%h",
                *args,
            ],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc, log

    def stop(self, proc):
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def read(log):
    log.seek(0)
    return log.read()


def test_only_the_faces_worker_holds_the_index_and_a_restart_rebuilds_it(settings):
    settings.KYC_DUPLICATE_SCAN = True
    settings.KYC_CHECK_VENDORS = {"quality": [], "liveness": [], "compare": []}
    queue = f"kyc-test-{uuid.uuid4().hex[:8]}"
    workers = Workers(queue)
    eager, queue_before = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = False, queue
    try:
        default, default_log = workers.start("default", "-Q", f"{queue},{queue}.interactive", "--concurrency", "2")
        faces, faces_log = workers.start(
            "faces", "-Q", f"{queue}.faces", "--pool", "threads", "--concurrency", "2", KYC_FACE_INDEX_PRELOAD="true"
        )
        # One after the other: two scans running at once each miss the other's faces not yet analysed.
        wait_decided(submitted_verification("obama_1", "biden_1").pk)
        second = wait_decided(submitted_verification("obama_2", "leslie_1").pk)
        assert DuplicateSignal.objects.filter(verification=second, kind="same_face").exists()
        assert "face index:" in read(faces_log) and "scan_duplicates[" in read(faces_log)
        assert "face index:" not in read(default_log) and "scan_duplicates[" not in read(default_log)

        workers.stop(faces)  # a restart: the new process builds its index from the store
        faces, faces_log = workers.start(
            "faces-2", "-Q", f"{queue}.faces", "--pool", "threads", "--concurrency", "2", KYC_FACE_INDEX_PRELOAD="true"
        )
        third = wait_decided(submitted_verification("obama_1", "leslie_2").pk)
        assert DuplicateSignal.objects.filter(verification=third, kind="same_face").count() >= 2
        assert "face index: 4 templates" in read(faces_log)  # the two earlier cases' faces, from the store
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = eager, queue_before
        for proc in workers.procs:
            if proc.poll() is None:
                workers.stop(proc)
