rule pseudo_labels:
    input:
        index=INDEX,
        cams=lambda wc: cam_shard(wc.exp, wc.shard),
        superpixels=superpixel_input,
        threshold=threshold_input,
    output:
        labels=directory(path("pseudo")),
        scores=path("pseudo_scores"),
    params:
        settings=lambda wc: settings(wc.exp, "pseudo_labels"),
        shards=SHARDS["train"],
        sp=lambda wc, input: f"--superpixels {input.superpixels}" if input.superpixels else "",
        threshold=threshold_arg,
        code=code_hash("pseudo_labels"),
    log: f"{LOGS}/{{exp}}/pseudo_labels/{{shard}}.log",
    benchmark: path("pseudo_bench")
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.pseudo_labels --index {input.index} --cams {input.cams} --split train "
        "--shard {wildcards.shard} --shards {params.shards} --settings {params.settings} {params.sp} {params.threshold} "
        "--out-dir {output.labels} --scores {output.scores} > {log} 2>&1"


rule threshold_rule:
    input: lambda wc: shards("cams", "train", cams=wc.cams)
    output: path("threshold")
    params: code=code_hash("threshold_rule")
    log: f"{LOGS}/cams/{{cams}}/threshold_rule.log",
    benchmark: path("threshold_bench")
    threads: 1
    resources: mem_mb=2000
    shell: "python -m stages.threshold_rule --cams {input} --out {output} > {log} 2>&1"


rule threshold_sweep:
    input:
        index=INDEX,
        cams=lambda wc: shards("cams", "train", cams=cams_key(wc.exp)),
        threshold=threshold_input,
    output:
        json=path("eval", name="threshold_sweep", ext="json"),
        png=report(path("report", file="threshold_sweep.png"), caption="../report/threshold_sweep.rst",
                   category="metrics"),
    params:
        protocol=protocol_threshold,
        title=lambda wc: shlex.quote(f"background threshold ({wc.exp})"),
        code=code_hash("threshold_sweep"),
    log: f"{LOGS}/{{exp}}/threshold_sweep.log",
    benchmark: f"{BENCH}/{{exp}}/threshold_sweep.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.threshold_sweep --index {input.index} --cams {input.cams} --protocol {params.protocol} "
        "--json {output.json} --png {output.png} --title {params.title} > {log} 2>&1"
