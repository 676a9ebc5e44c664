"""Code hashes derived from imports (wsss.codehash): an edit reruns exactly the stages that import it."""
import shutil

import pytest

from tests.conftest import REPO
from wsss.codehash import closure, code_hash

STAGES = sorted(p.stem for p in (REPO / "stages").glob("*.py") if p.stem != "__init__")


def files(stage, root=REPO):
    return {str(p.relative_to(root)) for p in closure(f"stages.{stage}", root)}


def test_closures_hold_what_the_stages_run():
    # the modules the hand-kept lists missed (registries issue)
    assert "wsss/ops/reliability.py" in files("predict")  # class_scatter of the train predictions
    for f in ("wsss/data/transforms.py", "wsss/models/backbones.py", "wsss/localizers/cam.py",
              "wsss/localizers/spn.py", "wsss/models/spn.py", "wsss/ops/superpixels.py"):
        assert f in files("extract_cams"), f
    # a plug-in package reaches every plug-in, as load_plugins does at run time
    assert {f"wsss/localizers/{m}.py" for m in ("cam", "spn", "ficklenet", "center_prior")} <= files("train_classifier")
    assert {"wsss/losses/dsrg.py", "wsss/ops/dsrg.py", "wsss/segmenters/decouplednet.py"} <= files("train_segmentation")
    # and nothing a stage does not import
    assert not any(f.startswith(("wsss/models/", "wsss/localizers/")) for f in files("evaluate"))
    assert "wsss/localizers/spn.py" not in files("predict")


def test_no_stage_imports_another_stage():
    for stage in STAGES:
        others = {f for f in files(stage) if f.startswith("stages/")} - {"stages/__init__.py", f"stages/{stage}.py"}
        assert not others, (stage, others)


@pytest.fixture
def tree(tmp_path):
    for pkg in ("stages", "wsss"):
        shutil.copytree(REPO / pkg, tmp_path / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def hashes(root):
    closure.cache_clear()
    return {s: code_hash(f"stages.{s}", root) for s in STAGES}


@pytest.mark.parametrize("module", ["wsss/ops/reliability.py", "wsss/io/files.py", "wsss/data/dataset.py",
                                    "wsss/localizers/spn.py", "wsss/ops/dsrg.py", "wsss/tables/pages.py",
                                    "stages/evaluate.py"])
def test_an_edit_changes_exactly_the_importing_stages(tree, module):
    before = hashes(tree)
    importers = {s for s in STAGES if module in files(s, tree)}
    assert importers
    with open(tree / module, "a") as f:
        f.write("\n# edited\n")
    after = hashes(tree)
    assert {s for s in STAGES if before[s] != after[s]} == importers


def test_expected_reruns_for_known_edits(tree):
    """The fault-injection cases: an image-reading edit reruns every stage that reads images; a shard-slicing
    edit every per-shard stage; the reliability score the stages that write or read it."""
    def changed(module):
        before = hashes(tree)
        with open(tree / module, "a") as f:
            f.write("\n# edited\n")
        after = hashes(tree)
        return {s for s in STAGES if before[s] != after[s]}

    assert {"train_classifier", "extract_cams", "train_segmentation", "predict", "superpixels",
            "pseudo_labels", "report"} <= changed("wsss/io/files.py")
    assert {"extract_cams", "pseudo_labels", "predict", "superpixels", "evaluate"} <= changed("wsss/data/dataset.py")
    assert changed("wsss/ops/reliability.py") >= {"predict", "pseudo_labels", "select_reliable"}
    assert "train_classifier" not in changed("wsss/ops/reliability.py")


def test_a_new_plugin_module_changes_its_registry_users(tree):
    before = hashes(tree)
    (tree / "wsss" / "localizers" / "my_localizer.py").write_text("X = 1\n")
    after = hashes(tree)
    assert before["extract_cams"] != after["extract_cams"] and before["train_classifier"] != after["train_classifier"]
    assert before["evaluate"] == after["evaluate"]


CAM_ONLY = (("wsss.localizers", ("wsss.localizers.cam",)),)


def test_a_narrowed_hash_counts_only_the_jobs_plugin(tree):
    """A CAM classifier's hash (narrowed to wsss.localizers.cam) ignores the other localizers: editing
    FickleNet or adding a localizer retrains no CAM classifier; editing CAM or the shared base does."""
    def h():
        closure.cache_clear()
        return code_hash("stages.train_classifier", tree, CAM_ONLY)

    def edit(module):
        with open(tree / module, "a") as f:
            f.write("\n# edited\n")

    before, full = h(), code_hash("stages.train_classifier", tree)
    edit("wsss/localizers/ficklenet.py")
    (tree / "wsss" / "localizers" / "my_localizer.py").write_text("X = 1\n")
    assert h() == before and code_hash("stages.train_classifier", tree) != full  # the full hash still moves
    edit("wsss/localizers/cam.py")
    after_cam = h()
    assert after_cam != before
    edit("wsss/localizers/base.py")
    assert h() != after_cam
    edit("wsss/models/backbones.py")  # shared code outside the plug-in package is never narrowed
    assert h() != after_cam


def test_a_narrowed_closure_follows_the_plugins_own_imports():
    mdc = {str(p.relative_to(REPO)) for p in closure("stages.train_classifier", REPO,
                                                      (("wsss.localizers", ("wsss.localizers.mdc",)),))}
    assert {"wsss/localizers/mdc.py", "wsss/localizers/cam.py", "wsss/localizers/base.py", "wsss/models/mdc_net.py"} <= mdc
    assert not {"wsss/localizers/spn.py", "wsss/localizers/ficklenet.py", "wsss/models/ficklenet.py"} & mdc
    none = {str(p.relative_to(REPO)) for p in closure("stages.refine_cams", REPO, (("wsss.refiners", ()),))}
    assert "wsss/refiners/__init__.py" in none and not {"wsss/refiners/random_walk.py", "wsss/refiners/irn.py"} & none


def test_the_plan_names_each_experiments_plugins():
    import yaml

    from wsss.config import experiment_config, validate, with_ablations, with_fullsup
    from wsss.plan import Plan

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    with_fullsup(with_ablations(validate(config)))
    plan = Plan(config, {name: experiment_config(config, name) for name in config["experiments"]})
    every = ["wsss.localizers", "wsss.segmenters", "wsss.losses", "wsss.refiners"]
    assert dict(plan.plugins("spn", every)) == {
        "wsss.localizers": ("wsss.localizers.spn",), "wsss.segmenters": ("wsss.segmenters.decouplednet",),
        "wsss.losses": ("wsss.losses.decoupled",), "wsss.refiners": ()}
    assert dict(plan.plugins("cam_rw", every))["wsss.refiners"] == ("wsss.refiners.random_walk",)
    assert plan.plugins("ficklenet", ["wsss.losses"]) == (("wsss.losses", ("wsss.losses.dsrg",)),)
    assert plan.plugins("cam", ["wsss.segmenters"]) == (("wsss.segmenters", ("wsss.segmenters.deeplab",)),)
