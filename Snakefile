# wsss-pipeline: weakly-supervised semantic segmentation as a DAG of cached, sharded stages.
#   snakemake --cores 2                       # the synthetic demo (config.yaml)
#   snakemake --cores 8 --config dataset=voc12
#   snakemake --workflow-profile workflow/profiles/slurm
import sys

from snakemake.exceptions import WorkflowError

from wsss.config import ConfigError, experiment_config, experiment_names, validate, with_ablations, with_fullsup
from wsss.io.artifacts import damaged_artifacts
from wsss.registry import UnknownName

configfile: "config.yaml"

try:
    with_fullsup(with_ablations(validate(config)))
    SELECTED = experiment_names(config)  # what `rule all` builds; any defined experiment can be a target
    EXPERIMENTS = {name: experiment_config(config, name) for name in config["experiments"]}
except (ConfigError, UnknownName) as e:
    raise WorkflowError(str(e))

for damaged in damaged_artifacts(f"results/{config['dataset']}"):  # truncated shards / models: rebuilt now
    print(f"WARNING: {damaged.with_suffix('')} does not have the size it was written with; moved to {damaged}, "
          "the job that writes it runs again", file=sys.stderr)

report: "workflow/report/workflow.rst"

wildcard_constraints:
    shard=r"\d+",
    r=r"\d+",


include: "workflow/rules/common.smk"
include: "workflow/rules/prepare_data.smk"
include: "workflow/rules/superpixels.smk"
include: "workflow/rules/encoder_features.smk"
include: "workflow/rules/train_classifier.smk"
include: "workflow/rules/extract_cams.smk"
include: "workflow/rules/refine_cams.smk"
include: "workflow/rules/pseudo_labels.smk"
include: "workflow/rules/select_reliable.smk"
include: "workflow/rules/train_segmentation.smk"
include: "workflow/rules/predict.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/spn_table.smk"
include: "workflow/rules/ficklenet_table.smk"
include: "workflow/rules/leaderboard.smk"


rule all:
    input:
        [final_target(exp) for exp in SELECTED],
        expand(path("report", file="spn_table.md"), exp=[e for e in SELECTED if e in spn_experiments()]),
