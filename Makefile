# The README's commands.  Each installs the Debian packages it needs first
# (apt-get as root, sudo otherwise, or a message naming what is missing).
#   make run    build kiln, run the Brainfuck demo under the graph interpreter, then
#               translate it to a VM (build/bfvm) with `kiln build` and run that
#   make test   build and run every test through ctest
#   make bench  build and run the benchmarks in tests/bench (never part of ctest)

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
PACKAGES := build-essential cmake pkg-config check uthash-dev libgc-dev clang valgrind hyperfine llvm-19-dev gdb

.PHONY: all deps build run test bench asan clean format

all: build

deps:
	@missing=""; \
	for package in $(PACKAGES); do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "kiln: installing missing packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	  elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; \
	  else echo "kiln: please install as root:$$missing" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DKILN_WERROR=ON >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/kiln run examples/bf/bf.kc examples/bf/hello.bf
	./$(BUILD_DIR)/kiln build examples/bf/bf.kc -o $(BUILD_DIR)/bfvm
	./$(BUILD_DIR)/bfvm examples/bf/hello.bf

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

bench: build
	./tests/bench/run.sh $(BUILD_DIR)

asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKILN_WERROR=ON -DKILN_SANITIZE=ON >/dev/null
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS)

format:
	find translator rtlib stm_gc tests -name '*.[ch]' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) build-asan build-debug
