#!/usr/bin/env bash
# Cargo's runner for test binaries under KMP_SLOWEST (scripts/test.sh): lets a stable
# toolchain's libtest take `-Z unstable-options --report-time` (per-test times) by setting
# RUSTC_BOOTSTRAP=1 for the test binary only, never for the compiler (which would rebuild all).
RUSTC_BOOTSTRAP=1 exec "$@"
