# hwcodesign: the two commands a new user runs are `make demo` and `make test`.
# Both install what is missing first (system packages, .venv with pinned versions).
VENV   := .venv
PY     := $(VENV)/bin/python
HWCD   := $(VENV)/bin/hwcodesign

.PHONY: help install physics demo test test-slow test-all lint docs bench pynq-venv legacy-venv bitstream clean

help:
	@echo "make demo       install everything, then run the jet tagger end to end (runs/jet_tagger/)"
	@echo "make test       install everything, then run the test suite (fast set + one end-to-end run)"
	@echo "make test-slow  the slow end-to-end tests (full-size runs)"
	@echo "make bench      benchmarks (print tables)"
	@echo "make lint       ruff"
	@echo "make docs       the documentation site (site/index.html; strict build)"
	@echo "make bitstream RUN=runs/<name>  build the run's bitstream with Vivado (where Vivado is)"
	@echo "make pynq-venv  .venv-pynq with pynq + finn-plus-driver (numpy<2) for deployment"
	@echo "make legacy-venv .venv-legacy with tf-keras + qkeras (Keras 2 / QKeras models; part of install)"

install:
	@bash scripts/bootstrap.sh

physics:
	@bash scripts/bootstrap.sh physics

demo: physics
	@echo "running the jet tagger (about 11 min on 2 cores the first time; cached afterwards)"
	@bash -c 'time $(HWCD) run configs/jet_tagger.yaml --yes' 
	$(HWCD) show runs/jet_tagger

test: physics
	@bash scripts/run_tests.sh -m "not slow" --durations=20

test-slow: physics
	@bash scripts/run_tests.sh -m "slow"

test-all: physics
	@bash scripts/run_tests.sh

lint: install
	$(VENV)/bin/ruff check hwcodesign tests bench scripts notebooks sim hls

docs: install
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict -d site
	@echo "documentation: site/index.html"

bench: physics
	$(PY) bench/rtl_speed.py

legacy-venv: install

pynq-venv:
	@test -x .venv-pynq/bin/python || python3.11 -m venv .venv-pynq
	.venv-pynq/bin/python -m pip install -q -r requirements/pynq.txt
	.venv-pynq/bin/python -c "import pynq, numpy; print('pynq', pynq.__version__, 'numpy', numpy.__version__)"

bitstream:
	@test -n "$(RUN)" || { echo "usage: make bitstream RUN=runs/<name>"; exit 2; }
	@test -f "$(RUN)/deploy/vivado/build_bitstream.tcl" || { echo "$(RUN)/deploy has no Vivado block design (run the package step for a board)"; exit 2; }
	@command -v vivado >/dev/null || { echo "vivado is not on PATH: the bitstream can only be built where Vivado is installed; $(RUN)/deploy holds everything else (README.md)"; exit 2; }
	cd "$(RUN)/deploy/vivado" && vivado -mode batch -source build_bitstream.tcl
	$(PY) scripts/register_bitstream.py "$(RUN)"

clean:
	rm -rf runs .pytest_cache
