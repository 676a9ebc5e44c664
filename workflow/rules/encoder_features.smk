rule encoder_features:
    input: index=INDEX
    output: path("features")
    params:
        backbone=lambda wc: EXPERIMENTS[FEATURE_SETS[wc.feat]]["classifier"]["backbone"],
        weights=lambda wc: weights_arg(FEATURE_SETS[wc.feat]),
        sizes=" ".join(map(str, DS["spn_sizes"])),
        shards=SHARDS["train"],
        device=config["device"],
        code=code_hash("encoder_features"),
    log: f"{LOGS}/features/{{feat}}/{{shard}}.log",
    benchmark: path("features_bench")
    threads: 2
    resources: mem_mb=4000, gpu=GPU
    shell:
        "python -m stages.encoder_features --index {input.index} --split train --shard {wildcards.shard} "
        "--shards {params.shards} --backbone {params.backbone} {params.weights} --sizes {params.sizes} "
        "--out {output} --device {params.device} --threads {threads} > {log} 2>&1"
