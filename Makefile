# Postwarden — developer entry points.  `make run` and `make test` are the README's two commands;
# both install what they need (a venv; Debian packages when run as root).

PYTHON      ?= python3
VENV        ?= .venv
PY          := $(VENV)/bin/python
POLICY      ?= policies/example.yaml
LISTEN      ?= inet:127.0.0.1:10027
LISTEN_LOCAL?= inet:127.0.0.1:10028
METRICS     ?= 127.0.0.1:9797
DEB_PACKAGES:= postfix swaks prometheus dnsmasq-base systemd
PYTEST_ARGS ?=

.PHONY: run test test-unit test-e2e lint system-deps venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
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

# Every test: unit, property and end-to-end against a real Postfix.  pytest exits 5 when it
# collects nothing, which fails this target (and so CI).
test: venv system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: venv
	$(PY) -m pytest -m "not e2e" $(PYTEST_ARGS)

test-e2e: venv system-deps
	$(PY) -m pytest -m e2e $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check milter tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
