rule evaluate_pseudo_labels:
    input:
        index=INDEX,
        pred=lambda wc: shards("pseudo", "train", exp=wc.exp),
    output:
        json=path("eval", name="pseudo_train_gt", ext="json"),
        md=report(path("eval", name="pseudo_train_gt", ext="md"), caption="../report/evaluate.rst", category="metrics"),
    params:
        title=lambda wc: shlex.quote(f"pseudo labels ({wc.exp}) on train_gt"),
        code=code_hash("evaluate"),
    log: f"{LOGS}/{{exp}}/evaluate/pseudo.log",
    benchmark: f"{BENCH}/{{exp}}/evaluate/pseudo.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.evaluate --index {input.index} --split train_gt --pred {input.pred} --json {output.json} "
        "--md {output.md} --title {params.title} > {log} 2>&1"


rule evaluate_round:
    input:
        index=INDEX,
        pred=lambda wc: shards("pred", "val", exp=wc.exp, r=wc.r, split="val"),
    output:
        json=path("eval", name="round{r}_val", ext="json"),
        md=report(path("eval", name="round{r}_val", ext="md"), caption="../report/evaluate.rst", category="metrics"),
    params:
        title=lambda wc: shlex.quote(f"segmentation round {wc.r} ({wc.exp}) on val"),
        code=code_hash("evaluate"),
    log: f"{LOGS}/{{exp}}/evaluate/round{{r}}_val.log",
    benchmark: f"{BENCH}/{{exp}}/evaluate/round{{r}}_val.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.evaluate --index {input.index} --split val --pred {input.pred} --json {output.json} "
        "--md {output.md} --title {params.title} > {log} 2>&1"
