# Shared planning (wsss.plan): shard counts, keys of shared artifacts, path templates; each
# experiment's settings as CLI JSON; code hashes derived from the stages' imports (wsss.codehash).
import json
import os
import re
import shlex
from functools import lru_cache
from pathlib import Path

from wsss.codehash import code_hash as module_hash
from wsss.config import method_settings
from wsss.plan import Plan, relocate

PLAN = Plan(config, EXPERIMENTS)
DATASET = PLAN.dataset
DS = PLAN.ds
RESULTS = PLAN.results
DATA = f"{RESULTS}/data"
INDEX = f"{DATA}/index.json"
LOGS = f"logs/{DATASET}"
BENCH = PLAN.bench
# part of the workflow source, never of the default storage (README "No shared filesystem")
PUBLISHED = local(str(Path(workflow.basedir) / "workflow" / "report" / "published.yaml"))
# Snakemake's between-workflow output cache (README "Shared artifacts"): the classifier, encoder-feature
# and CAM rules are eligible when SNAKEMAKE_OUTPUT_CACHE names a cache directory (then run with --cache).
OUTPUT_CACHE = bool(os.environ.get("SNAKEMAKE_OUTPUT_CACHE"))
GPU = 1 if config["device"] == "cuda" else 0  # profiles override per rule (see workflow/profiles)
SHARDS = PLAN.n_shards
path, shards, shard_list = PLAN.path, PLAN.shards, PLAN.shard_list
localizer, rounds, classifier_key, cams_key = PLAN.localizer, PLAN.rounds, PLAN.classifier_key, PLAN.cams_key
ground_truth, otsu = PLAN.ground_truth, PLAN.otsu
CLASSIFIERS = {classifier_key(exp): exp for exp in EXPERIMENTS}  # key -> an experiment that uses it
CAM_SETS = {PLAN.raw_cams_key(exp): exp for exp in EXPERIMENTS}  # the localizers' maps: key -> an experiment
REFINED_SETS = {cams_key(exp): exp for exp in EXPERIMENTS if PLAN.refiner(exp)}  # maps through a refiner


def one_of(keys):
    """A wildcard constraint matching exactly these keys (extract_cams and refine_cams write the same
    path template; the key says which rule makes a set)."""
    return "|".join(map(re.escape, sorted(keys))) or "(?!)"
FEATURE_SETS = {PLAN.features_key(exp): exp for exp in EXPERIMENTS if PLAN.features_key(exp)}


def code_hash(stage, exp_of=None, packages=()):
    """Hash of the import closure of stages.<stage>: a param, so code edits rerun exactly its jobs.
    With exp_of (wildcards -> the experiment a job serves), the plug-in packages in `packages` count only
    the plug-ins that experiment runs (wsss.codehash): a new localizer retrains no other's classifier.
    Name only packages whose plug-in the job's output key fixes (a classifier key fixes its localizer)."""
    if exp_of is None:
        return module_hash(f"stages.{stage}")
    return lambda wc: narrowed_hash(stage, PLAN.plugins(exp_of(wc), packages))


@lru_cache(maxsize=None)
def narrowed_hash(stage, plugins):
    """Once per (stage, plug-ins), not once per job: each hash reads its whole closure from disk."""
    return module_hash(f"stages.{stage}", plugins=plugins)


SEGMENTATION_PLUGINS = ["wsss.segmenters", "wsss.losses"]  # a round's path names its experiment: arch and loss


def settings(exp, section):
    """An experiment's config section (without unused plug-ins' sub-sections) as a shell-quoted JSON argument."""
    return shlex.quote(json.dumps(method_settings(EXPERIMENTS[exp], section), sort_keys=True))


def refiner_settings(exp):
    """The experiment's refiner section: the chosen refiner's settings."""
    ref = EXPERIMENTS[exp]["refiner"]
    return ref[ref["method"]]


def json_arg(obj):
    return shlex.quote(json.dumps(obj))


def staged_rows(table_rows, files, key=None):
    """A params function: a table's rows as a JSON argument, each input file at the path the job reads
    it from (wsss.plan.relocate). table_rows: the rows, or a function of the wildcards giving them;
    files: the rows' input files in the order of the rule's input (or of input[key])."""
    def rows_arg(wc, input):
        rows = table_rows(wc) if callable(table_rows) else table_rows
        staged = input[key] if key else input
        return json_arg(relocate(rows, dict(zip(files(rows), staged))))
    return rows_arg


def spn_sizes(exp, inference=False):
    """SPN input sizes: the dataset's training sizes, or cams.spn_sizes at inference when set."""
    sizes = EXPERIMENTS[exp]["cams"]["spn_sizes"] if inference else None
    return " ".join(map(str, sizes or DS["spn_sizes"]))


def classifier_file(exp, file):
    return path("classifier", clf=classifier_key(exp), file=file)


def cam_shard(exp, shard):
    return path("cams", cams=cams_key(exp), shard=shard)


# --- input functions of extract_cams.smk
def cams_inputs(wc):
    exp = CAM_SETS[wc.cams]
    inputs = {"index": INDEX, "superpixels": []}
    if localizer(exp).trains:
        inputs["model"] = classifier_file(exp, "model.pt")
    if localizer(exp).needs_superpixels:
        inputs["superpixels"] = path("superpixels", split="train", shard=wc.shard)
    return inputs


# --- input functions of predict.smk
def crf_flag(wc):
    exp = EXPERIMENTS[wc.exp]
    return f"--crf {json_arg(exp['pseudo_labels']['crf'])}" if exp["segmentation"]["crf"] else ""


# --- input functions of prepare_data.smk
def dataset_inputs(wc):
    """Markers of a generated or downloaded dataset; local(): the dataset is never in storage (prepare_data.smk)."""
    if DATASET == "demo":
        return [local(rules.make_demo.output.marker)]
    if DS["download"]:
        markers = [rules.download_voc.output.marker, *([rules.download_sbd.output.marker] if DS.get("sbd_root") else [])]
        return [local(m) for m in markers]
    return []


# --- input functions of pseudo_labels.smk
def superpixel_input(wc):
    if EXPERIMENTS[wc.exp]["pseudo_labels"]["refine"] == "superpixel":
        return path("superpixels", split="train", shard=wc.shard)
    return []


# --- input functions of report.smk
def report_inputs(wc):
    exp = wc.exp
    last = rounds(exp)[-1]
    inputs = dict(
        index=INDEX,
        pseudo=PLAN.eval_json(exp, "pseudo_train_gt"),
        rounds=[PLAN.eval_json(exp, f"round{r}_val") for r in rounds(exp)],
        cams=cam_shard(exp, "000"),
        pseudo_dirs=shards("pseudo", "train", exp=exp),
        pred_dirs=shards("pred", "val", exp=exp, r=last, split="val"),
        published=PUBLISHED)
    if localizer(exp).trains:
        inputs["classifier"] = classifier_file(exp, "metrics.json")
    if PLAN.fullsup_of(exp):
        inputs["fullsup"] = PLAN.last_val(PLAN.fullsup_of(exp))
    return inputs


# --- input functions of select_reliable.smk
def annotation_scores(wc):
    """Round 1 selects from the pseudo labels, round r > 1 from round r-1's train predictions."""
    r = int(wc.r)
    if r == 1:
        return shards("pseudo_scores", "train", exp=wc.exp)
    return shards("pred_scores", "train", exp=wc.exp, r=r - 1, split="train")


# --- input functions of spn_table.smk
def spn_experiments():
    return [e for e in EXPERIMENTS if localizer(e).predicts_classes]


def spn_segmenter_cams(wc):
    """SPN as a segmenter reads the localizer's own train maps (their `predicted` group), refined or not."""
    if wc.split == "train":
        return path("cams", cams=PLAN.raw_cams_key(wc.exp), shard=wc.shard)
    return path("spn_maps", exp=wc.exp, split=wc.split, shard=wc.shard)


# --- input functions of train_classifier.smk
def classifier_superpixels(wc):
    """A localizer that needs superpixels trains on the train shards and reports its val mAP with the val ones."""
    if localizer(CLASSIFIERS[wc.clf]).needs_superpixels:
        return [*shards("superpixels", "train", split="train"), *shards("superpixels", "val", split="val")]
    return []


def classifier_features(wc):
    """The encoder-feature shards a classifier trains on (SPN with classifier.spn.cache_features)."""
    key = PLAN.features_key(CLASSIFIERS[wc.clf])
    return shards("features", "train", feat=key) if key else []


def weights_arg(exp):
    w = EXPERIMENTS[exp]["classifier"].get("weights_path")
    return f"--weights-path {shlex.quote(w)}" if w else ""


def iterations_arg(exp):
    n = PLAN.classifier_iterations(exp)
    return f"--iterations {n}" if n else ""


def superpixel_args(input, exp, inference=False):
    """CLI arguments that hand a stage its superpixel shards and the SPN input sizes (if it has any)."""
    if not input.superpixels:
        return ""
    files = " ".join(input.superpixels) if isinstance(input.superpixels, list) else input.superpixels
    return f"--superpixels {files} --spn-sizes {spn_sizes(exp, inference)}"


# --- input functions of train_segmentation.smk
def segmentation_inputs(wc):
    """Round 1 learns from the pseudo labels (or, for fullsup, the ground-truth masks in the index), round
    r > 1 from round r-1's cleaned train predictions; each through the round's reliable subset."""
    r = int(wc.r)
    if r == 1 and ground_truth(wc.exp):
        return {"index": INDEX}
    labels = (shards("pseudo", "train", exp=wc.exp) if r == 1 else
              shards("pred", "train", exp=wc.exp, r=r - 1, split="train"))
    return {"index": INDEX, "labels": labels, "manifest": path("reliable", exp=wc.exp, r=r)}


def segmentation_labels_args(input):
    if "labels" not in input.keys():
        return "--ground-truth"
    return f"--labels {' '.join(input.labels)} --manifest {input.manifest}"


def final_target(exp):
    """The target the default run builds for an experiment: its report (fullsup: its val evaluation)."""
    return PLAN.last_val(exp) if ground_truth(exp) else path("report", exp=exp, file="report.md")


# --- thresholds (wsss/ops/thresholds.py)
def threshold_input(wc):
    """The threshold_rule output of the experiment's maps, when its threshold is the rule's."""
    return path("threshold", cams=cams_key(wc.exp)) if otsu(wc.exp) else []


def threshold_arg(wc, input):
    return f"--threshold-file {input.threshold}" if input.threshold else ""


def protocol_threshold(wc, input):
    return input.threshold if input.threshold else str(EXPERIMENTS[wc.exp]["pseudo_labels"]["threshold"])
