import copy

import pytest
import yaml

from stages.config import ConfigError, experiment_config, validate
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
