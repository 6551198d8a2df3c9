"""What the Celery broker's client costs per message on Redis: publish, deliver, acknowledge.

kombu's own Redis transport against kyc.broker's (one Redis client per channel instead of one
per message operation), alternating, CPU time of this process per message. Redis at
BENCH_BROKER_URL (default redis://127.0.0.1:6379/12).

    python bench/broker.py [--messages 2000] [--rounds 3]
"""

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, report  # noqa: E402

URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12")
TRANSPORTS = {"kombu": "redis", "kyc.broker": "kyc.broker:Transport"}


def run(transport, messages):
    from kombu import Connection

    with Connection(URL, transport=transport) as connection:
        queue = connection.SimpleQueue(f"kyc-bench-broker-{uuid.uuid4().hex[:8]}")
        try:
            cpu, wall = time.process_time(), time.perf_counter()
            for n in range(messages):
                queue.put({"n": n})
            for _ in range(messages):
                queue.get(timeout=5).ack()
            return (time.process_time() - cpu) / messages * 1e6, (time.perf_counter() - wall) / messages * 1e6
        finally:
            queue.clear()
            queue.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    samples = {name: [] for name in TRANSPORTS}
    for _ in range(args.rounds):
        for name, transport in TRANSPORTS.items():
            samples[name].append(run(transport, args.messages))
    rows = [
        {
            "transport": name,
            "messages": args.messages,
            "rounds": args.rounds,
            "cpu_us_per_message": " / ".join(f"{cpu:.0f}" for cpu, _ in runs),
            "best_cpu_us": round(min(cpu for cpu, _ in runs)),
            "best_wall_us": round(min(wall for _, wall in runs)),
        }
        for name, runs in samples.items()
    ]
    report(
        "broker",
        f"publish + deliver + acknowledge one message on Redis ({URL}), this process's CPU",
        ["transport", "messages", "rounds", "cpu_us_per_message", "best_cpu_us", "best_wall_us"],
        rows,
    )


if __name__ == "__main__":
    main()
