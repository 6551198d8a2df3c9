"""The production web server's settings: gunicorn -c python:kyc.gunicorn kyc.wsgi (docker/Dockerfile).

Threaded workers (gthread): a request that waits (an upload still arriving, the database, the
cache) holds one thread, not a whole process, so /healthz and page loads are answered while
uploads are validated; with sync workers they queued behind them (docs/performance.md,
bench/web.py). The web tier runs no face model: photos and liveness bursts are analysed by the
Celery workers.
"""

import os

bind = os.environ.get("KYC_WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("KYC_WEB_WORKERS", "3"))
worker_class = "gthread"
threads = int(os.environ.get("KYC_WEB_THREADS", "8"))
timeout = 60
accesslog = "-"
