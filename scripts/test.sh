#!/usr/bin/env bash
# The test command: snakemake --lint, then the fast suite, then the slow end-to-end runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lint.sh
python -m pytest -q -m "not slow" tests
python -m pytest -q -m slow tests
