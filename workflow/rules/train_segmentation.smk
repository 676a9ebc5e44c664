def annotation_dirs(wc):
    r = int(wc.r)
    if r == 1:
        return expand(f"{RESULTS}/{wc.exp}/pseudo/shard_{{shard}}", shard=shard_list("train"))
    return expand(f"{RESULTS}/{wc.exp}/round{r - 1}/pred_train/shard_{{shard}}", shard=shard_list("train"))


rule train_segmentation:
    input:
        index=INDEX,
        labels=annotation_dirs,
        manifest=f"{RESULTS}/{{exp}}/round{{r}}/reliable.json",
    output:
        model=f"{RESULTS}/{{exp}}/round{{r}}/model.pt",
        log=f"{RESULTS}/{{exp}}/round{{r}}/log.csv",
        metrics=f"{RESULTS}/{{exp}}/round{{r}}/train.json",
        curve=report(f"{RESULTS}/{{exp}}/round{{r}}/curve.png", caption="../report/curve.rst", category="training"),
    params:
        settings=lambda wc: settings(wc.exp, "segmentation"),
        code=code_hash("train_segmentation.py", "training.py", "transforms.py", "dsrg.py", "crf.py", "models/deeplab.py",
                       "models/decoupled_net.py", "models/segmenters.py", "models/backbones.py"),
    log: f"logs/{DATASET}/{{exp}}/train_segmentation/round{{r}}.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/train_segmentation/round{{r}}.tsv"
    threads: 8
    resources: mem_mb=8000, gpu=GPU
    shell:
        "python -m stages.train_segmentation --index {input.index} --labels {input.labels} --manifest {input.manifest} "
        "--settings {params.settings} --epochs {DS[segmentation_epochs]} --crop {DS[crop_size]} --out {output.model} "
        "--log {output.log} --metrics {output.metrics} --curve {output.curve} --device {config[device]} "
        "--seed {config[seed]} --threads {threads} > {log} 2>&1"
