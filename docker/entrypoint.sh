#!/bin/sh
# Waits for the database so that web, worker and beat can start in any order.
set -e
python - <<'PY'
import os, sys, time
import django
django.setup()
from django.db import connection
for attempt in range(60):
    try:
        connection.ensure_connection()
        break
    except Exception as exc:  # noqa: BLE001
        print(f"waiting for the database: {exc.__class__.__name__}", file=sys.stderr)
        time.sleep(1)
else:
    sys.exit("database unreachable")
PY
exec "$@"
