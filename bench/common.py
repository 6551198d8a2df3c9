"""What every benchmark shares: Django set up from the environment, the machine's description,
a printed table and a JSON file in bench/results/."""

import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def setup_django(database=True):
    """DATABASE_URL when set (PostgreSQL for the real figures), else a throwaway SQLite file."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kyc.settings")
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ.setdefault("KYC_VAR_DIR", tempfile.mkdtemp(prefix="kyc-bench-"))
    if database:
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{os.environ['KYC_VAR_DIR']}/bench.sqlite3")
    import django

    django.setup()


class Processes:
    """The benchmark's child processes (sandbox, workers, web server), stopped together; their
    output goes to bench/results/<log_name>. `env` is added to this process's environment."""

    def __init__(self, env: dict, log_name: str):
        self.env = env
        self.running = []
        RESULTS.mkdir(parents=True, exist_ok=True)
        self.log = open(RESULTS / log_name, "a")

    def start(self, *command, cpus=None):
        # cpus: run the process (and every thread it starts) on these CPUs only.
        pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
        process = subprocess.Popen(
            [sys.executable, *command],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=pin,
        )
        self.running.append(process)
        return process

    def stop(self):
        for process in self.running:
            os.killpg(process.pid, signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.running = []


def placeholder_photo(applicant, kind):
    """A photo row without a file: what a benchmark of the database needs of a stored photo."""
    import uuid

    from onboarding.models import Photo

    return Photo(
        id=uuid.uuid4(),
        applicant=applicant,
        kind=kind,
        file="bench",
        sha256="-",
        source_sha256="-",
        source_format="JPEG",
        source_size=1,
        content_type="image/jpeg",
        size=1,
        width=1,
        height=1,
    )


def create_database(url: str, *, fresh=False):
    """Create the PostgreSQL database `url` names if missing; `fresh` drops it first."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    processor = cpu or platform.processor() or platform.machine()
    return f"{processor}, {os.cpu_count()} cores, Python {platform.python_version()}"


def percentile(values, p):
    values = sorted(values)
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def report(name, title, columns, rows, **extra):
    """Print rows (dicts) as a table under the title, and write them with `extra` to results/<name>.json."""
    result = {"benchmark": name, "machine": machine(), **extra, "rows": rows}
    print(f"{title}\n{result['machine']}")
    widths = [max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths)))
    for row in rows:
        print("  ".join(str(row.get(c, "")).rjust(w) for c, w in zip(columns, widths)))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, default=str))
    return result
