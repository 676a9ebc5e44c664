#!/usr/bin/env bash
# snakemake --lint must report nothing but its note that rules name no conda env / container: rules run
# in the project's pinned environment (scripts/setup.sh), see the README. Anything else fails.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(snakemake --lint --workflow-profile none 2>&1) || true
other=$(printf '%s\n' "$out" | grep '^    \* ' | grep -v 'Specify a conda environment or container for each rule' || true)
notes=$(printf '%s\n' "$out" | grep -c 'Specify a conda environment or container' || true)
if [ -n "$other" ]; then
  printf '%s\n' "$out"
  echo "snakemake --lint: findings other than the conda/container note:" >&2
  printf '%s\n' "$other" >&2
  exit 1
fi
echo "snakemake --lint: only the conda/container note ($notes rules; they run in the pinned .venv)"
