#!/usr/bin/env bash
# The test command: snakemake --lint, the fast suite, the slow end-to-end runs, then the cluster runs
# (a real single-node SLURM and an S3 server on loopback; they fail, never skip, without slurm-wlm).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lint.sh
python -m pytest -q -m "not slow" tests
python -m pytest -q -m "slow and not cluster" tests
python -m pytest -q -m cluster tests
