"""Upload to decision, and sustained throughput, on PostgreSQL and Redis with real Celery workers and
the vendor sandbox adding a fixed latency L to every vendor call.

Set-up: a fresh PostgreSQL database, Redis as broker and cache, the sandbox on loopback with
`--latency-ms L`, and W Celery worker processes with a thread pool (the vendor calls wait on the
network, so threads, not processes, fill the wait). Liveness goes to Tencent (API 3.0) and compare
to Baidu, both through the sandbox, so each case makes two vendor calls, in parallel. The policy
needs a quality check: `--quality local` (the default) runs the local engine's on both photos, CPU
work in the workers; `--quality none` leaves it out (cases then go to review for it) to measure
the pipeline's own cost alone. The duplicate scan is off. `--quality all-local` is the embedded
default instead: no vendor at all, the local engine's quality, compare and liveness (an API case
has no challenge: not applicable) and the duplicate scan, every photo analysed by the workers.
Documents are not read unless `--documents`: each case then carries a generated Chinese ID card,
front and back (tests/documents/pages.py), which the local engine reads (`KYC_DOCUMENT_VENDORS=local`);
with `--analysed-at-upload` the cards come read, as the web flow's are.

Photos are uploaded once through the real validation and encryption, then each case gets its own
applicant and photo rows pointing at those files, so every case decrypts and sends real images.

latency:    one case at a time; upload-to-decision = submit() until the decision's timestamp.
throughput: producers keep `--inflight` cases open at once for `--seconds`; decided cases per
            second over the steady part, for each `--concurrency` (threads per worker).

    python bench/pipeline.py latency [--latency-ms 200] [--cases 60]
    python bench/pipeline.py throughput [--latency-ms 200] [--concurrency 16,32,64] [--seconds 30]
"""

import argparse
import base64
import os
import secrets
import socket
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, Processes, create_database, percentile, report  # noqa: E402

SANDBOX_PORT = 8011
ENV = {
    # As deployed: DEBUG off (with it on, Django also records every query in memory).
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "KYC_ENCRYPTION_KEYS": base64.b64encode(secrets.token_bytes(32)).decode(),
    "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kyc_bench_pipeline"),
    "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14"),
    "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "rediscache://127.0.0.1:6379/13"),
    "CELERY_QUEUE": "kyc-bench",
    "KYC_LIVENESS_VENDORS": "tencent",
    "KYC_COMPARE_VENDORS": "baidu",
    "KYC_DUPLICATE_SCAN": "false",
    "BAIDU_API_KEY": "sandbox-baidu-ak",
    "BAIDU_SECRET_KEY": "sandbox-baidu-sk",
    "TENCENT_APPID": "1250000000",
    "TENCENT_SECRET_ID": "sandbox-tencent-sid",
    "TENCENT_SECRET_KEY": "sandbox-tencent-skey",
    "BAIDU_BASE_URL": f"http://127.0.0.1:{SANDBOX_PORT}",
    "TENCENT_API_ENDPOINT": f"http://127.0.0.1:{SANDBOX_PORT}",
    "ACEDATA_BASE_URL": f"http://127.0.0.1:{SANDBOX_PORT}",
    "LINKFACE_BASE_URL": f"http://127.0.0.1:{SANDBOX_PORT}",
    "TENCENT_LEGACY_BASE_URL": f"http://127.0.0.1:{SANDBOX_PORT}",
}


def flush_redis():
    import redis

    for url in (ENV["CELERY_BROKER_URL"], ENV["CACHE_URL"].replace("rediscache://", "redis://")):
        redis.Redis.from_url(url).flushdb()


def wait_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listening on {port}")


def cpu_seconds(pids) -> float:
    """User + system CPU of these processes so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def system_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick


def database_counters() -> tuple[int, int]:
    """(transactions committed, sessions opened) in the benchmark's database so far (PostgreSQL 14+)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT xact_commit, sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()


def component_pids(processes) -> dict:
    """Where CPU goes: our workers, the sandbox, this process (the producers), PostgreSQL, Redis."""
    found = {"workers": [], "sandbox": [], "producers": [os.getpid()], "postgresql": [], "redis": []}
    for process in processes.running:
        found["sandbox" if "vendor_sandbox" in " ".join(process.args) else "workers"].append(process.pid)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if comm == "postgres":
                found["postgresql"].append(int(entry.name))
            elif comm.startswith("redis-server"):
                found["redis"].append(int(entry.name))
    # Celery's thread pool runs in the worker process itself. What no row names (the kernel's
    # loopback networking, processes that ended during the run) is the machine total's remainder.
    return found


def start_workers(processes, workers, concurrency, cpus=None):
    def worker(name, *queues, threads):
        options = ["-Q", ",".join(queues)] if queues else []
        processes.start(
            *("-m", "celery", "-A", "kyc", "worker", *options, "--pool", "threads", "--concurrency", str(threads)),
            *("--loglevel", "WARNING", "--hostname", f"{name}@%h"),
            cpus=cpus,
        )

    for i in range(workers):
        worker(f"bench{i}", threads=concurrency)
    if ENV["KYC_DUPLICATE_SCAN"] == "true":  # the face index's worker, as deployed
        worker("faces", f"{ENV['CELERY_QUEUE']}.faces", threads=2)
        workers += 1
    from kyc.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1) or []
        if len(replies) >= workers:
            return
    raise RuntimeError("workers did not start")


class Cases:
    """New cases from one set of uploaded photos.

    analysed: each case's photos come with their analysis made, as the web flow's do (the capture
    page's pre-check has a worker analyse each photo when it is taken); otherwise the checks make
    it, as for an API case."""

    def __init__(self, analysed=False, documents=False):
        from onboarding.services.applicant.applicants import add_photo, create_applicant
        from tests.conftest import face_bytes, id_card_bytes

        applicant = create_applicant(consent_version="bench", language="en")
        self.selfie = add_photo(applicant, "selfie", face_bytes("obama_1"))
        self.back = None
        if documents:
            from tests.documents import pages

            person = pages.Person()
            self.card = add_photo(applicant, "id_card", pages.photograph(pages.cn_front(person, face="obama_2.jpg")))
            self.back = add_photo(applicant, "id_card_back", pages.photograph(pages.cn_back(person)))
        else:
            self.card = add_photo(applicant, "id_card", id_card_bytes("obama_2"))
        self.analyses = None
        if analysed:
            from onboarding.services.applicant.analysis import analysis_of

            self.analyses = {
                self.selfie.pk: analysis_of(self.selfie),
                self.card.pk: analysis_of(self.card, text=documents),
            }
            if self.back is not None:
                self.analyses[self.back.pk] = analysis_of(self.back, embedding=False, text=True)

    def new(self):
        """An applicant with its photo rows; the files are the uploaded ones."""
        from onboarding.models import Applicant, Photo

        applicant = Applicant.objects.create(consent_version="bench", language="en")
        photos = []
        for photo in (self.selfie, self.card, self.back):
            if photo is None:
                photos.append(None)
                continue
            photos.append(
                Photo.objects.create(
                    **{
                        f.name: getattr(photo, f.name)
                        for f in Photo._meta.concrete_fields
                        if f.name not in ("id", "applicant", "created_at")
                    },
                    applicant=applicant,
                )
            )
            if self.analyses:
                from onboarding.models import PhotoAnalysis
                from onboarding.services.applicant.analysis import store

                PhotoAnalysis.objects.create(photo=photos[-1], applicant=applicant)
                store(photos[-1], self.analyses[photo.pk])
        return applicant, photos[0], photos[1], photos[2]


def submit(cases):
    from onboarding.services.pipeline.verifications import submit_verification

    applicant, selfie, card, back = cases.new()
    started = time.time()
    verification = submit_verification(applicant, selfie=selfie, id_card=card, id_card_back=back)
    return verification.pk, started


def decided(ids):
    from onboarding.models import Verification

    return dict(Verification.objects.filter(pk__in=ids, decided_at__isnull=False).values_list("pk", "decided_at"))


def run_latency(args, processes):
    from onboarding.models import Check, Decision

    start_workers(processes, args.workers, args.concurrency_one)
    cases = Cases(analysed=args.analysed_at_upload, documents=args.documents)
    samples, outcomes, reads = [], {}, []
    for i in range(args.cases + 3):
        pk, started = submit(cases)
        deadline = time.monotonic() + 30
        while not (done := decided([pk])):
            if time.monotonic() > deadline:
                raise RuntimeError(f"case {pk} not decided in 30 s")
            time.sleep(0.005)
        if i >= 3:  # the first cases warm the connections and the Baidu token
            samples.append((done[pk].timestamp() - started) * 1000)
            reads += list(
                Check.objects.filter(verification_id=pk, kind="document").values_list("latency_ms", flat=True)
            )
            outcome = Decision.objects.filter(verification_id=pk).values_list("outcome", flat=True).first()
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    p50, p95 = percentile(samples, 50), percentile(samples, 95)
    rows = [
        {
            "latency_L_ms": args.latency_ms,
            "cases": len(samples),
            "p50_ms": round(p50),
            "p95_ms": round(p95),
            "p50_minus_L_ms": round(p50 - args.latency_ms),
            "aim_p50_ms": args.latency_ms + 150,
            # The document check's own time (the card's reading, in place): the one-call API's aim is
            # max(L, this) + 100 ms when the card is read by the case.
            "document_check_p50_ms": round(percentile(reads, 50)) if reads else None,
            "outcomes": outcomes,
        }
    ]
    documents = "_documents" if args.documents else ""
    analysed = "_analysed" if args.analysed_at_upload else ""
    read = ("read at upload" if args.analysed_at_upload else "read by the case") if args.documents else "off"
    return report(
        f"pipeline_latency_{args.latency_ms}_{args.quality}{documents}{analysed}",
        f"upload to decision, sandbox latency {args.latency_ms} ms, quality {args.quality}, documents {read}, "
        f"{args.workers} workers x {args.concurrency_one} threads, PostgreSQL + Redis",
        [
            "latency_L_ms",
            "cases",
            "p50_ms",
            "p95_ms",
            "p50_minus_L_ms",
            "aim_p50_ms",
            "document_check_p50_ms",
            "outcomes",
        ],
        rows,
    )


def run_throughput(args, processes):
    from django.db import connection

    cases = Cases(analysed=args.analysed_at_upload, documents=args.documents)
    rows = []
    worker_cpus = others = None
    if args.pin_workers is not None:
        # The workers get one core to themselves; the sandbox and the producers (this process)
        # share the others, as remote vendors and a separate web tier would not take the workers' CPU.
        worker_cpus = {args.pin_workers}
        others = set(os.sched_getaffinity(0)) - worker_cpus
        os.sched_setaffinity(0, others)
    for concurrency in [int(c) for c in args.concurrency.split(",")]:
        processes.stop()
        processes.start(
            "manage.py",
            "vendor_sandbox",
            "--port",
            str(SANDBOX_PORT),
            "--latency-ms",
            str(args.latency_ms),
            "--no-access-log",
            cpus=others,
        )
        wait_port(SANDBOX_PORT)
        start_workers(processes, args.workers, concurrency, cpus=worker_cpus)
        open_cases, lock, stop = {}, threading.Lock(), threading.Event()
        finished = []  # (decided_at unix, latency ms)

        def producer():
            while not stop.is_set():
                with lock:
                    room = len(open_cases) < args.inflight
                if not room:
                    time.sleep(0.01)
                    continue
                pk, started = submit(cases)
                with lock:
                    open_cases[pk] = started
            connection.close()

        def collector():
            while not stop.is_set() or open_cases:
                with lock:
                    ids = list(open_cases)
                for pk, at in decided(ids).items():
                    with lock:
                        started = open_cases.pop(pk)
                    finished.append((at.timestamp(), (at.timestamp() - started) * 1000))
                # Latencies come from the decisions' timestamps, so polling slowly loses no precision;
                # every 50 ms it took a fifth of the producers' CPU and PostgreSQL's (200 ids a query).
                time.sleep(0.25)
                if stop.is_set() and time.time() - stopped_at[0] > 60:
                    break
            connection.close()

        stopped_at = [0.0]
        threads = [threading.Thread(target=producer) for _ in range(args.producers)] + [
            threading.Thread(target=collector)
        ]
        began = time.time()
        for t in threads:
            t.start()
        # Counted over the steady part only: the first seconds fill the pipe with cases decided later.
        time.sleep(args.warmup)
        # Per process, so that processes started during the run (PostgreSQL backends) count from zero.
        cpu_before = {pid: cpu_seconds([pid]) for p in component_pids(processes).values() for pid in p}
        machine_before = system_cpu()
        database_before = database_counters()
        time.sleep(args.seconds - args.warmup)
        stop.set()
        stopped_at[0] = time.time()
        cpu_used = {
            name: sum(cpu_seconds([pid]) - cpu_before.get(pid, 0.0) for pid in p)
            for name, p in component_pids(processes).items()
        }
        machine_after = system_cpu()
        # PostgreSQL's statistics lag by up to a second: a small error over a run of 30 s or more.
        database_after = database_counters()
        for t in threads:
            t.join()
        window = [f for f in finished if began + args.warmup <= f[0] <= stopped_at[0]]
        decided_count = len(window)
        span = stopped_at[0] - began - args.warmup
        rows.append(
            {
                "threads_per_worker": concurrency,
                "in_flight": args.inflight,
                "decided_per_s": round(decided_count / span, 1),
                "p50_ms": round(percentile([f[1] for f in window], 50) or 0),
                "p95_ms": round(percentile([f[1] for f in window], 95) or 0),
                "load_1m": round(os.getloadavg()[0], 2),
                # CPU milliseconds per decided case, by component, over the steady part
                **{f"cpu_ms_{name}": round(1000 * used / max(1, decided_count)) for name, used in cpu_used.items()},
                # the whole machine, every process and the kernel included
                "machine_cpu_busy": (
                    f"{(machine_after[0] - machine_before[0]) / (machine_after[1] - machine_before[1]):.0%}"
                ),
                # What one core fully given to the workers would decide per second at this cost.
                "workers_cases_per_core_s": round(decided_count / max(0.001, cpu_used["workers"]), 1),
                # Machine-independent: what each case costs the database, producers included.
                "db_commits_per_case": round((database_after[0] - database_before[0]) / max(1, decided_count), 1),
                "db_sessions_per_case": round((database_after[1] - database_before[1]) / max(1, decided_count), 2),
            }
        )
        print(rows[-1], flush=True)
    pinned = f"_pinned{args.pin_workers}" if args.pin_workers is not None else ""
    return report(
        f"pipeline_throughput_{args.latency_ms}_{args.quality}{'_analysed' if args.analysed_at_upload else ''}{pinned}",
        f"sustained throughput, sandbox latency {args.latency_ms} ms, quality {args.quality}, "
        f"{'photos analysed at upload, ' if args.analysed_at_upload else ''}"
        f"{args.workers} workers (thread pool){f' on CPU {args.pin_workers} alone' if pinned else ''}, "
        f"{args.producers} producers, PostgreSQL + Redis",
        [
            "threads_per_worker",
            "in_flight",
            "decided_per_s",
            "p50_ms",
            "p95_ms",
            "machine_cpu_busy",
            "cpu_ms_workers",
            "workers_cases_per_core_s",
            "cpu_ms_sandbox",
            "cpu_ms_producers",
            "cpu_ms_postgresql",
            "cpu_ms_redis",
            "db_commits_per_case",
            "db_sessions_per_case",
        ],
        rows,
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["latency", "throughput"])
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cases", type=int, default=60)
    parser.add_argument("--concurrency-one", type=int, default=8, help="threads per worker, latency mode")
    parser.add_argument("--concurrency", default="16,32,64", help="threads per worker to try, throughput mode")
    parser.add_argument("--inflight", type=int, default=200)
    parser.add_argument("--producers", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--quality", choices=["local", "none", "all-local"], default="local")
    parser.add_argument(
        "--analysed-at-upload",
        action="store_true",
        help="photos come analysed (and cards read), as the web flow's do (the pre-check's analysis)",
    )
    parser.add_argument("--documents", action="store_true", help="read a generated ID card's front and back")
    parser.add_argument(
        "--pin-workers",
        type=int,
        default=None,
        metavar="CPU",
        help="throughput mode: run the workers on this CPU alone, everything else on the others",
    )
    args = parser.parse_args()
    ENV["KYC_QUALITY_VENDORS"] = "" if args.quality == "none" else "local"
    ENV["KYC_DOCUMENT_VENDORS"] = "local" if args.documents else ""
    ENV["KYC_SCREENING_VENDORS"] = ""  # no list imported: the figures stay comparable
    if args.quality == "all-local":
        ENV.update(KYC_LIVENESS_VENDORS="local", KYC_COMPARE_VENDORS="local", KYC_DUPLICATE_SCAN="true")
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    os.environ.update(ENV)
    create_database(ENV["DATABASE_URL"], fresh=True)
    flush_redis()
    from common import setup_django

    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    processes = Processes(ENV, "pipeline-processes.log")
    try:
        processes.start(
            "manage.py",
            "vendor_sandbox",
            "--port",
            str(SANDBOX_PORT),
            "--latency-ms",
            str(args.latency_ms),
            "--no-access-log",
        )
        wait_port(SANDBOX_PORT)
        (run_latency if args.mode == "latency" else run_throughput)(args, processes)
    finally:
        processes.stop()


if __name__ == "__main__":
    main()
