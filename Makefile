# The README's two commands: `make demo` and `make test`. Each sets up what it needs, and
# only that: the demo the package and its `examples` extra, the tests the `dev` extra.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
# Quiet installs: no "new pip available" notice; -qq shows pip's errors only, so neither
# setuptools' editable-install notes nor warnings about a machine's index settings appear.
export PIP_DISABLE_PIP_VERSION_CHECK := 1
PIP    := $(PY) -m pip install -qq
DEMO_STAMP := $(VENV)/.installed-examples
DEV_STAMP  := $(VENV)/.installed-dev
ORACLE_STAMP := $(VENV)/.installed-oracle

.PHONY: demo test lint setup graphviz browser bench clean

# The Graphviz `dot` program, from the system's package manager when there is one. Never
# fails: without it, autograd_lite lays drawings out itself and Graphviz's tests are skipped.
graphviz:
	@sh scripts/install-graphviz.sh

# Chromium and chromedriver, from the system's package manager, for the explorer's browser
# tests. Never fails: without them those tests are skipped, saying why.
browser:
	@sh scripts/install-browser.sh

$(PY):
	@echo "setting up a virtualenv in $(VENV)"
	@$(PYTHON) -m venv $(VENV)

$(DEMO_STAMP): pyproject.toml | $(PY)
	@echo "installing autograd_lite with its examples extra (numpy, graphviz, scikit-learn, matplotlib, tqdm)"
	@$(PIP) -e '.[examples]'
	@touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	@echo "installing autograd_lite with its dev extra (the examples extra, pytest, hypothesis, ruff, ...)"
	@$(PIP) -e '.[dev]'
	@touch $@ $(DEMO_STAMP)

# PyTorch is the oracle of tests/test_torch_oracle.py and tests/peers. It is installed when
# a wheel of it is at hand without a download (pip's find-links, as on the project's CI
# machines); elsewhere it would be gigabytes, so those tests are skipped, saying why.
$(ORACLE_STAMP): $(DEV_STAMP)
	@if $(PIP) --no-index --no-deps --dry-run 'torch==2.13.0' 2>/dev/null; then \
	  echo "installing PyTorch 2.13.0 (CPU) from a local wheel, for the oracle tests"; \
	  $(PIP) 'torch==2.13.0'; \
	else echo "PyTorch is not at hand locally: the oracle tests will be skipped"; fi
	@touch $@

setup: graphviz browser $(DEV_STAMP)

demo: $(DEMO_STAMP)
	@sh scripts/install-graphviz.sh --quiet
	@$(VENV)/bin/autograd-lite demo

# -rsx: a test skipped for want of Graphviz or of a browser says so in the summary, and
# each expected failure (xfail) gives its reason.
# -n auto: one pytest worker per core (pytest-xdist).
test: graphviz browser $(ORACLE_STAMP)
	@$(PY) -m pytest -q -rsx -n auto

# ruff: pyflakes, pycodestyle, isort, bugbear, pyupgrade (pyproject.toml), and the formatter.
lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The benchmarks against micrograd, HIPS autograd, PyTorch and numpy (benchmarks/README.md).
bench: graphviz $(DEV_STAMP)
	$(PIP) -e '.[bench]'
	$(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis *.egg-info
