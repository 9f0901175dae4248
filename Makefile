# Two entry points: `make demo` (the main job on the embedded defaults) and `make test`.
# Both build the virtual environment from the lock file first if it is missing or stale.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo serve test test-fast lint bench lock clean translations

# The web tests run a second time on PostgreSQL (the browser and server tests once, on SQLite,
# are enough).
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
# Run on SQLite only: they exercise the views' logic (a generated permission matrix, fuzzing of
# every form), which the database does not change; what does (locks, transactions, JSON, triggers)
# has its own tests on both.
SQLITE_ONLY := test_guichet_permissions.py test_hostile_inputs.py test_hostile_guichet.py \
	test_hostile_objections.py test_workspace_pages_hostile.py test_airlock_hostile.py

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hygie demo

serve: $(STAMP)
	$(BIN)/hygie serve

test: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/mypy
	$(BIN)/pytest
	HYGIE_DATABASE_URL=$(PG_URL) $(BIN)/pytest tests/web -m "not browser and not server" -p no:cacheprovider \
	  $(foreach f,$(SQLITE_ONLY),--ignore=tests/web/$(f))

# The fast loop while coding: no Spark, no browser, no server, no cluster (about a tenth of the time).
test-fast: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/pytest -m "not spark and not browser and not server and not cluster" -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python bench/synth_bench.py --patients 100000 1000000 --record

translations: $(STAMP)
	$(BIN)/python tools/translations.py

lock:
	uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11

clean:
	rm -rf $(VENV) demo
