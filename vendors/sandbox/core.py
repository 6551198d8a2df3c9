"""The sandbox's core: credentials, faults and counters, routing, latency; and serving it."""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import select
import socket
import threading
import time
import uuid

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

logger = logging.getLogger("vendors.sandbox")


class Credentials:
    """The credentials the sandbox accepts, by vendor: `creds.baidu_api_key` is baidu's API_KEY."""

    def __init__(self, values: dict[str, dict[str, str]]):
        self._values = values

    def __getattr__(self, name):
        vendor, _, key = name.partition("_")
        return self._values.get(vendor, {}).get(key.upper(), "")


class State:
    """Faults to inject and calls counted, shared by all request threads."""

    def __init__(self, latency_ms=0, timeout_seconds=30.0, baidu_token_ttl=2592000):
        self.lock = threading.Lock()
        self.latency_ms = {"*": latency_ms}
        self.queued = collections.defaultdict(collections.deque)  # vendor -> faults for the next requests
        self.sticky = {}  # vendor -> fault for every request until cleared
        self.timeout_seconds = timeout_seconds
        self.baidu_token_ttl = baidu_token_ttl
        self.baidu_tokens = {}  # token -> expiry (unix)
        self.calls = collections.Counter()
        self.successes = collections.Counter()
        self.work = collections.Counter()  # (vendor, sha256 of the inputs) -> successful calls
        # Calls whose client hung up before the answer (a killed worker): no work done, nothing billed,
        # as behind a gateway that cancels upstream work on client abort.
        self.abandoned = collections.Counter()
        self.inflight = {}  # call id -> {"vendor", "answer_at" (unix time the delay ends)}

    def take_fault(self, vendor, header):
        if header:
            return header
        with self.lock:
            if self.queued[vendor]:
                return self.queued[vendor].popleft()
            return self.sticky.get(vendor) or self.sticky.get("*")

    def latency(self, vendor):
        return self.latency_ms.get(vendor, self.latency_ms.get("*", 0)) / 1000

    def snapshot(self):
        with self.lock:
            now = time.time()
            return {
                "calls": dict(self.calls),
                "successes": dict(self.successes),
                "abandoned": dict(self.abandoned),
                "inflight": [
                    {
                        "vendor": c["vendor"],
                        "answers_in_ms": (None if c["answer_at"] is None else int((c["answer_at"] - now) * 1000)),
                    }
                    for c in self.inflight.values()
                ],
                "work": {f"{v}:{k}": n for (v, k), n in self.work.items()},
                "duplicated_work": {f"{v}:{k}": n for (v, k), n in self.work.items() if n > 1},
                "latency_ms": dict(self.latency_ms),
                "sticky": dict(self.sticky),
                "queued": {v: list(q) for v, q in self.queued.items() if q},
            }


def json_response(payload, status=200, content_type="application/json"):
    # Exactly "application/json": tencentcloud-sdk-python returns an empty model for anything else.
    return Response(json.dumps(payload, ensure_ascii=False), status=status, content_type=content_type)


_current = threading.local()  # .call: the vendor call this thread serves (id, client socket, latency)


def client_gone(sock, wait: float = 0.0) -> bool:
    """Wait up to `wait` seconds; True as soon as the client has closed its connection.

    Call after the request body is read: then a readable socket means end of stream.
    """
    if sock is None:
        time.sleep(wait)
        return False
    deadline = time.monotonic() + wait
    while True:
        remaining = max(0.0, deadline - time.monotonic())
        try:
            readable, _, _ = select.select([sock], [], [], remaining)
            if readable:
                if sock.recv(1, socket.MSG_PEEK) == b"":
                    return True
                time.sleep(max(0.0, deadline - time.monotonic()))  # pipelined bytes: nothing to learn
                return False
        except (OSError, ValueError):
            return True
        if remaining <= 0:
            return False


def work_key(*parts: bytes) -> str:
    return digest_key(*(hashlib.sha256(p).hexdigest() for p in parts))


def digest_key(*digests: str) -> str:
    """work_key from the parts' sha256 hex digests."""
    h = hashlib.sha256()
    for d in digests:
        h.update(bytes.fromhex(d))
    return h.hexdigest()[:16]


class SandboxCore:
    """Routing, fault injection, latency and counting; each vendor's protocol is a mixin
    (vendors/sandbox/<vendor>.py) that SandboxApp below puts together."""

    rules = [
        Rule("/_sandbox/health", endpoint="health", methods=["GET"]),
        Rule("/_sandbox/calls", endpoint="calls", methods=["GET"]),
        Rule("/_sandbox/faults", endpoint="faults", methods=["POST"]),
        Rule("/_sandbox/reset", endpoint="reset", methods=["POST"]),
    ]

    def __init__(self, credentials: Credentials, state: State | None = None):
        self.creds = credentials
        self.state = state or State()
        self.url_map = Map([rule.empty() for klass in type(self).__mro__ for rule in klass.__dict__.get("rules", [])])

    # WSGI ------------------------------------------------------------------------
    def __call__(self, environ, start_response):
        request = Request(environ)
        request.max_content_length = 20 * 1024 * 1024
        try:
            endpoint, values = self.url_map.bind_to_environ(environ).match()
            response = getattr(self, f"on_{endpoint}")(request, **values)
        except HTTPException as exc:
            response = exc
        return response(environ, start_response)

    def vendor_call(self, vendor, request, handle, faults):
        """Count, inject a fault or run the real handler, then answer after the configured latency.

        The latency comes after the work, as the vendor's processing and network time: a client
        that hangs up while it waits (a killed worker) gets nothing and is not billed.
        """
        call_id = uuid.uuid4().hex
        header_delay = request.headers.get("X-Sandbox-Latency-Ms", "")
        delay = int(header_delay) / 1000 if header_delay.isdigit() else self.state.latency(vendor)
        with self.state.lock:
            self.state.calls[vendor] += 1
            self.state.inflight[call_id] = {"vendor": vendor, "answer_at": None}  # None: still working
        request.get_data(cache=True)  # the whole body first, so a hang-up shows as end of stream
        _current.call = {
            "id": call_id,
            "sock": request.environ.get("werkzeug.socket"),
            "delay": delay,
            "answered": False,
        }
        try:
            fault = self.state.take_fault(vendor, request.headers.get("X-Sandbox-Fault", ""))
            if fault == "timeout":
                time.sleep(self.state.timeout_seconds)
                fault = "5xx"
            if fault == "malformed":
                response = Response("<html><body>502 Bad Gateway</body></html>", status=200, content_type="text/html")
            elif fault in faults:
                response = faults[fault]()
            else:
                if fault:
                    logger.warning("sandbox: unknown fault %r ignored", fault)
                response = handle()
            if not _current.call["answered"] and self._wait_to_answer(vendor):
                return Response("client closed request", status=499)
            return response
        finally:
            _current.call = None
            with self.state.lock:
                self.state.inflight.pop(call_id, None)

    def _wait_to_answer(self, vendor) -> bool:
        """Sleep the latency, watching the client. True when it hung up (counted as abandoned)."""
        call = _current.call
        call["answered"] = True
        with self.state.lock:
            if call["id"] in self.state.inflight:
                self.state.inflight[call["id"]]["answer_at"] = time.time() + call["delay"]
        gone = client_gone(call["sock"], call["delay"])
        if gone:
            with self.state.lock:
                self.state.abandoned[vendor] += 1
        return gone

    def succeeded(self, vendor, key):
        """The work is done; billed when it reaches the client after the latency."""
        call = getattr(_current, "call", None)
        if call is not None and self._wait_to_answer(vendor):
            return
        # Out of flight and billed at once: a reader of the counters never sees the call in neither.
        with self.state.lock:
            if call is not None:
                self.state.inflight.pop(call["id"], None)
            self.state.successes[vendor] += 1
            self.state.work[(vendor, key)] += 1

    # Control -----------------------------------------------------------------------
    def on_health(self, request):
        return json_response({"status": "ok"})

    def on_calls(self, request):
        return json_response(self.state.snapshot())

    def on_reset(self, request):
        with self.state.lock:
            for counter in (self.state.calls, self.state.successes, self.state.work, self.state.abandoned):
                counter.clear()
            self.state.queued.clear()
            self.state.sticky.clear()
            self.state.latency_ms = {"*": 0}
        return json_response({"status": "reset"})

    def on_faults(self, request):
        """{"vendor": "baidu"|"*", "queue": ["ratelimit", ...], "sticky": "5xx"|null, "latency_ms": 200,
        "timeout_seconds": 5}"""
        body = request.get_json(silent=True) or {}
        vendor = body.get("vendor", "*")
        with self.state.lock:
            for fault in body.get("queue", []):
                self.state.queued[vendor].append(fault)
            if "sticky" in body:
                if body["sticky"]:
                    self.state.sticky[vendor] = body["sticky"]
                else:
                    self.state.sticky.pop(vendor, None)
            if "latency_ms" in body:
                self.state.latency_ms[vendor] = int(body["latency_ms"])
            if "timeout_seconds" in body:
                self.state.timeout_seconds = float(body["timeout_seconds"])
        return json_response(self.state.snapshot())


def serve(app, host="127.0.0.1", port=0, access_log=True):
    """Start the sandbox on a background thread; returns (server, base_url).

    access_log=False: no line per call (a benchmark's load would spend the sandbox's CPU on it).
    """
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Handler(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            if access_log:
                super().log_request(*args, **kwargs)

    server = make_server(host, port, app, threaded=True, request_handler=Handler)
    thread = threading.Thread(target=server.serve_forever, name="vendor-sandbox", daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_port}"
