# Two commands after cloning: `make run` (the demo) and `make test` (every test).
# Each installs the missing Debian packages it needs first (scripts/deps.sh run|test): the
# demo gets no test toolchain and no PostgreSQL server.

BUILD      ?= build
TEST_BUILD ?= build-test
JOBS       ?= 2
# Tests mostly wait (fsync, sockets, timers): measured at 0.7 of a core each on average, so
# three at a time keep two cores busy; a heavy one (a build, a load) holds two of the three
# (tests/CMakeLists.txt, permit_heavy_tests).
TEST_JOBS  ?= 3
CMAKE      ?= cmake

# Quieter recursive makes (cmake --build runs make underneath).
MAKEFLAGS += --no-print-directory

# Our C sources; generated protoc-c output lives only in the build folders.
SRC_DIRS := proto common core store broker ctl report agents notify web man bench tests fuzz
FORMAT_FILES = $(shell find $(SRC_DIRS) \( -name '*.c' -o -name '*.h' \) \
	-not -name '*.pb-c.*' 2>/dev/null | sort)

.PHONY: all run test build build-test deps deps-run deps-test format check-format clean help fuzz faults-long \
	ha-failover

all: build

help:
	@echo "make run           install deps, build, run the demo (deploy/demo.sh)"
	@echo "make test          install deps, sanitizer build in $(TEST_BUILD)/, run ctest"
	@echo "make build         release build in $(BUILD)/"
	@echo "make fuzz SECONDS=600  run every libFuzzer harness this long (fuzz/run.sh)"
	@echo "make faults-long   the fault suite's long profile (tests/faults/run-long.sh, ~1 h)"
	@echo "make ha-failover   Patroni + etcd cluster on loopback, primary killed 5 times (as root, ~4 min)"
	@echo "make deps          install every missing Debian package (deps-run, deps-test: a group)"
	@echo "make format        clang-format -i every .c/.h"
	@echo "make check-format  fail if any .c/.h is not clang-formatted"
	@echo "make clean         remove $(BUILD)/, $(TEST_BUILD)/ and run/"

deps:
	@bash scripts/deps.sh all

deps-run:
	@bash scripts/deps.sh run

deps-test:
	@bash scripts/deps.sh test

build: deps-run
	$(CMAKE) -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DPERMIT_TESTS=OFF
	$(CMAKE) --build $(BUILD) -j$(JOBS)

run: build
	bash deploy/demo.sh $(BUILD)

build-test: deps-test
	$(CMAKE) -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug \
		-DPERMIT_SANITIZE=ON -DPERMIT_WERROR=ON -DPERMIT_TEST_HOOKS=ON
	$(CMAKE) --build $(TEST_BUILD) -j$(JOBS)

test: build-test
	ctest --test-dir $(TEST_BUILD) --output-on-failure -j$(TEST_JOBS)

SECONDS ?= 600
fuzz: deps
	bash fuzz/run.sh $(SECONDS)

faults-long: deps
	bash tests/faults/run-long.sh

# The long failover test of issue 10 (tests/ha/run-failover.sh; HA_KILLS=N, FAULT_SEED=N).
ha-failover: deps
	bash tests/ha/run-failover.sh

format: deps-test
	@if [ -n "$(FORMAT_FILES)" ]; then clang-format -i $(FORMAT_FILES); fi

check-format: deps-test
	@if [ -n "$(FORMAT_FILES)" ]; then \
		clang-format --dry-run --Werror $(FORMAT_FILES) && \
		echo "check-format: $(words $(FORMAT_FILES)) files formatted"; fi

clean:
	rm -rf $(BUILD) $(TEST_BUILD) build-fuzz build-fuzz.*.log build-faults build-ha-failover run
