# Shared planning (wsss.plan): shard counts, keys of shared artifacts, path templates; each
# experiment's settings as CLI JSON; code hashes derived from the stages' imports (wsss.codehash).
import json
import shlex
from pathlib import Path

from wsss.codehash import code_hash as module_hash
from wsss.config import method_settings
from wsss.plan import Plan

PLAN = Plan(config, EXPERIMENTS)
DATASET = PLAN.dataset
DS = PLAN.ds
RESULTS = PLAN.results
DATA = f"{RESULTS}/data"
INDEX = f"{DATA}/index.json"
LOGS = f"logs/{DATASET}"
BENCH = PLAN.bench
PUBLISHED = str(Path(workflow.basedir) / "workflow" / "report" / "published.yaml")
GPU = 1 if config["device"] == "cuda" else 0  # profiles override per rule (see workflow/profiles)
SHARDS = PLAN.n_shards
path, shards, shard_list = PLAN.path, PLAN.shards, PLAN.shard_list
localizer, rounds, classifier_key, cams_key = PLAN.localizer, PLAN.rounds, PLAN.classifier_key, PLAN.cams_key
CLASSIFIERS = {classifier_key(exp): exp for exp in EXPERIMENTS}  # key -> an experiment that uses it
CAM_SETS = {cams_key(exp): exp for exp in EXPERIMENTS}  # key -> an experiment that uses it


def code_hash(stage):
    """Hash of the import closure of stages.<stage>: a param, so code edits rerun exactly its jobs."""
    return module_hash(f"stages.{stage}")


def settings(exp, section):
    """An experiment's config section (without unused plug-ins' sub-sections) as a shell-quoted JSON argument."""
    return shlex.quote(json.dumps(method_settings(EXPERIMENTS[exp], section), sort_keys=True))


def json_arg(obj):
    return shlex.quote(json.dumps(obj))


def spn_sizes(exp, inference=False):
    """SPN input sizes: the dataset's training sizes, or cams.spn_sizes at inference when set."""
    sizes = EXPERIMENTS[exp]["cams"]["spn_sizes"] if inference else None
    return " ".join(map(str, sizes or DS["spn_sizes"]))


def classifier_file(exp, file):
    return path("classifier", clf=classifier_key(exp), file=file)


def cam_shard(exp, shard):
    return path("cams", cams=cams_key(exp), shard=shard)
