rule encoder_features:
    input: index=INDEX
    output:
        features=path("features"),
        benchmark=path("features_bench"),  # written by the stage: cached rules have no benchmark: directive
    params:
        backbone=lambda wc: EXPERIMENTS[FEATURE_SETS[wc.feat]]["classifier"]["backbone"],
        weights=lambda wc: weights_arg(FEATURE_SETS[wc.feat]),
        sizes=" ".join(map(str, DS["spn_sizes"])),
        shards=SHARDS["train"],
        device=config["device"],
        code=code_hash("encoder_features"),
    log: f"{LOGS}/features/{{feat}}/{{shard}}.log",
    cache: OUTPUT_CACHE  # between workflows: SNAKEMAKE_OUTPUT_CACHE and --cache (README "Shared artifacts")
    threads: 2
    resources: mem_mb=4000, gpu=GPU
    shell:
        "python -m stages.encoder_features --index {input.index} --split train --shard {wildcards.shard} "
        "--shards {params.shards} --backbone {params.backbone} {params.weights} --sizes {params.sizes} "
        "--out {output.features} --device {params.device} --threads {threads} --benchmark {output.benchmark} > {log} 2>&1"
