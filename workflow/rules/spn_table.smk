# The SPN paper's analysis on our data (SPN experiments only): SPN as a segmenter, annotations before
# cleaning / after cleaning / in the reliable subset, round by round, the reliability curve (Fig. 3a),
# and one table beside the published numbers.    snakemake --cores 2 spn_tables
import re

SPN_TABLE_CAM = "cam_spn_rule"  # the CAM row: CAM maps through the same 50%-of-max rule (config.yaml)


def shard_dirs(prefix, split):
    return expand(f"{prefix}/shard_{{shard}}", shard=shard_list(split))


rule spn_segmenter_maps:
    input:
        index=INDEX,
        model=lambda wc: f"{classifier_dir(wc.exp)}/model.pt",
        superpixels=f"{RESULTS}/superpixels/{{split}}_{{shard}}.h5",
    output: f"{RESULTS}/{{exp}}/spn_segmenter/{{split}}_{{shard}}.h5"
    wildcard_constraints: split="val"  # on train the CAM shards already hold these maps (group predicted/)
    params:
        settings=lambda wc: settings(wc.exp, "cams"),
        shards=lambda wc: SHARDS[wc.split],
        sizes=lambda wc: spn_sizes(wc.exp, inference=True),
        code=code_hash("extract_cams.py", "h5store.py", "models/spn.py", "spn_data.py", "pseudo_labels.py"),
    log: f"logs/{DATASET}/{{exp}}/spn_segmenter/{{split}}_{{shard}}.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/spn_segmenter/{{split}}_{{shard}}.tsv"
    threads: 2
    resources: mem_mb=4000, gpu=GPU
    shell:
        "python -m stages.extract_cams --index {input.index} --checkpoint {input.model} --split {wildcards.split} "
        "--shard {wildcards.shard} --shards {params.shards} --settings {params.settings} --predicted-classes "
        "--superpixels {input.superpixels} --spn-sizes {params.sizes} --out {output} --device {config[device]} "
        "--threads {threads} > {log} 2>&1"


def spn_segmenter_cams(wc):
    if wc.split == "train":
        return f"{cams_dir(wc.exp)}/train_{wc.shard}.h5"
    return f"{RESULTS}/{wc.exp}/spn_segmenter/{wc.split}_{wc.shard}.h5"


rule spn_segmenter_labels:
    input:
        index=INDEX,
        cams=spn_segmenter_cams,
    output:
        labels=directory(f"{RESULTS}/{{exp}}/spn_segmenter/{{split}}/shard_{{shard}}"),
        scores=f"{RESULTS}/{{exp}}/spn_segmenter/{{split}}/shard_{{shard}}.scores.json",
    wildcard_constraints: split="train|val"
    params:  # SP-CAM is already constant in superpixels: the threshold rule alone
        settings=lambda wc: shlex.quote(json.dumps({"threshold": EXPERIMENTS[wc.exp]["pseudo_labels"]["threshold"],
                                                    "refine": "none"})),
        shards=lambda wc: SHARDS[wc.split],
        group=lambda wc: "--group predicted" if wc.split == "train" else "",
        code=code_hash("pseudo_labels.py", "reliability.py", "h5store.py"),
    log: f"logs/{DATASET}/{{exp}}/spn_segmenter/labels_{{split}}_{{shard}}.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/spn_segmenter/labels_{{split}}_{{shard}}.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.pseudo_labels --index {input.index} --cams {input.cams} --split {wildcards.split} "
        "--shard {wildcards.shard} --shards {params.shards} --settings {params.settings} {params.group} "
        "--out-dir {output.labels} --scores {output.scores} > {log} 2>&1"


def table_eval(exp, row):
    """(split, label dirs, reliable manifest or None) of one SPN-table evaluation, by row name."""
    base = f"{RESULTS}/{exp}"
    if row == "spn_uncleaned":
        return "train_gt", shard_dirs(f"{base}/spn_segmenter/train", "train"), None
    if row == "spn_segmenter_val":
        return "val", shard_dirs(f"{base}/spn_segmenter/val", "val"), None
    if row == "pseudo_reliable":
        return "train_gt", shard_dirs(f"{base}/pseudo", "train"), f"{base}/round1/reliable.json"
    r, kind = re.fullmatch(r"round(\d+)_(cleaned|reliable)", row).groups()
    manifest = f"{base}/round{int(r) + 1}/reliable.json" if kind == "reliable" else None
    return "train_gt", shard_dirs(f"{base}/round{r}/pred_train", "train"), manifest


rule evaluate_table_row:
    input:
        index=INDEX,
        pred=lambda wc: table_eval(wc.exp, wc.row)[1],
        manifest=lambda wc: table_eval(wc.exp, wc.row)[2] or [],
    output:
        json=f"{RESULTS}/{{exp}}/eval/table/{{row}}.json",
        md=f"{RESULTS}/{{exp}}/eval/table/{{row}}.md",
    wildcard_constraints: row=r"spn_uncleaned|spn_segmenter_val|pseudo_reliable|round\d+_(cleaned|reliable)"
    params:
        split=lambda wc: table_eval(wc.exp, wc.row)[0],
        manifest=lambda wc, input: f"--manifest {input.manifest}" if input.manifest else "",
        code=code_hash("evaluate.py", "metrics.py"),
    log: f"logs/{DATASET}/{{exp}}/evaluate/table_{{row}}.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/evaluate/table_{{row}}.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.evaluate --index {input.index} --split {params.split} --pred {input.pred} "
        "{params.manifest} --json {output.json} --md {output.md} --title '{wildcards.row} ({wildcards.exp})' "
        "> {log} 2>&1"


rule reliability_curve:
    input:
        index=INDEX,
        labels=lambda wc: shard_dirs(f"{RESULTS}/{wc.exp}/pseudo", "train"),
        scores=lambda wc: expand(f"{RESULTS}/{wc.exp}/pseudo/shard_{{shard}}.scores.json", shard=shard_list("train")),
    output:
        json=f"{RESULTS}/{{exp}}/eval/reliability_curve.json",
        png=report(f"{RESULTS}/{{exp}}/report/reliability_curve.png", caption="../report/reliability_curve.rst",
                   category="metrics"),
    params:
        k=lambda wc: f"--k {EXPERIMENTS[wc.exp]['reliable']['k']}" if EXPERIMENTS[wc.exp]["reliable"]["k"] else "",
        code=code_hash("reliability_curve.py"),
    log: f"logs/{DATASET}/{{exp}}/reliability_curve.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/reliability_curve.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.reliability_curve --index {input.index} --labels {input.labels} --scores {input.scores} "
        "{params.k} --json {output.json} --png {output.png} --title 'initial annotations ({wildcards.exp})' > {log} 2>&1"


def table_rows(exp):
    """(label, evaluated on, eval JSON, published method) of every SPN-table row."""
    ev = f"{RESULTS}/{exp}/eval"
    k = EXPERIMENTS[exp]["reliable"]["k"] or "all"
    th = EXPERIMENTS[exp]["pseudo_labels"]["threshold"]
    rows = []
    if SPN_TABLE_CAM in EXPERIMENTS:
        rows.append((f"CAM annotations, cleaned ({EXPERIMENTS[SPN_TABLE_CAM]['pseudo_labels']['threshold']:g} of max)",
                     "train (GT)", f"{RESULTS}/{SPN_TABLE_CAM}/eval/pseudo_train_gt.json", "CAM annotations"))
    rows += [(f"SPN annotations, not cleaned (classes the SPN finds, {th:g} of max)", "train (GT)",
              f"{ev}/table/spn_uncleaned.json", None),
             ("SPN annotations, cleaned by image labels", "train (GT)", f"{ev}/pseudo_train_gt.json",
              "SPN initial annotations"),
             (f"SPN annotations, reliable subset (K={k} per class)", "train (GT) in subset",
              f"{ev}/table/pseudo_reliable.json", None),
             ("SPN as a segmenter", "val", f"{ev}/table/spn_segmenter_val.json", None)]
    arch = EXPERIMENTS[exp]["segmentation"]["arch"]
    for r in rounds(exp):
        rows += [(f"round {r}: {arch}", "val", f"{ev}/round{r}_val.json", None),
                 (f"round {r} annotations, cleaned", "train (GT)", f"{ev}/table/round{r}_cleaned.json", None),
                 (f"round {r} annotations, reliable subset (K={k})", "train (GT) in subset",
                  f"{ev}/table/round{r}_reliable.json", None)]
    return rows


rule spn_table:
    input:
        evals=lambda wc: [r[2] for r in table_rows(wc.exp)],
        curve=f"{RESULTS}/{{exp}}/eval/reliability_curve.json",
        curve_png=f"{RESULTS}/{{exp}}/report/reliability_curve.png",
        published=str(Path(workflow.basedir) / "workflow" / "report" / "published.yaml"),
    output:
        md=f"{RESULTS}/{{exp}}/report/spn_table.md",
        html=report(f"{RESULTS}/{{exp}}/report/spn_table.html", caption="../report/spn_table.rst", category="report"),
    params:
        rows=lambda wc: shlex.quote(json.dumps([dict(label=a, data=b, eval=c, published=d)
                                                for a, b, c, d in table_rows(wc.exp)])),
        code=code_hash("spn_table.py", "report.py"),
    log: f"logs/{DATASET}/{{exp}}/spn_table.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/spn_table.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.spn_table --rows {params.rows} --published {input.published} --curve {input.curve} "
        "--curve-png {input.curve_png} --title 'SPN pipeline on {DATASET} ({wildcards.exp})' "
        "--md {output.md} --html {output.html} > {log} 2>&1"


rule spn_tables:
    """Target: the SPN table of every SPN experiment in the config."""
    input: expand(f"{RESULTS}/{{exp}}/report/spn_table.md", exp=[e for e in EXPERIMENTS if is_spn(e)])
