"""Another version of the code and this one, measured side by side on one machine: one benchmark
run from each in turn, pair after pair, and the ratio of each pair (shared machines drift by 10-20 %
within minutes, so only runs next to each other compare).

The other version (a commit, tag or branch) is checked out as a git worktree under
bench/results/side-by-side/<commit> and installed by its own `make install` (once; later
comparisons reuse it); this checkout runs with this interpreter. Every run's figures are
read from the JSON file it wrote in its checkout's bench/results/ (the first row's).

    python bench/side_by_side.py e112835 -- bench/pipeline.py throughput --quality local --concurrency 16
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, report  # noqa: E402


def git(*args, cwd=ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def checkout(rev: str, extra_packages: list[str]) -> tuple[Path, str]:
    """The other version's checkout and its interpreter, made when missing."""
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    where = RESULTS / "side-by-side" / commit[:12]
    python = where / ".venv" / "bin" / "python"
    if not (where / ".git").exists():
        where.parent.mkdir(parents=True, exist_ok=True)
        git("worktree", "add", "--force", "--detach", str(where), commit)
    # Its own `make install` (its lock file, checked against its hashes; nothing when done already).
    subprocess.run(["make", "--no-print-directory", "install", f"PYTHON={sys.executable}"], cwd=where, check=True)
    if extra_packages:  # what an older lock file missed
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *extra_packages], cwd=where, check=True)
    return where, str(python)


def run(where: Path, python: str, command: list[str]) -> dict:
    """One run of the benchmark in that checkout: the first row of the JSON file it wrote."""
    began = time.time()
    subprocess.run([python, *command], cwd=where, check=True, stdout=subprocess.DEVNULL)
    written = [p for p in (where / "bench" / "results").glob("*.json") if p.stat().st_mtime >= began]
    if not written:
        raise SystemExit(f"{where}: the run wrote no JSON file in bench/results/")
    return json.loads(max(written, key=lambda p: p.stat().st_mtime).read_text())["rows"][0]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("other", help="the version to compare with: a commit, tag or branch")
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--figure", default="decided_per_s", help="the figure compared (a key of the rows)")
    parser.add_argument("--also", default="cpu_ms_workers", help="figures shown beside it, comma-separated")
    parser.add_argument("--pip", nargs="*", default=[], help="packages the other version's lock file misses")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    args, command = parser.parse_args(argv[:split]), argv[split + 1 :]
    if not command:
        parser.error("the benchmark to run (a script and its arguments) goes after --")
    other, other_python = checkout(args.other, args.pip)
    also = [name for name in args.also.split(",") if name]
    rows = []
    for pair in range(1, args.pairs + 1):
        before = run(other, other_python, command)  # the other version first in every pair
        now = run(ROOT, sys.executable, command)
        row = {"pair": pair, "other": before[args.figure], "now": now[args.figure]}
        row["ratio"] = round(now[args.figure] / before[args.figure], 2) if before[args.figure] else None
        for name in also:
            row[f"{name} other"], row[f"{name} now"] = before.get(name), now.get(name)
        rows.append(row)
        print(row, flush=True)
    ratios = [row["ratio"] for row in rows if row["ratio"] is not None]
    summary = {
        "other_mean": round(statistics.mean(row["other"] for row in rows), 2),
        "now_mean": round(statistics.mean(row["now"] for row in rows), 2),
        "ratio_mean": round(statistics.mean(ratios), 2) if ratios else None,
        "ratio_range": [min(ratios), max(ratios)] if ratios else None,
    }
    report(
        "side_by_side",
        f"{' '.join(command)}: {args.figure}, {git('rev-parse', '--short', args.other)} and this checkout "
        f"({git('rev-parse', '--short', 'HEAD')}), alternating",
        list(rows[0]),
        rows,
        other=args.other,
        command=command,
        **summary,
    )
    print(summary)


if __name__ == "__main__":
    main()
