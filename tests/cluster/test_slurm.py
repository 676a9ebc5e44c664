"""The tiny demo DAG through a real single-node SLURM (slurm-wlm + munge on loopback, tests/cluster/slurm.py)
with `--workflow-profile workflow/profiles/slurm` and snakemake-executor-plugin-slurm.

Job status: the plugin's documented alternative to accounting through slurmdbd, `--slurm-status-command
squeue`, which needs the controller to keep finished jobs longer than three status intervals
(MinJobAge 600 s here). Every job must be a SLURM job with the profile's partition / CPU / memory /
GPU request, and the metrics must equal those of a local run.
"""
from __future__ import annotations

import os
import re
import subprocess
import time
from collections import Counter

import pytest
import yaml

from tests.cluster.conftest import differing_metrics, snakemake_cmd
from tests.cluster.slurm import SYSTEM_CONF, SlurmCluster
from tests.conftest import BIN, REPO

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
PROFILE = REPO / "workflow" / "profiles" / "slurm"


def job_stats(stdout: str) -> Counter:
    lines = stdout.split("Job stats:")[1].splitlines()[3:]
    counts = Counter()
    for ln in lines:
        parts = ln.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return counts


def test_tiny_dag_through_real_slurm(tmp_path, tiny_yaml, local_results):
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    per_rule = profile["set-resources"]
    work = tmp_path / "work"
    work.mkdir()
    with SlurmCluster(tmp_path / "slurm", cpus=8, mem_mb=65536, gpus=1) as cluster:
        env = {**cluster.env, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
        cmd = snakemake_cmd(
            work, "--slurm-no-account", "--slurm-status-command", "squeue",
            "--slurm-init-seconds-before-status-checks", "2",
            # the profile gives training 8 CPUs; the local reference ran them on 2 threads (same numbers)
            "--set-threads", "train_classifier=2", "train_segmentation=2",
            "--config", "device=cpu",  # no GPU exists: the `gpu` requests are still scheduled (stand-in GRES)
            profile=PROFILE, config_file=tiny_yaml)
        start = time.monotonic()
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
        seconds = time.monotonic() - start
        assert r.returncode == 0, r.stderr[-6000:] + cluster.logs()
        records = cluster.jobs()
        log = r.stdout + r.stderr
    print(f"SLURM run: {len(records)} jobs in {seconds:.0f} s")

    # every job Snakemake planned (less the input-only target rules) ran as a SLURM job, and succeeded
    planned = job_stats(log)
    targets = {"all", "leaderboard"}
    expected = Counter({rule: n for rule, n in planned.items() if rule not in targets})
    submitted = re.findall(r"has been submitted with SLURM jobid (\d+)", log)
    assert len(submitted) == len(records) == sum(expected.values()), (submitted, records)
    ran = Counter(re.match(r"rule_([a-z_]+?)(_wildcards_.*)?$", j["Comment"]).group(1) for j in records)
    assert ran == expected
    assert all(j["JobState"] == "COMPLETED" and j["ExitCode"] == "0:0" for j in records)

    # each with the partition, CPU, memory and GPU request of the profile (the scheduler's own record)
    for j in records:
        rule = re.match(r"rule_([a-z_]+?)(_wildcards_.*)?$", j["Comment"]).group(1)
        want = per_rule.get(rule, {})
        assert j["Partition"] == want.get("slurm_partition", profile["default-resources"]["slurm_partition"]), j
        tres = dict(kv.split("=") for kv in j["TRES"].split(","))
        gres = j.get("TresPerJob", "") + j.get("TresPerNode", "")  # --gpus=N is a per-job GRES request
        if want.get("gpu"):
            assert gres == f"gres:gpu:{want['gpu']}", j
        else:
            assert "gpu" not in gres + j["TRES"], j
        if "mem_mb" in want:
            assert tres["mem"] == f"{want['mem_mb']}M", j
        if "cpus_per_task" in want:
            assert tres["cpu"] == str(want["cpus_per_task"]), j
    assert {j["Partition"] for j in records} == {"cpu", "gpu"}

    # the same numbers as the local run
    n, bad = differing_metrics(local_results, work / "results" / "demo")
    assert n >= 9 and bad == [], bad
    # and the cluster is gone: daemons, job processes, the linked system config
    assert cluster.leftovers() == []
    assert not (SYSTEM_CONF.is_symlink() and str(tmp_path) in os.readlink(SYSTEM_CONF))
