# Two commands for a newcomer: `make run` and `make test`. Both install what they need.
# The first Python the project supports (3.11 to 3.13) that this machine has.
PYTHON ?= $(or $(shell for v in 3.11 3.12 3.13; do python$$v -c "" 2>/dev/null && { echo python$$v; break; }; done),python3)
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements-dev.lock | sha256sum | cut -c1-12)

.PHONY: run test check lock install messages clean bench bench-audit bench-duplicates bench-normalize bench-engine bench-admin bench-latency bench-throughput bench-broker bench-web bench-documents bench-screening

# Exactly the locked versions, checked against their hashes; then the project itself.
$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# The embedded default: SQLite, files in var/, a filesystem broker, the local engine, and the
# vendor sandbox on :8001 with demo credentials (variables already in the environment win).
run: export DJANGO_DEBUG ?= true
run: export ACEDATA_TOKEN ?= sandbox-acedata-token
run: export BAIDU_API_KEY ?= sandbox-baidu-ak
run: export BAIDU_SECRET_KEY ?= sandbox-baidu-sk
run: export LINKFACE_API_ID ?= sandbox-linkface-id
run: export LINKFACE_API_SECRET ?= sandbox-linkface-secret
run: export TENCENT_APPID ?= 1250000000
run: export TENCENT_SECRET_ID ?= sandbox-tencent-sid
run: export TENCENT_SECRET_KEY ?= sandbox-tencent-skey
run: export ACEDATA_BASE_URL ?= http://127.0.0.1:8001
run: export BAIDU_BASE_URL ?= http://127.0.0.1:8001
run: export LINKFACE_BASE_URL ?= http://127.0.0.1:8001
run: export TENCENT_LEGACY_BASE_URL ?= http://127.0.0.1:8001
run: export TENCENT_API_ENDPOINT ?= http://127.0.0.1:8001
# The demo's liveness: the local challenge when the applicant did it, else AceData through the sandbox.
run: export KYC_LIVENESS_VENDORS ?= local,acedata
# Whom a rejected applicant is told to contact (a deployment sets its own: `check --deploy` warns).
run: export KYC_SUPPORT_CONTACT ?= support@example.com
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py kyc_demo_setup --base-url http://$${KYC_HOST:-127.0.0.1}:$${KYC_PORT:-8000}
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho --procfile Procfile.dev start

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# What CI checks besides the tests: lint, format, the import layering, migrations in step.
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DJANGO_DEBUG=true $(PY) manage.py makemigrations --check --dry-run

# Benchmarks print a table and write JSON to bench/results/ (DATABASE_URL picks the database).
bench-audit: $(STAMP)
	$(PY) bench/audit_seal.py
bench-duplicates: $(STAMP)
	$(PY) bench/duplicate_scan.py
bench-screening: $(STAMP)
	$(PY) bench/screening.py
	$(PY) bench/screening.py --rescreen 100000
bench-normalize: $(STAMP)
	$(PY) bench/normalize_image.py
bench-engine: $(STAMP)
	$(PY) bench/local_engine.py
# These need PostgreSQL and Redis (127.0.0.1 by default; see each script's docstring).
bench-admin: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kyc_bench} $(PY) bench/admin_scale.py
bench-latency: $(STAMP)
	$(PY) bench/pipeline.py latency --latency-ms $${L:-200}
bench-throughput: $(STAMP)
	$(PY) bench/pipeline.py throughput --latency-ms $${L:-200}
bench-broker: $(STAMP)
	$(PY) bench/broker.py
bench-web: $(STAMP)
	$(PY) bench/web.py
# Reading a page's cost; then field accuracy on 100 generated documents.
bench-documents: $(STAMP)
	$(PY) bench/documents.py cost
	rm -rf var/bench-documents && $(PY) bench/documents.py generate var/bench-documents --count 100
	$(PY) manage.py evaluate_documents var/bench-documents
bench: bench-normalize bench-engine bench-duplicates bench-admin bench-audit bench-latency bench-throughput bench-broker bench-web bench-documents bench-screening

messages: $(STAMP)
	DJANGO_DEBUG=true $(PY) manage.py makemessages -l zh_Hans --no-wrap --ignore=.venv --ignore=tests --ignore=bench --ignore=staticfiles
	DJANGO_DEBUG=true $(PY) manage.py makemessages -d djangojs -l zh_Hans --no-wrap --ignore=.venv --ignore=tests --ignore=var --ignore=staticfiles
	DJANGO_DEBUG=true $(PY) manage.py compilemessages --ignore=.venv

# After changing dependencies in pyproject.toml: resolve both lock files again, for Python 3.11 to 3.13.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --quiet -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes --quiet \
		-o requirements-dev.lock

clean:
	rm -rf $(VENV) var staticfiles
