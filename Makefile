# Two commands for a newcomer: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SERVE  ?= 1
PORT   ?= 8001

.PHONY: install demo test clean

install: $(STAMP)

# Reinstall when the dependency list changes; pip in the venv is upgraded first
# because the system pip skips trafilatura's lxml_html_clean extra.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
ifeq ($(SERVE),0)
	$(BIN)/vnarchive demo --no-serve
else
	$(BIN)/vnarchive demo --port $(PORT)
endif

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
