# The README's two commands: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint setup system-deps clean

# The Graphviz `dot` program comes from the system's packages (Debian: graphviz).
system-deps:
	@command -v dot >/dev/null 2>&1 || { \
	  echo "installing the Graphviz 'dot' program (apt-get install graphviz)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq graphviz >/dev/null; }

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: system-deps $(STAMP)

demo: setup
	$(VENV)/bin/autograd-lite demo

test: setup
	$(PY) -m pytest -q

# ruff: pyflakes, pycodestyle, isort, bugbear, pyupgrade (pyproject.toml), and the formatter.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The benchmarks against micrograd, HIPS autograd, PyTorch and numpy (benchmarks/README.md).
.PHONY: bench
bench: setup
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis *.egg-info
