"""No shared filesystem: the tiny demo DAG with `--default-storage-provider s3` through
snakemake-storage-plugin-s3 against a real S3 server (moto in server mode) on loopback, and the
Kubernetes profile (S3 default storage, GPU rules on NVIDIA nodes) accepted by --lint and a dry run."""
from __future__ import annotations

import re
import socket
import subprocess

import boto3
import pytest
import yaml
from moto.server import ThreadedMotoServer

from tests.cluster.conftest import differing_metrics, snakemake_cmd
from tests.conftest import REPO

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
BUCKET = "wsss-test"
KEYS = ("--storage-s3-access-key", "testing", "--storage-s3-secret-key", "testing")
K8S = REPO / "workflow" / "profiles" / "kubernetes"


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on a free loopback port with one bucket: (endpoint URL, boto3 client)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=url, aws_access_key_id="testing", aws_secret_access_key="testing",
                          region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    yield url, client
    server.stop()


def storage_args(url, prefix):
    return ("--default-storage-provider", "s3", "--default-storage-prefix", f"s3://{BUCKET}/{prefix}",
            "--storage-s3-endpoint-url", url, *KEYS)


def download(client, prefix, dest):
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
            for o in page.get("Contents", [])]
    for key in keys:
        out = dest / key[len(prefix):]
        out.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(BUCKET, key, str(out))
    return keys


def test_tiny_dag_with_s3_default_storage(tmp_path, s3, tiny_yaml, local_results, env):
    url, client = s3
    work = tmp_path / "work"
    work.mkdir()
    cmd = snakemake_cmd(work, "--cores", "2", *storage_args(url, "run"), config_file=tiny_yaml)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-6000:]
    # every artifact lives in the bucket; the working directory keeps only the dataset (local(), by design)
    assert not (work / "results").exists() and not (work / "benchmarks").exists()
    assert sorted(p.name for p in work.iterdir() if not p.name.startswith(".")) == ["data"]
    keys = download(client, "run/", tmp_path / "bucket")
    assert any(k.endswith("classifiers/") or "/classifiers/" in k and k.endswith("model.pt") for k in keys)
    n, bad = differing_metrics(local_results, tmp_path / "bucket" / "results" / "demo")
    assert n >= 9 and bad == [], bad
    # the storage is the state: a second run finds everything up to date there
    again = subprocess.run([*cmd, "-n"], env=env, capture_output=True, text=True)
    assert again.returncode == 0 and "Nothing to be done" in again.stdout + again.stderr


def test_kubernetes_profile_lints_and_plans(tmp_path, s3, env):
    url, _ = s3
    profile = yaml.safe_load((K8S / "config.yaml").read_text())
    assert profile["executor"] == "kubernetes" and profile["default-storage-provider"] == "s3"
    assert profile["container-image"] and profile["shared-fs-usage"] == "none"
    gpu_rules = {rule for rule, res in profile["set-resources"].items() if res.get("gpu")}
    assert {"train_classifier", "extract_cams", "train_segmentation", "predict_val"} <= gpu_rules
    assert all(profile["set-resources"][rule]["gpu_manufacturer"] == "nvidia" for rule in gpu_rules)
    base = ["snakemake", "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path),
            "--workflow-profile", str(K8S), "--default-storage-prefix", f"s3://{BUCKET}/k8s",
            "--storage-s3-endpoint-url", url, *KEYS, "--configfile", str(REPO / "config.yaml")]
    lint = subprocess.run([*base, "--lint"], env=env, capture_output=True, text=True)
    findings = [ln for ln in (lint.stdout + lint.stderr).splitlines() if ln.startswith("    * ")]
    assert findings and all("conda environment or container" in f for f in findings), lint.stderr[-3000:]
    dry = subprocess.run([*base, "-n"], env=env, capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr[-4000:]
    out = dry.stdout + dry.stderr
    assert "s3://wsss-test/k8s/results/demo/" in out
    # the plan puts the training job on a GPU of NVIDIA's
    train = re.search(r"rule train_classifier:.*?resources: ([^\n]*)", out, re.S).group(1)
    assert "gpu=1" in train and "gpu_manufacturer=nvidia" in train
