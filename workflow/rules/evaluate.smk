rule evaluate_pseudo_labels:
    input:
        index=INDEX,
        pred=lambda wc: expand(f"{RESULTS}/{wc.exp}/pseudo/shard_{{shard}}", shard=shard_list("train")),
    output:
        json=f"{RESULTS}/{{exp}}/eval/pseudo_train_gt.json",
        md=report(f"{RESULTS}/{{exp}}/eval/pseudo_train_gt.md", caption="../report/evaluate.rst", category="metrics"),
    params: code=code_hash("evaluate.py", "metrics.py")
    log: f"logs/{DATASET}/{{exp}}/evaluate/pseudo.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/evaluate/pseudo.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.evaluate --index {input.index} --split train_gt --pred {input.pred} --json {output.json} "
        "--md {output.md} --title 'pseudo labels ({wildcards.exp}) on train_gt' > {log} 2>&1"


rule evaluate_round:
    input:
        index=INDEX,
        pred=lambda wc: expand(f"{RESULTS}/{wc.exp}/round{wc.r}/pred_val/shard_{{shard}}", shard=shard_list("val")),
    output:
        json=f"{RESULTS}/{{exp}}/eval/round{{r}}_val.json",
        md=report(f"{RESULTS}/{{exp}}/eval/round{{r}}_val.md", caption="../report/evaluate.rst", category="metrics"),
    params: code=code_hash("evaluate.py", "metrics.py")
    log: f"logs/{DATASET}/{{exp}}/evaluate/round{{r}}_val.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/evaluate/round{{r}}_val.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.evaluate --index {input.index} --split val --pred {input.pred} --json {output.json} "
        "--md {output.md} --title 'segmentation round {wildcards.r} ({wildcards.exp}) on val' > {log} 2>&1"
