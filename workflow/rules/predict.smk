# Predictions of a round's segmentation net: on train they are cleaned by the image labels and scored
# for reliability (the next round's annotations); on val they are what the round is evaluated on.


def crf_flag(wc):
    exp = EXPERIMENTS[wc.exp]
    return "--crf " + shlex.quote(json.dumps(exp["pseudo_labels"]["crf"])) if exp["segmentation"]["crf"] else ""


PREDICT_CMD = (
    "python -m stages.predict --index {input.index} --checkpoint {input.model} --split {params.split} "
    "--shard {wildcards.shard} --shards {params.shards} --out-dir {output.labels} {params.extra} {params.crf} "
    "--device {config[device]} --threads {threads} > {log} 2>&1"
)


rule predict_train:
    input:
        index=INDEX,
        model=f"{RESULTS}/{{exp}}/round{{r}}/model.pt",
    output:
        labels=directory(f"{RESULTS}/{{exp}}/round{{r}}/pred_train/shard_{{shard}}"),
        scores=f"{RESULTS}/{{exp}}/round{{r}}/pred_train/shard_{{shard}}.scores.json",
    params:
        split="train",
        shards=SHARDS["train"],
        extra=lambda wc, output: f"--clean --scores {output.scores}",
        crf=crf_flag,
        code=code_hash("predict.py", "crf.py", "models/deeplab.py", "models/decoupled_net.py"),
    log: f"logs/{DATASET}/{{exp}}/predict/round{{r}}_train_{{shard}}.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/predict/round{{r}}_train_{{shard}}.tsv"
    threads: 2
    resources: mem_mb=4000, gpu=GPU
    shell: PREDICT_CMD


rule predict_val:
    input:
        index=INDEX,
        model=f"{RESULTS}/{{exp}}/round{{r}}/model.pt",
    output:
        labels=directory(f"{RESULTS}/{{exp}}/round{{r}}/pred_val/shard_{{shard}}"),
    params:
        split="val",
        shards=SHARDS["val"],
        extra="",
        crf=crf_flag,
        code=code_hash("predict.py", "crf.py", "models/deeplab.py", "models/decoupled_net.py"),
    log: f"logs/{DATASET}/{{exp}}/predict/round{{r}}_val_{{shard}}.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/predict/round{{r}}_val_{{shard}}.tsv"
    threads: 2
    resources: mem_mb=4000, gpu=GPU
    shell: PREDICT_CMD
