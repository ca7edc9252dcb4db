# jwtguard: the two commands a newcomer needs are `make run` and `make test`.
# Every target installs missing Debian packages first (apt-get, via sudo when
# not root), so both work on a fresh Debian 12 machine.

BUILD_DIR    := build/release
SAN_DIR      := build/sanitize
JOBS         ?= $(shell nproc)
FUZZ_SECONDS ?= 60
# The libFuzzer targets `make fuzz` runs, each on its seed corpus
# fuzz/corpus/<target>, for an equal share of FUZZ_SECONDS (at least 20 s).
FUZZ_TARGETS := jws_fuzz http_fuzz config_fuzz jwk_fuzz cookie_fuzz jwks_fuzz logout_token_fuzz \
                status_list_fuzz status_token_fuzz claims_diff_fuzz
FUZZ_EACH     = $(shell s=$$(( $(FUZZ_SECONDS) / $(words $(FUZZ_TARGETS)) )); echo $$(( s < 20 ? 20 : s )))
LISTEN       ?= 127.0.0.1:8080
# Medians of five runs: timings on shared machines wander between runs.
BENCH_FLAGS  ?= --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

# What building and testing jwtguard needs from Debian.
DEBIAN_PACKAGES := cmake ninja-build g++ pkg-config openssl libssl-dev \
  libsimdjson-dev nlohmann-json3-dev libcli11-dev libexpected-dev \
  libabsl-dev libsqlite3-dev libsodium-dev \
  libhiredis-dev libpq-dev redis-server postgresql chromium libcurl4-openssl-dev zlib1g-dev \
  libboost-dev libspdlog-dev libtomlplusplus-dev nginx wrk curl libcpp-httplib-dev \
  libgtest-dev libgmock-dev libbenchmark-dev \
  python3-jwt golang-go golang-github-golang-jwt-jwt-dev \
  clang libclang-rt-14-dev \
  lintian prometheus dpkg-dev fakeroot systemd sqlite3

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build run test package sanitize fuzz bench bench-http format clean

deps:
	@missing=""; \
	for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The HTTP service on $(LISTEN) with the embedded SQLite store under ./var
# (and, in the default dev mode, a signing key generated there on first start).
run: build
	exec $(BUILD_DIR)/jwtguard serve --listen $(LISTEN)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The Debian package, $(BUILD_DIR)/package/jwtguard_<version>_<arch>.deb
# (cmake/package.cmake; installing it: docs/operations.md).
# Builds only what the package holds (the program, its man page).
package: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS) --target jwtguard_cli jwtguard_package_files
	cd $(BUILD_DIR) && cpack -G DEB

# The test suite and a fuzz run under AddressSanitizer + UBSan, built with
# clang (libFuzzer) in its own directory.
$(SAN_DIR)/build.ninja: | deps
	CC=clang CXX=clang++ cmake -S . -B $(SAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DJWTGUARD_SANITIZE=ON -DJWTGUARD_FUZZ=ON -DJWTGUARD_BUILD_BENCH=OFF

sanitize: deps $(SAN_DIR)/build.ninja
	cmake --build $(SAN_DIR) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(SAN_DIR) --output-on-failure -j $(JOBS)
	$(MAKE) --no-print-directory fuzz

# libFuzzer adds what it finds to the first directory, so each target works
# on a copy of its committed seed corpus. Any crash, leak or UB report fails
# the run (and stops it: the targets after it do not run).
fuzz: deps $(SAN_DIR)/build.ninja
	cmake --build $(SAN_DIR) -j $(JOBS) --target $(FUZZ_TARGETS)
	rm -rf $(SAN_DIR)/fuzz-work && mkdir -p $(SAN_DIR)/fuzz-work $(SAN_DIR)/fuzz-artifacts
	set -e; for target in $(FUZZ_TARGETS); do \
	  echo "== $$target: $(FUZZ_EACH) s"; \
	  mkdir -p $(SAN_DIR)/fuzz-work/$$target; \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 \
	    $(SAN_DIR)/fuzz/$$target -max_total_time=$(FUZZ_EACH) -max_len=16384 -print_final_stats=1 \
	    -artifact_prefix=$(SAN_DIR)/fuzz-artifacts/$$target- $(SAN_DIR)/fuzz-work/$$target \
	    fuzz/corpus/$$target; \
	done

bench: build
	$(BUILD_DIR)/bench/jose_bench $(BENCH_FLAGS)
	$(BUILD_DIR)/bench/revocation_bench $(BENCH_FLAGS)
	$(BUILD_DIR)/bench/store_bench

# wrk against nginx's `return 200` (the floor) and `jwtguard serve` on
# /auth/verify, alternated, with one and two I/O threads: about four minutes.
# The knobs (ROUNDS, DURATION, THREADS, REVOCATIONS, PROFILE, ...) are
# environment variables, or make variables: `make bench-http ROUNDS=3`.
bench-http: build
	bench/http_load.sh $(BUILD_DIR)/jwtguard

format:
	clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf build
