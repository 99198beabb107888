# Postwarden — developer entry points.  `make run` and `make test` are the README's two commands;
# both install what they need (a venv; Debian packages when run as root).

PYTHON      ?= python3
VENV        ?= .venv
PY          := $(VENV)/bin/python
POLICY      ?= policies/example.yaml
LISTEN      ?= inet:127.0.0.1:10027
LISTEN_LOCAL?= inet:127.0.0.1:10028
METRICS     ?= 127.0.0.1:9797
# OCR: Tesseract with the Dutch and English models; tesserocr is compiled against its headers
# (pkg-config, a C++ compiler, Python headers); DejaVu draws the text of the OCR tests' images.
# Headless Chromium and its driver open the HTML reports in tests (tests/support/browser.py);
# faketime runs the quarantine expiry "days later" in the held-mail tests.
# systemd: systemd-analyze and systemd-socket-activate; iproute2: `ip` brings up loopback in the
# private network namespace the unit-sandbox e2e test runs the transport unit's commands in.
DEB_PACKAGES:= postfix swaks prometheus dnsmasq-base systemd iproute2 lame fonts-dejavu-core faketime \
  redis-server tesseract-ocr tesseract-ocr-nld tesseract-ocr-eng libtesseract-dev libleptonica-dev \
  pkg-config g++ python3-dev chromium chromium-driver
PYTEST_ARGS ?=

.PHONY: run demo test test-unit test-e2e lint schema system-deps venv clean

venv: $(VENV)/.installed

# system-deps first: tesserocr is built here against Debian's libtesseract (not the PyPI wheel,
# which bundles its own, older image libraries).
# The native content core (milter/native/, Rust) is built by that install too: a change to its
# sources installs again (in place, so the new extension lands beside milter/).
NATIVE_SOURCES := milter/native/Cargo.toml milter/native/Cargo.lock $(wildcard milter/native/src/*.rs)
$(VENV)/.installed: pyproject.toml $(NATIVE_SOURCES) | system-deps
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	PIP_NO_BINARY=tesserocr $(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

# Debian packages the end-to-end tests drive (real Postfix).  Installed when missing and root;
# the postfix package is preseeded to "No configuration" so the system's own Postfix stays off.
system-deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else \
	    echo "missing Debian packages:$$missing — run as root, or: sudo apt-get install$$missing" >&2; \
	  fi; \
	fi

# The main job: the milter serving the example policy on loopback, metrics on.
run: venv
	$(VENV)/bin/postwarden serve --policy $(POLICY) --listen $(LISTEN) \
	  --listen-local $(LISTEN_LOCAL) --metrics-listen $(METRICS)

# Try it (root): a private Postfix on a free loopback port wired to Postwarden as deploy/postfix
# says, with an SMTP sink behind it; prints three swaks commands (refused, held, delivered) and
# where to look. Ctrl-C stops what it started and removes its temp dir. The e2e harness does
# the work (tests/e2e/demo.py), so the demo and the tests stand Postfix up the same way.
demo: venv system-deps
	$(PY) -m tests.e2e.demo

# Every test: unit, property and end-to-end against a real Postfix.  pytest exits 5 when it
# collects nothing, which fails this target (and so CI).
test: venv system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: venv
	$(PY) -m pytest -m "not e2e" $(PYTEST_ARGS)

test-e2e: venv system-deps
	$(PY) -m pytest -m e2e $(PYTEST_ARGS)

# Benchmarks (issue 7, results in bench/RESULTS.md): Postfix alone vs + Postwarden vs
# + Rspamd end to end, protocol level, memory, content scan and a py-spy profile of the hot path;
# ~15 min on 2 cores, as root.  The JSON summary is the last line printed (BENCH_OUT=FILE keeps a
# copy).  Sizes from the environment: BENCH_RUNS (7), BENCH_MESSAGES (2000), BENCH_SIZES_KB
# (10,100), BENCH_CONFIGS, BENCH_TMPDIR (/dev/shm) — see bench/run.py.
BENCH_OUT   ?=
BENCH_ARGS  ?=
.PHONY: bench bench-quick bench-experiments bench-deps

bench: venv system-deps bench-deps
	$(PY) -m bench.run $(if $(BENCH_OUT),--output $(BENCH_OUT)) $(BENCH_ARGS)

# CI-sized: one round of 300 messages per configuration, small protocol/memory/profile runs.
bench-quick: venv system-deps bench-deps
	$(PY) -m bench.run --quick $(if $(BENCH_OUT),--output $(BENCH_OUT)) $(BENCH_ARGS)

# Proposed milter changes, measured before anyone makes them (bench/variants.py).
bench-experiments: venv system-deps bench-deps
	$(PY) -m bench.experiments $(BENCH_ARGS)

# Only the benchmarks need these: Rspamd (as root; a temporary policy-rc.d stops its package
# from starting the service, which is then disabled: the benchmark runs its own) and py-spy.
bench-deps: venv
	@if ! command -v rspamd >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian package: rspamd (service not started)"; \
	    created=""; \
	    if [ ! -e /usr/sbin/policy-rc.d ]; then \
	      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; \
	      created=1; \
	    fi; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -q --no-install-recommends rspamd; status=$$?; \
	    if [ -n "$$created" ]; then rm -f /usr/sbin/policy-rc.d; fi; \
	    if [ -d /run/systemd/system ]; then systemctl disable --now rspamd.service || true; fi; \
	    exit $$status; \
	  else \
	    echo "rspamd missing: its configurations are skipped (sudo apt-get install rspamd)" >&2; \
	  fi; \
	fi
	@[ -x $(VENV)/bin/py-spy ] || $(VENV)/bin/pip install -q py-spy

# policies/schema.json, for editors, is generated from the policy spec (milter/policy/sections.py):
# run this after changing a section; a unit test fails while the committed file is stale.
schema: venv
	$(PY) -m milter.policy.schema policies/schema.json

lint: venv
	$(VENV)/bin/ruff check milter tests bench
	$(VENV)/bin/ruff format --check milter tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# Long fuzzing, not run by CI (issue 8): >= 100 000 hostile milter connections and 20 000
# valid split ones against a running daemon, >= 10 000 generated MIME messages, 10 000 damaged
# policies (tests/fuzz/fuzz_*.py, Hypothesis; FUZZ_SEED repeats a run), then atheris
# (coverage-guided) on the adapter, the policy loader and the scanner for ATHERIS_SECONDS each.
FUZZ_CASES        ?= 100000
FUZZ_VALID_CASES  ?= 20000
FUZZ_MIME_CASES   ?= 10000
FUZZ_POLICY_CASES ?= 10000
ATHERIS_SECONDS   ?= 300

.PHONY: fuzz soak

fuzz: venv
	FUZZ_CASES=$(FUZZ_CASES) FUZZ_VALID_CASES=$(FUZZ_VALID_CASES) \
	  FUZZ_MIME_CASES=$(FUZZ_MIME_CASES) FUZZ_POLICY_CASES=$(FUZZ_POLICY_CASES) \
	  $(PY) -m pytest -s --timeout=0 tests/fuzz/fuzz_protocol.py \
	  tests/fuzz/fuzz_mime.py tests/fuzz/fuzz_policy.py $(PYTEST_ARGS)
	for target in adapter policy mime html office pdf; do \
	  $(PY) -m tests.fuzz.atheris_fuzz $$target -max_total_time=$(ATHERIS_SECONDS) \
	    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 || exit 1; \
	done

# The crash test at soak size: a few thousand messages over 40 SMTP sessions through a real
# Postfix while the milter is SIGKILLed ten times, then a paced run with three SIGTERMs.
SOAK_MESSAGES ?= 3000

soak: venv system-deps
	SOAK_MESSAGES=$(SOAK_MESSAGES) $(PY) -m pytest -s --timeout=0 tests/fuzz/soak_crash.py \
	  $(PYTEST_ARGS)
