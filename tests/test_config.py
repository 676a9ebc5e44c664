import copy

import pytest
import yaml

from stages.config import ConfigError, experiment_config, validate, with_ablations
from tests.conftest import REPO


@pytest.fixture
def cfg():
    return yaml.safe_load((REPO / "config.yaml").read_text())


def test_default_config_is_valid(cfg):
    validate(cfg)
    assert experiment_config(cfg, "gradcam")["cams"]["method"] == "gradcam"


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
    cfg["ficklenet_table"] = {"base": "ficklenet", "compare": ["cam"], "segment": ["ficklenet_n7"],
                              "ablations": [{"n7": {"cams": {"fickle": {"n_samples": 7}}}},
                                            {"plain": {"classifier": {"ficklenet": {"center_preserving": False}}}}]}
    with_ablations(validate(cfg))
    n7 = experiment_config(cfg, "ficklenet_n7")
    assert n7["cams"]["fickle"]["n_samples"] == 7 and n7["cams"]["method"] == "fickle"
    assert n7["classifier"]["method"] == "ficklenet" and n7["segmentation"]["loss"] == "dsrg"
    plain = experiment_config(cfg, "ficklenet_plain")
    assert plain["classifier"]["ficklenet"]["center_preserving"] is False
    assert plain["cams"]["fickle"]["n_samples"] == experiment_config(cfg, "ficklenet")["cams"]["fickle"]["n_samples"]


@pytest.mark.parametrize("table,needle", [
    ({"base": "nope"}, "ficklenet_table.base"),
    ({"compare": ["ficklenet_typo"]}, "ficklenet_table.compare"),
    ({"ablations": [{"crf": {}}], "base": "cam"}, "ficklenet_table.ablations.crf"),  # cam_crf exists already
])
def test_bad_ficklenet_table_names_the_key(cfg, table, needle):
    cfg["ficklenet_table"] = {"base": "ficklenet", "compare": [], "segment": [], "ablations": [], **table}
    with pytest.raises(ConfigError, match=f"config key '{needle}'"):
        with_ablations(validate(cfg))
