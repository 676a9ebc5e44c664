rule superpixels:
    input: index=INDEX
    output: f"{RESULTS}/superpixels/{{split}}_{{shard}}.h5"
    params:
        shards=lambda wc: SHARDS[wc.split],
        code=code_hash("superpixels.py", "h5store.py"),
    log: f"logs/{DATASET}/superpixels/{{split}}_{{shard}}.log",
    benchmark: f"benchmarks/{DATASET}/superpixels/{{split}}_{{shard}}.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.superpixels --index {input.index} --split {wildcards.split} --shard {wildcards.shard} "
        "--shards {params.shards} --n-segments {config[superpixels][n_segments]} "
        "--compactness {config[superpixels][compactness]} --out {output} > {log} 2>&1"
