import copy
import subprocess
import sys

import pytest
import yaml

from wsss.config import (ConfigError, ablation_experiments, deep_merge, experiment_config, method_settings,
                         validate, with_ablations, with_fullsup)
from tests.conftest import REPO


@pytest.fixture
def cfg():
    return yaml.safe_load((REPO / "config.yaml").read_text())


def layered(cfg, *names):
    """`cfg` with workflow/configs/<name> merged over it in order, as Snakemake merges --configfile files."""
    for name in names:
        cfg = deep_merge(cfg, yaml.safe_load((REPO / "workflow" / "configs" / name).read_text()))
    return cfg


def test_default_config_is_valid(cfg):
    validate(cfg)
    assert experiment_config(cfg, "gradcam")["cams"]["method"] == "gradcam"


@pytest.mark.parametrize("override", sorted(p.name for p in (REPO / "workflow" / "configs").glob("*.yaml")))
def test_ready_made_configs_are_valid_with_their_ablations(cfg, override):
    """Each workflow/configs/*.yaml merged over config.yaml as Snakemake merges --configfile files
    (recursively) passes the checks the Snakefile runs."""
    merged = layered(cfg, override)
    with_fullsup(with_ablations(validate(merged)))
    for name in merged["experiments"]:
        experiment_config(merged, name)


def test_paper_preset_trains_cam_with_the_papers_recipe(cfg):
    """voc12-paper's CAM baseline (and DSRG from CAM seeds) is the papers' recipe, not the subset's LP-FT."""
    assert cfg["classifier"]["method"] == "cam_lpft"
    config = validate(layered(cfg, "voc12-paper.yaml"))
    for name in ("cam", "dsrg_cam"):
        assert experiment_config(config, name)["classifier"]["method"] == "cam"
    assert experiment_config(config, "ficklenet")["classifier"]["method"] == "ficklenet"


def test_voc_ablations_layer_restores_every_ablation_of_the_base_config(cfg):
    """voc12-subset-ficklenet-ablations.yaml copies config.yaml's FickleNet ablation list (a YAML list
    can only be replaced, not re-referenced): the copy must not drift from the original."""
    merged = layered(cfg, "voc12-subset.yaml", "voc12-subset-ficklenet-ablations.yaml")
    assert merged["ablations"]["ficklenet"] == cfg["ablations"]["ficklenet"]


def test_voc_rounds_layer_segments_every_row_of_the_whole_ficklenet_table(cfg):
    """voc12-subset-ficklenet-rounds.yaml trains a DSRG round for the base, every ablation of the whole
    table and the CAM baseline: a renamed or added ablation must not silently lose its round."""
    merged = with_ablations(validate(layered(cfg, "voc12-subset.yaml", "voc12-subset-ficklenet-ablations.yaml",
                                             "voc12-subset-ficklenet-rounds.yaml")))
    table = merged["ficklenet_table"]
    rows = [table["base"], *ablation_experiments(merged, table["base"]), *table["compare"]]
    assert sorted(table["segment"]) == sorted(rows)


@pytest.mark.parametrize("path,value,needle", [
    (("classifier", "backbone"), "vgg19", "classifier.backbone"),
    (("segmentation", "rounds"), 0, "segmentation.rounds"),
    (("pseudo_labels", "threshold"), 1.5, "pseudo_labels.threshold"),
    (("dataset",), "coco", "dataset"),
])
def test_bad_value_names_the_key(cfg, path, value, needle):
    c = copy.deepcopy(cfg)
    d = c
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value
    with pytest.raises(ConfigError, match=f"config key '{needle}'"):
        validate(c)


def test_typo_key_is_rejected(cfg):
    cfg["classifier"]["bakbone"] = "vgg16"
    with pytest.raises(ConfigError, match="bakbone"):
        validate(cfg)


def test_bad_experiment_override_names_experiment(cfg):
    cfg["experiments"]["broken"] = {"cams": {"method": "magic"}}
    with pytest.raises(ConfigError, match="(?s)experiment .broken.*cams.method"):
        experiment_config(validate(cfg), "broken")


def test_ablations_are_generated_from_the_base_experiment(cfg):
    cfg["ablations"] = {"ficklenet": [{"n7": {"cams": {"fickle": {"n_samples": 7}}}},
                                      {"plain": {"classifier": {"ficklenet": {"center_preserving": False}}}}],
                        "cam": [{"t5": {"pseudo_labels": {"threshold": 0.5}}}]}  # any experiment can be a base
    cfg["ficklenet_table"] = {"base": "ficklenet", "compare": ["cam_t5"], "segment": ["ficklenet_n7"]}
    with_ablations(validate(cfg))
    n7 = experiment_config(cfg, "ficklenet_n7")
    assert n7["cams"]["fickle"]["n_samples"] == 7 and n7["cams"]["method"] == "fickle"
    assert n7["classifier"]["method"] == "ficklenet" and n7["segmentation"]["loss"] == "dsrg"
    plain = experiment_config(cfg, "ficklenet_plain")
    assert plain["classifier"]["ficklenet"]["center_preserving"] is False
    assert plain["cams"]["fickle"]["n_samples"] == experiment_config(cfg, "ficklenet")["cams"]["fickle"]["n_samples"]
    assert experiment_config(cfg, "cam_t5")["pseudo_labels"]["threshold"] == 0.5
    assert ablation_experiments(cfg, "ficklenet") == ["ficklenet_n7", "ficklenet_plain"]


@pytest.mark.parametrize("change,needle", [
    ({"ficklenet_table": {"base": "nope"}}, "ficklenet_table.base"),
    ({"ficklenet_table": {"compare": ["ficklenet_typo"]}}, "ficklenet_table.compare"),
    ({"ablations": {"cam": [{"crf": {}}]}}, "ablations.cam.crf"),  # cam_crf exists already
    ({"ablations": {"nope": []}}, "ablations.nope"),
])
def test_bad_ablation_or_table_names_the_key(cfg, change, needle):
    cfg["ficklenet_table"] = {"base": "ficklenet", "compare": [], "segment": [], **change.get("ficklenet_table", {})}
    cfg["ablations"] = change.get("ablations", {})
    with pytest.raises(ConfigError, match=f"config key '{needle}'"):
        with_ablations(validate(cfg))


@pytest.mark.parametrize("override,needle", [
    ({"classifier": {"method": "spn"}, "cams": {"method": "cam"}}, "cams.method': 'cam' is not a map method of "
                                                                  "localizer 'spn'"),
    ({"classifier": {"method": "magic"}}, "classifier.method"),
    ({"segmentation": {"arch": "decouplednet_mobilenet_v2", "loss": "dsrg"}}, "segmentation.loss': 'dsrg' cannot"),
])
def test_mismatched_plugins_stop_at_config_time(cfg, override, needle):
    cfg["experiments"]["broken"] = override
    with pytest.raises(ConfigError, match=needle):
        experiment_config(validate(cfg), "broken")


def test_null_methods_resolve_to_the_plugins_defaults(cfg):
    validate(cfg)
    spn = experiment_config(cfg, "spn")
    assert spn["cams"]["method"] == "spcam" and spn["segmentation"]["loss"] == "decoupled"
    assert experiment_config(cfg, "cam")["segmentation"]["loss"] == "ce"


def test_unused_plugin_sections_stay_out_of_the_settings(cfg):
    validate(cfg)
    cam, fickle = experiment_config(cfg, "cam"), experiment_config(cfg, "ficklenet")
    assert "ficklenet" in cam["classifier"] and "ficklenet" not in method_settings(cam, "classifier")
    assert "fickle" not in method_settings(cam, "cams") and "fickle" in method_settings(fickle, "cams")
    assert "dsrg" not in method_settings(cam, "segmentation") and "dsrg" in method_settings(fickle, "segmentation")


def test_reading_the_registries_does_not_load_torch():
    """The DAG is planned from the registries' metadata: plug-in modules import torch only in functions."""
    code = ("import sys, yaml; from wsss.config import validate, experiment_config; "
            "c = validate(yaml.safe_load(open('config.yaml'))); experiment_config(c, 'spn'); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_cam_experiments_share_the_lpft_classifier_and_cam_ft_keeps_the_papers_recipe(cfg):
    """The default CAM classifier is LP-FT (measurement-basis issue): every CAM-based experiment trains it
    once; cam_ft is the papers' recipe (a random CAM layer), a classifier of its own."""
    from wsss.plan import Plan

    validate(cfg)
    names = ["cam", "cam_crf", "cam_irn", "cam_rw", "dsrg_cam", "cam_ft"]
    plan = Plan(cfg, {n: experiment_config(cfg, n) for n in names})
    assert {plan.localizer(n).name for n in names[:-1]} == {"cam_lpft"} and plan.localizer("cam_ft").name == "cam"
    assert len({plan.classifier_key(n) for n in names[:-1]}) == 1
    assert plan.classifier_key("cam_ft") != plan.classifier_key("cam")
    assert ablation_experiments(cfg, "cam_ft") == ["cam_ft_frozen", "cam_ft_lr0.1"]
