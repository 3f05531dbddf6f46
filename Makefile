# Two commands on a fresh machine: `make run` and `make test`.  Both create .venv on
# first use and (re)install when pyproject.toml or constraints.txt change.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-seeds test-browser bench lint screenshots clean

# pip installs uv (from PyPI, pinned in constraints.txt) and uv installs the rest, its
# downloads in parallel and no bytecode compiled ahead: on a fresh clone with no cache
# (as CI has) the setup took 49-74 s and 11-12 CPU s, where upgrading pip and installing
# with it took 166-200 s and 23-29 CPU s, and pip without the upgrade 72-120 s and 17-20
# CPU s (two runs of each, interleaved, on one loaded machine).
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile -c constraints.txt uv
	$(BIN)/python -m uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tui-symmetry $(ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist worksteal -q -m "not browser and not seeds"

# The digits scenes' captions on seeds 1 to 4 (`make test` checks seed 0; these take
# seconds a seed: 600 steps on 1,437 images and a one-unit search).
test-seeds: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist worksteal -q -m seeds tests/test_scenarios.py

# The app served to headless Chromium (tests/test_browser.py).  Installs Debian's
# chromium when it is missing, refreshing the package lists only if that fails.
test-browser: $(STAMP)
	test -x /usr/bin/chromium || apt-get install -y chromium \
		|| (apt-get update && apt-get install -y chromium)
	$(BIN)/python -m pytest -q -m browser tests/test_browser.py

# Every benchmark runs even when one misses a target (its figures are what the run is
# for); make still fails at the end if any did.
bench: $(STAMP)
	@status=0; for name in engine app units sweep csv; do \
		$(BIN)/python benchmarks/bench_$$name.py || status=1; \
	done; exit $$status

lint: $(STAMP)
	$(BIN)/ruff check .

screenshots: $(STAMP)
	$(BIN)/python -m tui_symmetry.app.screenshots screenshots

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
