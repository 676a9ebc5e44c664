"""What the DAG builds for a validated config: shard counts, the keys of shared artifacts (a classifier
or a CAM set shared by the experiments whose settings agree), and every artifact's path template.

The Snakemake rules (workflow/rules/common.smk) and the table modules (wsss.tables) both read paths
from here, so each template is written once."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from wsss.codehash import plugins_of
from wsss.config import fullsup_name, method_settings
from wsss.data import voc
from wsss.data.dataset import n_shards
from wsss.localizers import get_localizer

PATHS = {
    "superpixels": "{results}/superpixels/{split}_{shard}.h5",
    "features": "{results}/features/{feat}/train_{shard}.h5",
    "classifier": "{results}/classifiers/{clf}/{file}",
    "cams": "{results}/cams/{cams}/train_{shard}.h5",
    "refiner": "{results}/refiners/{cams}/{file}",
    "refiner_bench": "{bench}/refiners/{cams}/train_refiner.tsv",
    "threshold": "{results}/cams/{cams}/threshold.json",
    "pseudo": "{results}/{exp}/pseudo/shard_{shard}",
    "pseudo_scores": "{results}/{exp}/pseudo/shard_{shard}.scores.json",
    "reliable": "{results}/{exp}/round{r}/reliable.json",
    "round": "{results}/{exp}/round{r}/{file}",
    "pred": "{results}/{exp}/round{r}/pred_{split}/shard_{shard}",
    "pred_scores": "{results}/{exp}/round{r}/pred_{split}/shard_{shard}.scores.json",
    "eval": "{results}/{exp}/eval/{name}.{ext}",
    "report": "{results}/{exp}/report/{file}",
    "spn_maps": "{results}/{exp}/spn_segmenter/{split}_{shard}.h5",
    "spn_labels": "{results}/{exp}/spn_segmenter/{split}/shard_{shard}",
    "spn_scores": "{results}/{exp}/spn_segmenter/{split}/shard_{shard}.scores.json",
    "table": "{results}/{table}/{file}",
    "features_bench": "{bench}/features/{feat}/{shard}.tsv",
    "classifier_bench": "{bench}/classifiers/{clf}/train_classifier.tsv",
    "cams_bench": "{bench}/cams/{cams}/{shard}.tsv",
    "threshold_bench": "{bench}/cams/{cams}/threshold_rule.tsv",
    "pseudo_bench": "{bench}/{exp}/pseudo_labels/{shard}.tsv",
    "reliable_bench": "{bench}/{exp}/select_reliable/round{r}.tsv",
    "segmentation_bench": "{bench}/{exp}/train_segmentation/round{r}.tsv",
    "predict_bench": "{bench}/{exp}/predict/round{r}_{split}_{shard}.tsv",
}


class _Keep(dict):
    def __missing__(self, key):  # an unfilled wildcard stays a Snakemake wildcard
        return "{" + key + "}"


def split_sizes(config: dict) -> dict:
    """Images per split, known before any job runs (list files only, or official sizes pre-download)."""
    ds = config[config["dataset"]]
    if config["dataset"] == "demo":
        return {"train": ds["n_train"], "train_gt": ds["n_train"], "val": ds["n_val"]}
    if (Path(ds["root"]) / "ImageSets" / "Segmentation" / "train.txt").is_file():
        return {s: len(ids) for s, ids in voc.split_ids(ds["root"], ds.get("sbd_root")).items()}
    return dict(voc.OFFICIAL_SIZES)


def _key(prefix: str, spec: dict) -> str:
    return f"{prefix}_{hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:8]}"


class Plan:
    def __init__(self, config: dict, experiments: dict):
        self.config, self.experiments = config, experiments
        self.dataset = config["dataset"]
        self.ds = config[self.dataset]
        self.results = f"results/{self.dataset}"
        self.bench = f"benchmarks/{self.dataset}"
        self.n_shards = {s: n_shards(n, config["shard_size"]) for s, n in split_sizes(config).items()}

    def path(self, artifact: str, /, **values) -> str:
        """PATHS[artifact] with the given wildcard values filled in; the rest stay Snakemake wildcards."""
        filled = {k: str(v) for k, v in values.items()}
        return PATHS[artifact].format_map(_Keep(results=self.results, bench=self.bench, **filled))

    def shard_list(self, split: str) -> list[str]:
        return [f"{k:03d}" for k in range(self.n_shards[split])]

    def shards(self, artifact: str, split: str, /, **values) -> list[str]:
        """One path per shard of `split` (the wildcard `shard` of PATHS[artifact])."""
        return [self.path(artifact, shard=s, **values) for s in self.shard_list(split)]

    def localizer(self, exp: str):
        return get_localizer(self.experiments[exp]["classifier"]["method"])

    def plugins(self, exp: str, packages) -> tuple:
        """The plug-in modules exp runs in each of `packages` (wsss.codehash narrows a job's hash to them):
        ((package, (module,)), ...); a package exp uses none of (no refiner) maps to ()."""
        from wsss.losses import get_loss
        from wsss.refiners import get_refiner
        from wsss.segmenters import get_segmenter

        e = self.experiments[exp]
        runs = [self.localizer(exp), get_segmenter(e["segmentation"]["arch"]), get_loss(e["segmentation"]["loss"])]
        runs += [get_refiner(self.refiner(exp))] if self.refiner(exp) else []
        chosen = dict(plugins_of(*runs))
        return tuple((pkg, chosen.get(pkg, ())) for pkg in packages)

    def rounds(self, exp: str) -> list[int]:
        return list(range(1, self.experiments[exp]["segmentation"]["rounds"] + 1))

    def classifier_iterations(self, exp: str):
        """The classifier's schedule in steps: classifier.iterations, else the dataset's (null: epochs)."""
        return self.experiments[exp]["classifier"].get("iterations") or self.ds["classifier_iterations"]

    def features_key(self, exp: str) -> str | None:
        """The encoder-feature cache an experiment's classifier trains on (None: it trains on images)."""
        clf = self.experiments[exp]["classifier"]
        if not self.localizer(exp).cached_encoder(method_settings(self.experiments[exp], "classifier")):
            return None
        return _key(clf["backbone"], {"weights_path": clf.get("weights_path"), "sizes": self.ds["spn_sizes"]})

    def classifier_key(self, exp: str) -> str:
        """Experiments whose classifier settings agree share one trained classifier."""
        clf = {k: v for k, v in method_settings(self.experiments[exp], "classifier").items() if k != "iterations"}
        spec = {"classifier": clf, "epochs": self.ds["classifier_epochs"], "iterations": self.classifier_iterations(exp),
                "crop": self.ds["crop_size"], "scale_range": self.ds["scale_range"], "seed": self.config["seed"]}
        if self.localizer(exp).needs_superpixels:
            spec["spn_sizes"] = self.ds["spn_sizes"]
        return _key(self.experiments[exp]["classifier"]["backbone"], spec)

    def raw_cams_key(self, exp: str) -> str:
        """The localizer's own maps: experiments whose classifier and CAM settings agree share one set."""
        spec = {"classifier": self.classifier_key(exp), "cams": method_settings(self.experiments[exp], "cams")}
        return _key(self.experiments[exp]["cams"]["method"], spec)

    def refiner(self, exp: str) -> str | None:
        return self.experiments[exp]["refiner"]["method"]

    def cams_key(self, exp: str) -> str:
        """The maps an experiment annotates: the localizer's, or those maps through its refiner (cam -> cam_rw)."""
        raw = self.raw_cams_key(exp)
        if not self.refiner(exp):
            return raw
        spec = {"maps": raw, "refiner": method_settings(self.experiments[exp], "refiner"),
                "crop": self.ds["crop_size"], "seed": self.config["seed"]}
        return _key(self.refiner(exp), spec)

    def ground_truth(self, exp: str) -> bool:
        return self.experiments[exp]["segmentation"]["labels"] == "ground_truth"

    def otsu(self, exp: str) -> bool:
        """Whether the experiment's background threshold comes from the rule (threshold_rule), not a constant."""
        return self.experiments[exp]["pseudo_labels"]["threshold"] == "otsu"

    def fullsup_of(self, exp: str) -> str | None:
        """The fullsup experiment of exp's segmenter (the ceiling its val mIoU is divided by), if any."""
        name = fullsup_name(self.config, self.experiments[exp]["segmentation"]["arch"])
        return name if name in self.experiments else None

    def published(self, exp: str) -> str | None:
        """The method of workflow/report/published.yaml that exp stands beside: config `published`, else
        the fully-supervised row for a ground-truth experiment, else the first of its refiner, localizer
        and segmentation loss that names one (cam_rw -> PSA, ficklenet -> FickleNet, cam -> CAM annotations)."""
        e = self.experiments[exp]
        if e.get("published"):
            return None if e["published"] == "none" else e["published"]
        if self.ground_truth(exp):
            return "fully supervised"
        from wsss.losses import get_loss
        from wsss.refiners import get_refiner

        plugins = ([get_refiner(self.refiner(exp))] if self.refiner(exp) else []) + \
            [self.localizer(exp), get_loss(e["segmentation"]["loss"])]
        return next((p.published for p in plugins if p.published), None)

    def last_val(self, exp: str) -> str:
        return self.eval_json(exp, f"round{self.rounds(exp)[-1]}_val")

    def eval_json(self, exp: str, name: str) -> str:
        return self.path("eval", exp=exp, name=name, ext="json")


def relocate(obj, local: dict):
    """obj (rows of a table: dicts, lists, path strings) with each path in `local` replaced by its value.

    A table rule's rows name their input files by workflow path; under a default storage provider
    (README "No shared filesystem") the job reads each input at Snakemake's local copy instead, so
    the rule maps the rows through {workflow path: path as the job sees it} before passing them on.
    """
    if isinstance(obj, dict):
        return {k: relocate(v, local) for k, v in obj.items()}
    if isinstance(obj, list):
        return [relocate(v, local) for v in obj]
    return local.get(obj, obj) if isinstance(obj, str) else obj
