def annotation_scores(wc):
    """Round 1 selects from the pseudo labels, round r > 1 from round r-1's train predictions."""
    r = int(wc.r)
    if r == 1:
        return expand(f"{RESULTS}/{wc.exp}/pseudo/shard_{{shard}}.scores.json", shard=shard_list("train"))
    return expand(f"{RESULTS}/{wc.exp}/round{r - 1}/pred_train/shard_{{shard}}.scores.json", shard=shard_list("train"))


rule select_reliable:
    input: annotation_scores
    output: f"{RESULTS}/{{exp}}/round{{r}}/reliable.json"
    params:
        k=lambda wc: f"--k {EXPERIMENTS[wc.exp]['reliable']['k']}" if EXPERIMENTS[wc.exp]["reliable"]["k"] else "",
        code=code_hash("select_reliable.py", "reliability.py"),
    log: f"logs/{DATASET}/{{exp}}/select_reliable/round{{r}}.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/select_reliable/round{{r}}.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.select_reliable --scores {input} {params.k} --out {output} > {log} 2>&1"
