# ICT Index Portal — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install install-test chromium migrate demo serve bench bench-tools load fault lint messages clean backup restore deploy-smoke

run: install migrate demo serve ## install, migrate the embedded SQLite database, load the demo, serve

test: install-test chromium ## run the whole test suite
	$(PY) -m pytest $(PYTEST_ARGS)

$(VENV)/bin/activate:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"' \
		|| { echo "Python 3.11 or newer is needed (PYTHON=$(PYTHON))."; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "Cannot create a virtual environment: on Debian run 'apt-get install python3-venv'."; exit 1; }

$(VENV)/.installed: requirements.txt | $(VENV)/bin/activate
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt requirements.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

# Browser tests use Debian's Chromium; Playwright never downloads a browser here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	DEBUG=1 $(PY) manage.py migrate --noinput

demo: install
	DEBUG=1 $(PY) manage.py load_demo

serve: install
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

bench: install-test bench-tools ## measure speed and memory, figures into docs/benchmarks.md
	$(PY) benchmarks/run.py
	$(PY) benchmarks/bulk_import.py
	$(PY) benchmarks/analysis.py
	$(PY) benchmarks/review_board.py
	$(PY) benchmarks/returns_form.py --postgres
	$(PY) benchmarks/public_load.py

# 100 simulated users for 5 minutes (locust, gunicorn, PostgreSQL, Redis; about 7 minutes in
# all, so not part of `make bench`), and the same load with PostgreSQL restarted in the middle
# (needs root for pg_ctlcluster). Figures into docs/benchmarks.md.
load: install-test ## 100 users for 5 minutes against gunicorn + PostgreSQL + Redis
	$(PY) benchmarks/load_users.py

fault: install-test ## the load with PostgreSQL stopped for a few seconds in the middle
	$(PY) benchmarks/load_users.py --restart-db-at 60 --down 6 --seconds 150

# The load tool of the public-pages benchmark, from Debian's packages.
bench-tools:
	@command -v wrk >/dev/null 2>&1 || { \
		echo "Installing Debian's wrk for the load benchmark..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk >/dev/null; }

# Backups of the database of DATABASE_URL and of MEDIA_ROOT (docs/deploy.md). On a server:
#   make backup ENV_FILE=/etc/ict-index/env      make restore FROM=<dir> ENV_FILE=...
backup: ## pg_dump (or SQLite copy) + the evidence files, into $(or $(TO),var/backups)
	$(PY) deploy/backup.py $(if $(ENV_FILE),--env-file $(ENV_FILE)) backup $(if $(TO),--to $(TO))

restore: ## restore FROM=<backup dir> into an empty database (FORCE=1 to replace)
	@test -n "$(FROM)" || { echo "Usage: make restore FROM=var/backups/ict-index-..."; exit 2; }
	$(PY) deploy/backup.py $(if $(ENV_FILE),--env-file $(ENV_FILE)) restore $(FROM) $(if $(FORCE),--force)

# Two gunicorn app servers + Redis + Debian's nginx against one PostgreSQL database, checked
# through nginx, then stopped (docs/deploy.md).
deploy-smoke: install
	deploy/smoke.sh

lint: install-test
	$(PY) -m ruff check .

messages: install ## rebuild the English catalogue (needs gettext)
	$(PY) manage.py makemessages -l en --no-obsolete \
		--ignore=benchmarks --ignore=staticfiles --ignore=test-artifacts --ignore=.venv
	$(PY) manage.py compilemessages -l en -l vi --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
