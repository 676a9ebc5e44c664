# The SPN paper's analysis on our data (SPN experiments; rows: wsss.tables.spn): SPN as a segmenter,
# annotations before cleaning / after cleaning / in the reliable subset, round by round, the
# reliability curve (Fig. 3a), and one table beside the published numbers.    snakemake --cores 2 spn_tables
from wsss.tables import spn as spn_table_rows


rule spn_segmenter_maps:
    input:
        index=INDEX,
        model=lambda wc: classifier_file(wc.exp, "model.pt"),
        superpixels=path("superpixels"),
    output: path("spn_maps")
    wildcard_constraints: split="val"  # on train the CAM shards already hold these maps (group predicted/)
    params:
        localizer=lambda wc: localizer(wc.exp).name,
        settings=lambda wc: settings(wc.exp, "cams"),
        shards=lambda wc: SHARDS[wc.split],
        sizes=lambda wc: spn_sizes(wc.exp, inference=True),
        device=config["device"],
        code=code_hash("extract_cams"),
    log: f"{LOGS}/{{exp}}/spn_segmenter/{{split}}_{{shard}}.log",
    benchmark: f"{BENCH}/{{exp}}/spn_segmenter/{{split}}_{{shard}}.tsv"
    threads: 2
    resources: mem_mb=4000, gpu=GPU
    shell:
        "python -m stages.extract_cams --index {input.index} --localizer {params.localizer} --checkpoint {input.model} "
        "--split {wildcards.split} --shard {wildcards.shard} --shards {params.shards} --settings {params.settings} "
        "--predicted-classes --superpixels {input.superpixels} --spn-sizes {params.sizes} --out {output} "
        "--device {params.device} --threads {threads} > {log} 2>&1"


rule spn_segmenter_labels:
    input:
        index=INDEX,
        cams=spn_segmenter_cams,
        threshold=threshold_input,
    output:
        labels=directory(path("spn_labels")),
        scores=path("spn_scores"),
    wildcard_constraints: split="train|val"
    params:  # SP-CAM is already constant in superpixels: the threshold rule alone
        settings=lambda wc: json_arg({"threshold": EXPERIMENTS[wc.exp]["pseudo_labels"]["threshold"], "refine": "none"}),
        shards=lambda wc: SHARDS[wc.split],
        group=lambda wc: "--group predicted" if wc.split == "train" else "",
        threshold=threshold_arg,
        code=code_hash("pseudo_labels"),
    log: f"{LOGS}/{{exp}}/spn_segmenter/labels_{{split}}_{{shard}}.log",
    benchmark: f"{BENCH}/{{exp}}/spn_segmenter/labels_{{split}}_{{shard}}.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.pseudo_labels --index {input.index} --cams {input.cams} --split {wildcards.split} "
        "--shard {wildcards.shard} --shards {params.shards} --settings {params.settings} {params.group} {params.threshold} "
        "--out-dir {output.labels} --scores {output.scores} > {log} 2>&1"


rule evaluate_table_row:
    input:
        index=INDEX,
        pred=lambda wc: spn_table_rows.row_eval(PLAN, wc.exp, wc.row)[1],
        manifest=lambda wc: spn_table_rows.row_eval(PLAN, wc.exp, wc.row)[2] or [],
    output:
        json=path("eval", name="table/{row}", ext="json"),
        md=path("eval", name="table/{row}", ext="md"),
    wildcard_constraints: row=spn_table_rows.EVAL_ROWS
    params:
        split=lambda wc: spn_table_rows.row_eval(PLAN, wc.exp, wc.row)[0],
        manifest=lambda wc, input: f"--manifest {input.manifest}" if input.manifest else "",
        title=lambda wc: shlex.quote(f"{wc.row} ({wc.exp})"),
        code=code_hash("evaluate"),
    log: f"{LOGS}/{{exp}}/evaluate/table_{{row}}.log",
    benchmark: f"{BENCH}/{{exp}}/evaluate/table_{{row}}.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.evaluate --index {input.index} --split {params.split} --pred {input.pred} "
        "{params.manifest} --json {output.json} --md {output.md} --title {params.title} > {log} 2>&1"


rule reliability_curve:
    input:
        index=INDEX,
        labels=lambda wc: shards("pseudo", "train", exp=wc.exp),
        scores=lambda wc: shards("pseudo_scores", "train", exp=wc.exp),
    output:
        json=path("eval", name="reliability_curve", ext="json"),
        png=report(path("report", file="reliability_curve.png"), caption="../report/reliability_curve.rst",
                   category="metrics"),
    params:
        k=lambda wc: f"--k {EXPERIMENTS[wc.exp]['reliable']['k']}" if EXPERIMENTS[wc.exp]["reliable"]["k"] else "",
        title=lambda wc: shlex.quote(f"initial annotations ({wc.exp})"),
        code=code_hash("reliability_curve"),
    log: f"{LOGS}/{{exp}}/reliability_curve.log",
    benchmark: f"{BENCH}/{{exp}}/reliability_curve.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.reliability_curve --index {input.index} --labels {input.labels} --scores {input.scores} "
        "{params.k} --json {output.json} --png {output.png} --title {params.title} > {log} 2>&1"


rule spn_table:
    input:
        evals=lambda wc: spn_table_rows.input_files(spn_table_rows.rows(PLAN, wc.exp)),
        curve=path("eval", name="reliability_curve", ext="json"),
        curve_png=path("report", file="reliability_curve.png"),
        published=PUBLISHED,
    output:
        md=path("report", file="spn_table.md"),
        html=report(path("report", file="spn_table.html"), caption="../report/spn_table.rst", category="report"),
    params:
        rows=staged_rows(lambda wc: spn_table_rows.rows(PLAN, wc.exp), spn_table_rows.input_files, key="evals"),
        title=lambda wc: shlex.quote(f"SPN pipeline on {DATASET} ({wc.exp})"),
        code=code_hash("spn_table"),
    log: f"{LOGS}/{{exp}}/spn_table.log",
    benchmark: f"{BENCH}/{{exp}}/spn_table.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.spn_table --rows {params.rows} --published {input.published} --curve {input.curve} "
        "--curve-png {input.curve_png} --title {params.title} --md {output.md} --html {output.html} > {log} 2>&1"


rule spn_tables:
    """Target: the SPN table of every SPN experiment in the config."""
    input: expand(path("report", file="spn_table.md"), exp=spn_experiments())
