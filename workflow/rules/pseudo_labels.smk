rule pseudo_labels:
    input:
        index=INDEX,
        cams=lambda wc: cam_shard(wc.exp, wc.shard),
        superpixels=superpixel_input,
    output:
        labels=directory(path("pseudo")),
        scores=path("pseudo_scores"),
    params:
        settings=lambda wc: settings(wc.exp, "pseudo_labels"),
        shards=SHARDS["train"],
        sp=lambda wc, input: f"--superpixels {input.superpixels}" if input.superpixels else "",
        code=code_hash("pseudo_labels"),
    log: f"{LOGS}/{{exp}}/pseudo_labels/{{shard}}.log",
    benchmark: f"{BENCH}/{{exp}}/pseudo_labels/{{shard}}.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.pseudo_labels --index {input.index} --cams {input.cams} --split train "
        "--shard {wildcards.shard} --shards {params.shards} --settings {params.settings} {params.sp} "
        "--out-dir {output.labels} --scores {output.scores} > {log} 2>&1"
