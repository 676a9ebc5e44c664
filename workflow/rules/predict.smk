# Predictions of a round's segmentation net: on train they are cleaned by the image labels and scored
# for reliability (the next round's annotations); on val they are what the round is evaluated on.


PREDICT_CMD = (
    "python -m stages.predict --index {input.index} --checkpoint {input.model} --split {params.split} "
    "--shard {wildcards.shard} --shards {params.shards} --out-dir {output.labels} {params.extra} {params.crf} "
    "--scales {params.scales} "
    "--device {params.device} --threads {threads} > {log} 2>&1"
)


rule predict_train:
    input:
        index=INDEX,
        model=path("round", file="model.pt"),
    output:
        labels=directory(path("pred", split="train")),
        scores=path("pred_scores", split="train"),
    params:
        split="train",
        shards=SHARDS["train"],
        extra=lambda wc, output: f"--clean --scores {output.scores}",
        crf=crf_flag,
        scales=lambda wc: " ".join(map(str, EXPERIMENTS[wc.exp]["segmentation"]["predict_scales"])),
        device=config["device"],
        code=code_hash("predict", lambda wc: wc.exp, SEGMENTATION_PLUGINS),
    log: f"{LOGS}/{{exp}}/predict/round{{r}}_train_{{shard}}.log",
    benchmark: path("predict_bench", split="train")
    threads: 2
    resources: mem_mb=4000, gpu=GPU
    shell: PREDICT_CMD


rule predict_val:
    input:
        index=INDEX,
        model=path("round", file="model.pt"),
    output:
        labels=directory(path("pred", split="val")),
    params:
        split="val",
        shards=SHARDS["val"],
        extra="",
        crf=crf_flag,
        scales=lambda wc: " ".join(map(str, EXPERIMENTS[wc.exp]["segmentation"]["predict_scales"])),
        device=config["device"],
        code=code_hash("predict", lambda wc: wc.exp, SEGMENTATION_PLUGINS),
    log: f"{LOGS}/{{exp}}/predict/round{{r}}_val_{{shard}}.log",
    benchmark: path("predict_bench", split="val")
    threads: 2
    resources: mem_mb=4000, gpu=GPU
    shell: PREDICT_CMD
