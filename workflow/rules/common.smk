# Shared planning helpers: where things go, how many shards each split has, settings as CLI JSON.
import hashlib
import json
import shlex
from pathlib import Path

from stages import voc
from stages.dataset import n_shards

DATASET = config["dataset"]
DS = config[DATASET]
RESULTS = f"results/{DATASET}"
DATA = f"{RESULTS}/data"
INDEX = f"{DATA}/index.json"
STAGES = Path(workflow.basedir) / "stages"
GPU = 1 if config["device"] == "cuda" else 0  # profiles override per rule (see workflow/profiles)


def split_sizes():
    """Images per split, known before any job runs (list files only, or official sizes pre-download)."""
    if DATASET == "demo":
        return {"train": DS["n_train"], "train_gt": DS["n_train"], "val": DS["n_val"]}
    if (Path(DS["root"]) / "ImageSets" / "Segmentation" / "train.txt").is_file():
        return {s: len(ids) for s, ids in voc.split_ids(DS["root"], DS.get("sbd_root")).items()}
    return dict(voc.OFFICIAL_SIZES)


SHARDS = {split: n_shards(n, config["shard_size"]) for split, n in split_sizes().items()}


def shard_list(split):
    return [f"{k:03d}" for k in range(SHARDS[split])]


# section -> (key, value, sub-settings): the sub-settings only matter when section[key] == value
METHOD_SUBSETTINGS = {"classifier": ("method", "ficklenet", "ficklenet"), "cams": ("method", "fickle", "fickle"),
                      "segmentation": ("loss", "dsrg", "dsrg")}


def section_settings(exp, section):
    """One config section of an experiment, without the sub-settings of methods it does not use."""
    values = EXPERIMENTS[exp][section]
    if section in METHOD_SUBSETTINGS:
        key, value, sub = METHOD_SUBSETTINGS[section]
        values = {k: v for k, v in values.items() if k != sub or values[key] == value}
    return values


def settings(exp, section):
    """section_settings as a shell-quoted JSON argument."""
    return shlex.quote(json.dumps(section_settings(exp, section), sort_keys=True))


def code_hash(*modules):
    """Hash of the stage modules a rule runs, passed as a param so code edits trigger reruns."""
    h = hashlib.sha1()
    for m in modules:
        h.update((STAGES / m).read_bytes())
    return h.hexdigest()[:12]


def is_spn(exp):
    return EXPERIMENTS[exp]["classifier"]["method"] == "spn"


def superpixel_shards(split):
    return expand(f"{RESULTS}/superpixels/{split}_{{shard}}.h5", shard=shard_list(split))


def spn_sizes(exp, inference=False):
    """SPN input sizes: the dataset's training sizes, or cams.spn_sizes at inference when set."""
    sizes = EXPERIMENTS[exp]["cams"]["spn_sizes"] if inference else None
    return " ".join(map(str, sizes or DS["spn_sizes"]))


def spn_args(wc, input):
    """CLI arguments that hand an SPN stage its superpixel shards and input sizes."""
    if not input.superpixels:
        return ""
    shards = " ".join(input.superpixels) if isinstance(input.superpixels, list) else input.superpixels
    exp = CAM_SETS[wc.cams] if hasattr(wc, "cams") else CLASSIFIERS[wc.clf]
    return f"--superpixels {shards} --spn-sizes {spn_sizes(exp, inference=hasattr(wc, 'cams'))}"


def classifier_key(exp):
    """Experiments whose classifier settings agree share one trained classifier."""
    spec = {"classifier": section_settings(exp, "classifier"), "epochs": DS["classifier_epochs"],
            "crop": DS["crop_size"], "seed": config["seed"]}
    if is_spn(exp):
        spec["spn_sizes"] = DS["spn_sizes"]
    digest = hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]
    return f"{EXPERIMENTS[exp]['classifier']['backbone']}_{digest}"


CLASSIFIERS = {classifier_key(exp): exp for exp in EXPERIMENTS}  # key -> an experiment that uses it


def classifier_dir(exp):
    return f"{RESULTS}/classifiers/{classifier_key(exp)}"


def rounds(exp):
    return list(range(1, EXPERIMENTS[exp]["segmentation"]["rounds"] + 1))


def cams_key(exp):
    """Experiments whose classifier and CAM settings agree share one set of CAM shards."""
    spec = {"classifier": classifier_key(exp), "cams": section_settings(exp, "cams")}
    digest = hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]
    return f"{EXPERIMENTS[exp]['cams']['method']}_{digest}"


CAM_SETS = {cams_key(exp): exp for exp in EXPERIMENTS}  # key -> an experiment that uses it


def cams_dir(exp):
    return f"{RESULTS}/cams/{cams_key(exp)}"
