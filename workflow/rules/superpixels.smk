rule superpixels:
    input: index=INDEX
    output: path("superpixels")
    params:
        shards=lambda wc: SHARDS[wc.split],
        n_segments=DS["n_superpixels"],
        compactness=config["superpixels"]["compactness"],
        algorithm=config["superpixels"]["algorithm"],
        ws_compactness=config["superpixels"]["watershed_compactness"],
        device=config["device"],
        code=code_hash("superpixels"),
    log: f"{LOGS}/superpixels/{{split}}_{{shard}}.log",
    benchmark: f"{BENCH}/superpixels/{{split}}_{{shard}}.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.superpixels --index {input.index} --split {wildcards.split} --shard {wildcards.shard} "
        "--shards {params.shards} --algorithm {params.algorithm} --n-segments {params.n_segments} "
        "--compactness {params.compactness} --watershed-compactness {params.ws_compactness} "
        "--out {output} --device {params.device} --threads {threads} > {log} 2>&1"
