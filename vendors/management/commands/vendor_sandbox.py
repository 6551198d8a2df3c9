"""Serve the vendor sandbox on loopback: AceData, Baidu, LinkFace and Tencent protocols."""

import signal
import threading

from django.core.management.base import BaseCommand

from vendors.sandbox.app import SandboxApp, State, credentials_from_settings, serve


class Command(BaseCommand):
    help = "Run the vendor sandbox (credentials from the same environment variables as the adapters)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--latency-ms", type=int, default=0, help="added to every vendor call")
        parser.add_argument(
            "--fault",
            action="append",
            default=[],
            metavar="VENDOR=FAULT",
            help="answer every call of VENDOR (or *) with FAULT: 5xx, timeout, ratelimit, malformed",
        )
        parser.add_argument("--timeout-seconds", type=float, default=30.0, help="how long a 'timeout' fault stalls")
        parser.add_argument("--baidu-token-ttl", type=int, default=2592000)
        parser.add_argument("--no-access-log", action="store_true", help="no log line per call (benchmarks)")

    def handle(self, *args, **options):
        state = State(
            latency_ms=options["latency_ms"],
            timeout_seconds=options["timeout_seconds"],
            baidu_token_ttl=options["baidu_token_ttl"],
        )
        for spec in options["fault"]:
            vendor, _, fault = spec.partition("=")
            state.sticky[vendor or "*"] = fault
        creds = credentials_from_settings()
        missing = [f for f, v in vars(creds).items() if not v]
        server, url = serve(
            SandboxApp(creds, state), options["host"], options["port"], access_log=not options["no_access_log"]
        )
        self.stdout.write(
            f"vendor sandbox on {url} (AceData, Baidu, LinkFace, Tencent); "
            f"control: {url}/_sandbox/calls, POST {url}/_sandbox/faults"
        )
        if missing:
            self.stdout.write(f"  no credentials set for: {', '.join(missing)} (those calls answer 'unauthorized')")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        stop.wait()
        server.shutdown()
