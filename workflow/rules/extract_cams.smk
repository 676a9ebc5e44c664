rule extract_cams:
    input:
        index=INDEX,
        model=lambda wc: f"{classifier_dir(wc.exp)}/model.pt",
    output: f"{RESULTS}/{{exp}}/cams/train_{{shard}}.h5"
    params:
        settings=lambda wc: settings(wc.exp, "cams"),
        shards=SHARDS["train"],
        code=code_hash("extract_cams.py", "h5store.py", "models/cam_net.py"),
    log: f"logs/{DATASET}/{{exp}}/extract_cams/{{shard}}.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/extract_cams/{{shard}}.tsv"
    threads: 2
    resources: mem_mb=4000, gpu=GPU
    shell:
        "python -m stages.extract_cams --index {input.index} --checkpoint {input.model} --split train "
        "--shard {wildcards.shard} --shards {params.shards} --settings {params.settings} --out {output} "
        "--device {config[device]} --threads {threads} > {log} 2>&1"
