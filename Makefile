# The two set-up commands of the README: `make demo` and `make test`.
# Both create the virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STDLIB := $(shell $(PYTHON) -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')

.PHONY: demo test lint-demo load-demo clean

# Reinstall only when the project metadata changes; the install is editable.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[loader,dev]'
	touch $@

demo: lint-demo load-demo

# asynclint exits 1 when it finds something, which is the point of the demo;
# only exit code 2 (usage or internal error) fails it.
lint-demo: $(VENV)/.installed
	$(BIN)/asynclint fixtures/ "$(STDLIB)/asyncio" "$(STDLIB)"; test $$? -le 1

load-demo: $(VENV)/.installed
	$(BIN)/stockloader load --source bundled --db sqlite:///stocks.db && \
	$(BIN)/stockloader status --db sqlite:///stocks.db

test: $(VENV)/.installed
	bash scripts/ensure-postgres.sh
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) .pytest_cache stocks.db
