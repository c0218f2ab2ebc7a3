# Two commands matter: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: running needs the project only, the tests also need the dev extras.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
# In order: an edition before the editions that continue its questions.
QUESTIONNAIRES := questionnaires/2023.toml questionnaires/2025.toml questionnaires/citoyens-2025.toml
# The project's Python packages (each a directory with an __init__.py at the root).
PACKAGES := barometre campaigns editions outbox poll results survey usecases
PORT ?= 8000
# Every link the site writes (emails, resume links, enrolment links) starts with SITE_URL:
# by default the address the server listens on.
export SITE_URL ?= http://127.0.0.1:$(PORT)

# Development defaults; production sets DJANGO_DEBUG=0 and a real SECRET_KEY.
export DJANGO_DEBUG ?= 1

.PHONY: run demo superuser staff-hint test test-fast install install-run bytecode lint format migrate load clean r-reference

$(RUN_STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.12 est requis" if sys.version_info < (3, 12) else 0)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# No byte-compiling of every installed module up front (a third of the install's time)...
	$(BIN)/python -m pip install --quiet --no-compile -e .
	# ...but when the environment sets PYTHONDONTWRITEBYTECODE=1, Python never writes a .pyc
	# and every process compiles from source all it imports: Django starts in a third of the
	# CPU time with them (docs/benchmarks.md). One import of what the server loads (settings,
	# every app, the URLs), allowed to write, leaves the .pyc of the installed modules it uses.
	PYTHONDONTWRITEBYTECODE= DJANGO_SETTINGS_MODULE=barometre.settings SECRET_KEY=build-only \
		$(BIN)/python -c 'import django; django.setup(); import barometre.urls'
	touch $(RUN_STAMP)

$(DEV_STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

# The project's own .pyc, brought up to date at each `make run` or `make test` (a no-op for
# the files that did not change).
bytecode: $(RUN_STAMP)
	$(BIN)/python -m compileall -q -j 0 $(PACKAGES) manage.py

install-run: $(RUN_STAMP) bytecode

install: $(DEV_STAMP) bytecode

migrate: install-run
	$(BIN)/python manage.py migrate --noinput

load: migrate
	$(BIN)/python manage.py load_questionnaire $(QUESTIONNAIRES)
	$(BIN)/python manage.py import_published_counts data/published-2023.csv --edition 2023 --survey barometre-ia-collectivites --national data/national-counts-2023.csv
	$(BIN)/python manage.py load_collectivites

# `load` has just migrated and checked: the server skips its own checks to start sooner.
# Emails leave from the background worker (django-tasks-db, in the same database), started
# beside the web server and stopped with it (without its autoreloader, which would outlive it);
# `run_worker` starts it again whenever it stops.
SERVE_WITH_WORKER = $(BIN)/python manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver --skip-checks 127.0.0.1:$(PORT)

run: export TASKS_IN_DATABASE := 1
run: load staff-hint
	$(SERVE_WITH_WORKER)

# The 2025 edition closed on 11 July 2025: `make demo` reopens it in the local database to try
# the journey, with LOCAL_TRIAL on (a banner on every page; refused without debug).
# The citizens' poll opens too, with a trial fieldwork whose return addresses lead back to the
# site (open_local_fieldwork, refused outside LOCAL_TRIAL); it prints a test link.
# `make run` loads the questionnaire file again, which restores the real dates.
demo: export LOCAL_TRIAL := 1
demo: export TASKS_IN_DATABASE := 1
demo: load staff-hint
	$(BIN)/python manage.py set_edition_dates --survey barometre-ia-collectivites --year 2025 --closes-at "$$(date -d 'next year' +%Y)-01-31T23:59:59+01:00"
	$(BIN)/python manage.py open_local_fieldwork --year 2025
	$(SERVE_WITH_WORKER)

# The first staff account of the local database (the admin asks no second factor in debug).
superuser: migrate
	$(BIN)/python manage.py createsuperuser

staff-hint:
	@echo "Staff side: 'make superuser' once (first staff account), then http://127.0.0.1:$(PORT)/admin/"
	@echo "Two-factor enrolment, with ADMIN_OTP_REQUIRED=1: http://127.0.0.1:$(PORT)/admin/double-authentification/"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The suite on every core (pytest-xdist: one test database per worker); TEST_WORKERS=0 for one
# process. Two steps: the tests without a browser, then the browser tests (Playwright and
# Chromium, required: a missing Chromium fails them). The second step reuses the databases the
# first one made, so it leaves out a `--create-db` given in PYTEST_ARGS.
# `make test-fast` is the first step alone, to run after each change.
TEST_WORKERS ?= auto
PYTEST = $(BIN)/python -m pytest -n $(TEST_WORKERS)
test: install lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	# The layers (README « Architecture », contracts in pyproject.toml): no import points up.
	$(BIN)/lint-imports --no-logo
	$(PYTEST) -m "not browser" $(PYTEST_ARGS)
	$(PYTEST) -m browser $(filter-out --create-db,$(PYTEST_ARGS))

test-fast: install
	$(PYTEST) -m "not browser" $(PYTEST_ARGS)

# Dev-only: recompute tests/data/r_reference.json with R's survey package (Debian:
# apt-get install r-base-core r-cran-survey). The tests read the JSON: CI needs no R.
# See scripts/r_reference/README.md.
r-reference:
	Rscript scripts/r_reference/reference.R

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles
