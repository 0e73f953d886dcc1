# Procedura: `make up` runs it on this machine, `make test` proves it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help up down test test-faults cluster-up cluster-down cluster-status cluster-test unit e2e integration venv stack-up stack-down stack-status \
        stack-logs services-up services-down demo search-sync k8s-validate schemas clean \
        catalogs catalogs-update browser pdfjs k8s-manifests

help:
	@echo "make up            install, start the stack and every service, load the demo"
	@echo "make down          stop the services and the stack (data kept)"
	@echo "make test          unit, contract, integration and end-to-end tests on the real stack"
	@echo "make test-faults   the fault run: an import while workers, Tika, RabbitMQ and Elasticsearch fail"
	@echo "make cluster-up|cluster-down|cluster-status   RabbitMQ (3 nodes, quorum queues), PostgreSQL (pg_auto_failover), Elasticsearch (3 nodes), MinIO (4 servers x 2 drives), two of every process behind HAProxy, on 127.0.0.1"
	@echo "make cluster-test  their fault tests and the fault run (kill -9 under load): not part of make test"
	@echo "make stack-up|stack-down|stack-status|stack-logs"
	@echo "make schemas       regenerate docs/events (JSON Schemas, asyncapi.yaml, published baselines)"
	@echo "make k8s-validate  render deploy/k8s overlays and validate them offline"

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	$(MAKE) catalogs
	touch $(STAMP)

# the web interface's message catalogs (.po in git, .mo built here)
catalogs:
	$(BIN)/pybabel -q compile -d services/gateway/ui/locale -D messages

# after changing a text of the web interface: new msgids into both catalogs (then translate
# the Romanian ones; tests/unit/test_web_ui.py fails while one is missing)
catalogs-update: venv
	cd services/gateway/ui && ../../../$(BIN)/pybabel -q extract -F babel.cfg -k N_ \
	    --no-location --omit-header -o messages.pot . && \
	  ../../../$(BIN)/pybabel -q update -i messages.pot -d locale -D messages \
	    --no-fuzzy-matching --ignore-obsolete -w 100 && rm messages.pot
	$(MAKE) catalogs

# Debian's chromium and chromium-driver for the browser tests
browser:
	scripts/browser.sh install

# pdf.js for the document viewer: the pinned pdfjs-dist of web/package-lock.json, from the
# npm registry, copied to services/gateway/ui/static/pdfjs (nothing to do when current)
pdfjs:
	scripts/pdfjs.sh install

venv: $(STAMP) pdfjs

stack-up:
	scripts/stack.sh up

stack-down:
	scripts/stack.sh down

stack-status:
	scripts/stack.sh status

stack-logs:
	scripts/stack.sh logs

services-up: venv
	scripts/services.sh up

services-down:
	scripts/services.sh down

demo: venv
	$(BIN)/procedura demo load

up: venv stack-up services-up demo search-sync
	@echo
	@echo "Procedura is running at http://127.0.0.1:8080/api  (REST; see README.md)"
	@echo "Demo login: ana.popescu / demo-dj  (author, Direcția Juridică)"
	@echo "  e.g. curl -s -X POST http://127.0.0.1:8080/api/auth/token -H 'Content-Type: application/json' \\"
	@echo "         -d '{\"username\":\"ana.popescu\",\"password\":\"demo-dj\"}'"

down: services-down stack-down

# the index is a projection: rebuild it when it drifted from the register (or its
# mapping is older than the code's)
search-sync: venv
	$(BIN)/procedura search verify >/dev/null || $(BIN)/procedura search reindex

# render every overlay with kustomize and validate every object offline
k8s-validate: venv
	scripts/k8s-validate.sh

k8s-manifests: venv
	scripts/k8s-validate.sh manifests

schemas: venv
	$(BIN)/procedura schemas

unit: venv
	$(BIN)/python -m pytest tests/unit tests/contracts

integration: export PROCEDURA_SSO = keycloak
integration: venv stack-up
	$(BIN)/python -m pytest tests/integration

e2e: venv stack-up
	$(BIN)/python -m pytest tests/e2e

# make test always tests single sign-on: Keycloak is started with the stack (once; it stays up)
# (the manifests are checked while the stack's engines start: both mostly wait; the policy
# tests of tests/deploy run with the suite; the browser after, its apt beside the stack's
# would wait on dpkg's lock)
test: export PROCEDURA_SSO = keycloak
test: venv
	$(MAKE) --no-print-directory --jobs=2 --output-sync=target stack-up k8s-manifests
	$(MAKE) --no-print-directory browser
	$(BIN)/python -m pytest tests -m "not faults" --durations=25

# the fault run (tests/e2e/test_faults.py, about 6.5 minutes): its own target, so make test
# stays under 40 minutes on a fresh machine
test-faults: venv stack-up
	$(BIN)/python -m pytest tests -m faults

# Procedura clustered on 127.0.0.1 beside the dev stack (issue 19: RabbitMQ with quorum
# queues, PostgreSQL with pg_auto_failover, a 3-node Elasticsearch, a distributed MinIO,
# two processes of every service and two gateways behind HAProxy), data under
# .stack/cluster/; their fault tests kill nodes: their own target, never make test
cluster-up: venv stack-up
	scripts/cluster.sh up all

cluster-down:
	scripts/cluster.sh down all

cluster-status:
	scripts/cluster.sh status all

cluster-test: cluster-up browser
	$(BIN)/python -m pytest tests/cluster -m cluster -s

clean:
	rm -rf $(VENV) .pytest_cache
