# Two commands matter: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
QUESTIONNAIRE := questionnaires/2025.toml

# Development defaults; production sets DJANGO_DEBUG=0 and a real SECRET_KEY.
export DJANGO_DEBUG ?= 1

.PHONY: run demo test install lint format migrate load clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python >= 3.12 est requis" if sys.version_info < (3, 12) else 0)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

load: migrate
	$(BIN)/python manage.py load_questionnaire $(QUESTIONNAIRE)
	$(BIN)/python manage.py load_collectivites

run: load
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The 2025 edition closed on 11 July 2025: `make demo` reopens it locally to try the journey.
demo: load
	$(BIN)/python manage.py set_edition_dates --year 2025 --closes-at "$$(date -d 'next year' +%Y)-01-31T23:59:59+01:00"
	$(BIN)/python manage.py runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: install lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
