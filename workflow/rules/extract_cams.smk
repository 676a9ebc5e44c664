rule extract_cams:
    input:
        index=INDEX,
        model=lambda wc: f"{classifier_dir(CAM_SETS[wc.cams])}/model.pt",
        superpixels=lambda wc: f"{RESULTS}/superpixels/train_{wc.shard}.h5" if is_spn(CAM_SETS[wc.cams]) else [],
    output: f"{RESULTS}/cams/{{cams}}/train_{{shard}}.h5"
    params:
        settings=lambda wc: settings(CAM_SETS[wc.cams], "cams"),
        shards=SHARDS["train"],
        spn=spn_args,
        code=code_hash("extract_cams.py", "h5store.py", "models/cam_net.py", "models/spn.py", "spn_data.py",
                       "models/ficklenet.py", "stochastic_cams.py",
                       "pseudo_labels.py"),
    log: f"logs/{DATASET}/cams/{{cams}}/{{shard}}.log",
    benchmark: f"benchmarks/{DATASET}/cams/{{cams}}/{{shard}}.tsv"
    threads: 2
    resources: mem_mb=4000, gpu=GPU
    shell:
        "python -m stages.extract_cams --index {input.index} --checkpoint {input.model} --split train "
        "--shard {wildcards.shard} --shards {params.shards} --settings {params.settings} {params.spn} --out {output} "
        "--device {config[device]} --threads {threads} > {log} 2>&1"
