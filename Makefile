# Ordo: `make devnet` starts a local network, `make test` runs every check CI runs, `make check`
# the fast ones.
# Works from a fresh clone with only python3 (>= 3.11), pip, node and npm installed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
NODES ?=
SEEDS ?= 0-499
SIM_ARGS ?= --nodes 4 --byzantine 1
DATA_DIR ?= devnet-data
BASE_PORT ?= 8545
BENCH_ARGS ?= --duration 30

PY_STAMP := $(VENV)/.ordo-installed
NPM_STAMP := node_modules/.ordo-installed
ANVIL := node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil

.PHONY: devnet test check lint bench simulate chaos crash install clean distclean \
	long-simulate long-chaos long-fuzz chaos-l1 wan-hosts fault-proof-bench

devnet: $(PY_STAMP)
	$(BIN)/ordo devnet $(if $(NODES),--nodes $(NODES)) --data-dir $(DATA_DIR) --base-port $(BASE_PORT)

test: $(PY_STAMP) $(NPM_STAMP) lint
	$(BIN)/pytest tests

# The inner loop: lint, types and the tests not marked slow (tests/conftest.py says which are)
check: $(PY_STAMP) $(NPM_STAMP) lint
	$(BIN)/pytest -q -m "not slow" tests

lint: $(PY_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src

# Every row of the speed targets against anvil in one run: bench/results/targets-<date>.json
bench: $(PY_STAMP) $(NPM_STAMP)
	$(BIN)/python bench/targets.py $(BENCH_ARGS)
	$(BIN)/python bench/native_engine.py

# What the on-chain step verifier decides of the tests' step corpus, the worst step's gas and two
# full dispute games on anvil (a few minutes; not in make test): bench/results/fault_proof-<date>.json
fault-proof-bench: $(PY_STAMP) $(NPM_STAMP)
	$(BIN)/python bench/fault_proof.py

# The deterministic network simulator over as many seeds as asked: make simulate SEEDS=0-9999
simulate: $(PY_STAMP)
	$(BIN)/python -m ordo.consensus.simulator --seeds $(SEEDS) $(SIM_ARGS) --jobs 2

# Seeded faults (kill, pause, partition, latency, loss) on a live 4-node network under load:
# make chaos SEED=7 DURATION=600
chaos: $(PY_STAMP)
	$(BIN)/python -m ordo.chaos --seed $(or $(SEED),1) --duration $(or $(DURATION),120)

# Repeated SIGKILL of nodes while they commit under load; each restart is checked (issue 7):
# make crash KILLS=50 SEED=1
crash: $(PY_STAMP)
	$(BIN)/python -m ordo.chaos.crash --seed $(or $(SEED),1) --kills $(or $(KILLS),10)

# Chaos on an L1 (issue 15): the L1 endpoint down, an L1 reorg deeper than the confirmations,
# the batch poster killed at each point of posting, a full disk (root); make chaos-l1 L1=dev
chaos-l1: $(PY_STAMP) $(NPM_STAMP)
	$(BIN)/python -m ordo.chaos --seed $(or $(SEED),1) --duration $(or $(DURATION),180) \
		--l1 $(or $(L1),anvil) $(if $(FAULTS),--faults $(FAULTS))

# Four hosts in network namespaces on an L1, 50-150 ms WAN with loss (root, iproute2):
# block time, finality latency, failover -> bench/results/wan_hosts-<date>.json
wan-hosts: $(PY_STAMP) $(NPM_STAMP)
	$(BIN)/python bench/wan_hosts.py --out bench/results/wan_hosts-$$(date -u +%F).json

# Long runs, never in CI; each writes bench/results/long_<mode>-<date>.json with its commit.
# make long-simulate SEEDS=0-99999 (4 nodes/1 Byzantine and 7/2), make long-chaos DURATION=3600,
# make long-fuzz FUZZ_SCALE=400 (about a million inputs across RPC, peer frames, transactions:
# ~15 h here; FUZZ_SCALE=1 is ~2,500 inputs in ~2 min)
long-simulate: $(PY_STAMP)
	$(BIN)/python bench/long_runs.py simulate --seeds $(or $(SEEDS),0-99999) --jobs $(or $(JOBS),1)

long-chaos: $(PY_STAMP) $(NPM_STAMP)
	$(BIN)/python bench/long_runs.py chaos --duration $(or $(DURATION),3600) --l1 $(or $(L1),anvil)

long-fuzz: $(PY_STAMP) $(NPM_STAMP)
	$(BIN)/python bench/long_runs.py fuzz --scale $(or $(FUZZ_SCALE),400)

install: $(PY_STAMP) $(NPM_STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstalls only when the dependency list or the native engine's sources change; the editable
# install picks up Python edits. Without cargo the native engine is skipped (py-evm runs blocks).
NATIVE_SOURCES := native/Cargo.toml native/Cargo.lock $(wildcard native/src/*.rs)

$(PY_STAMP): pyproject.toml $(NATIVE_SOURCES) | $(BIN)/python
	@command -v cargo >/dev/null || echo "cargo not found: installing without the native engine (blocks run on py-evm)"
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund || npm install --no-audit --no-fund
	test -x $(ANVIL)
	touch $@

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis src/*.egg-info
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -not -path './node_modules/*' \
		-prune -exec rm -rf {} +

# Also removes the environment, the npm tools and the default devnet's chain.
distclean: clean
	rm -rf $(VENV) node_modules $(DATA_DIR)
