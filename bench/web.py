"""The web tier under applicants: does /healthz stay quick while 16 applicants take their photos?

Set-up, all on this machine: a fresh PostgreSQL database, Redis as broker and cache, gunicorn with
the production settings (kyc/gunicorn.py: 3 workers; `--server sync` for plain sync workers, as
before), DEBUG off, and a Celery worker (prefork, 2 processes) running the embedded default (the
local engine's checks and the duplicate scan), so the workers' CPU competes with the web's.

`--applicants` threads each run the web flow again and again: consent, the selfie (sent, then its
checklist polled until the worker has analysed it), the ID card (the same), confirm, one status
read. A probe asks /healthz every 100 ms on a new connection, as a load balancer does.
`--old-precheck` runs the flow as the page did when the web tier made the pre-check itself (an
800-px copy posted to /verify/precheck/<kind>/ before each upload): for the code before that
change. Printed: applicant flows per second, and /healthz p50/p95/max over the steady part.

    python bench/web.py [--applicants 16] [--seconds 30] [--server gthread|sync] [--old-precheck]
"""

import argparse
import base64
import io
import os
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Processes, create_database, percentile, report  # noqa: E402

PORT = 8021
BASE = f"http://127.0.0.1:{PORT}"
ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
    "DJANGO_SECURE_COOKIES": "false",
    "DJANGO_STATIC_ROOT": tempfile.mkdtemp(prefix="kyc-bench-static-"),  # collected below, as deployed
    "KYC_ENCRYPTION_KEYS": base64.b64encode(secrets.token_bytes(32)).decode(),
    "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kyc_bench_web"),
    "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12"),
    "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "rediscache://127.0.0.1:6379/11"),
    "CELERY_QUEUE": "kyc-bench-web",
    # One address for every simulated applicant: the per-IP limits would stop them.
    "KYC_LIMIT_NEW_APPLICANTS": "0",
    "KYC_LIMIT_UPLOADS": "0",
    "KYC_LIMIT_SUBMISSIONS": "0",
    "KYC_LIMIT_PRECHECKS": "0",  # read by the code before the pre-check moved to the workers
}


def photos():
    from PIL import Image

    from tests.conftest import face_bytes, id_card_bytes

    def reduced(data):  # what the page used to post to the pre-check: an 800-px copy
        im = Image.open(io.BytesIO(data)).convert("RGB")
        im.thumbnail((800, 800))
        out = io.BytesIO()
        im.save(out, "JPEG", quality=90)
        return out.getvalue()

    selfie, card = face_bytes("obama_1"), id_card_bytes("obama_2")
    return {"selfie": (selfie, reduced(selfie)), "id-card": (card, reduced(card))}


def flow(shots, old_precheck):
    """One applicant from consent to a submitted case; raises on anything unexpected."""
    session = requests.Session()
    session.get(f"{BASE}/", timeout=30).raise_for_status()
    csrf = session.cookies["csrftoken"]
    headers = {"X-CSRFToken": csrf, "Accept": "application/json", "Referer": f"{BASE}/"}
    session.post(f"{BASE}/", data={"agree": "on", "csrfmiddlewaretoken": csrf}, timeout=30).raise_for_status()
    for kind, step in (("selfie", "selfie"), ("id-card", "id-card")):
        full, small = shots[kind]
        if old_precheck:
            checked = session.post(
                f"{BASE}/verify/precheck/{kind}/", files={"photo": ("shot.jpg", small)}, headers=headers, timeout=30
            )
            checked.raise_for_status()
        sent = session.post(f"{BASE}/verify/{step}/", files={"photo": ("shot.jpg", full)}, headers=headers, timeout=60)
        sent.raise_for_status()
        check_url = sent.json().get("check_url")
        deadline = time.monotonic() + 60
        while check_url:
            answer = session.get(f"{BASE}{check_url}", headers=headers, timeout=30)
            if answer.status_code == 200:
                break
            if answer.status_code != 202 or time.monotonic() > deadline:
                raise RuntimeError(f"checklist: {answer.status_code}")
            time.sleep(0.4)  # as the page polls
    confirmed = session.post(f"{BASE}/verify/confirm/", data={"csrfmiddlewaretoken": csrf}, timeout=30)
    confirmed.raise_for_status()
    if "/verify/status/" not in confirmed.url:
        raise RuntimeError(f"confirm went to {confirmed.url}")
    session.get(f"{confirmed.url}json", timeout=30).raise_for_status()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--applicants", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--server", choices=["gthread", "sync"], default="gthread")
    parser.add_argument("--old-precheck", action="store_true")
    args = parser.parse_args()
    os.environ.update(ENV)
    create_database(ENV["DATABASE_URL"], fresh=True)
    import redis

    for url in (ENV["CELERY_BROKER_URL"], ENV["CACHE_URL"].replace("rediscache://", "redis://")):
        redis.Redis.from_url(url).flushdb()
    from common import setup_django

    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    shots = photos()
    server = ["--worker-class", "gthread", "--threads", "8"] if args.server == "gthread" else ["--worker-class", "sync"]
    processes = Processes(ENV, "web-processes.log")
    try:
        processes.start("-m", "gunicorn", "kyc.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "3", *server)
        processes.start(
            "-m",
            "celery",
            "-A",
            "kyc",
            "worker",
            "-Q",  # every queue, the face index's too
            "kyc-bench-web,kyc-bench-web.interactive,kyc-bench-web.faces",
            "--concurrency",
            "2",
            "--loglevel",
            "WARNING",
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{BASE}/healthz", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        flow(shots, args.old_precheck)  # warm: the worker's models, the connections
        stop, done, errors, probes = threading.Event(), [], [], []

        def applicant():
            while not stop.is_set():
                try:
                    flow(shots, args.old_precheck)
                    done.append(time.monotonic())
                except Exception as exc:  # counted and shown: a failing flow is not a fast one
                    errors.append(repr(exc))

        def probe():
            while not stop.is_set():
                started = time.monotonic()
                try:
                    requests.get(f"{BASE}/healthz", timeout=30).raise_for_status()
                    probes.append((started, (time.monotonic() - started) * 1000))
                except requests.RequestException as exc:
                    errors.append(f"healthz: {exc!r}")
                time.sleep(max(0.0, 0.1 - (time.monotonic() - started)))

        threads = [threading.Thread(target=applicant) for _ in range(args.applicants)] + [
            threading.Thread(target=probe)
        ]
        began = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(args.seconds)
        stop.set()
        ended = time.monotonic()
        for t in threads:
            t.join()
        steady = began + args.warmup
        latencies = [ms for at, ms in probes if steady <= at <= ended]
        flows = [at for at in done if steady <= at <= ended]
        row = {
            "server": f"gunicorn 3 {args.server} workers" + (" x 8 threads" if args.server == "gthread" else ""),
            "precheck": "old: in the web tier" if args.old_precheck else "analysis on a worker",
            "applicants": args.applicants,
            "flows_per_s": round(len(flows) / (ended - steady), 2),
            "healthz_p50_ms": round(percentile(latencies, 50), 1),
            "healthz_p95_ms": round(percentile(latencies, 95), 1),
            "healthz_max_ms": round(max(latencies), 1),
            "errors": len(errors),
        }
        if errors:
            print("first errors:", errors[:3])
        report(
            f"web_{args.server}{'_old_precheck' if args.old_precheck else ''}",
            "web tier under applicants, PostgreSQL + Redis, a Celery worker (2 processes) on the same machine",
            list(row),
            [row],
        )
    finally:
        processes.stop()


if __name__ == "__main__":
    main()
