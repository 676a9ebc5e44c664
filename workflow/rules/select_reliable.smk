def annotation_scores(wc):
    """Round 1 selects from the pseudo labels, round r > 1 from round r-1's train predictions."""
    r = int(wc.r)
    if r == 1:
        return shards("pseudo_scores", "train", exp=wc.exp)
    return shards("pred_scores", "train", exp=wc.exp, r=r - 1, split="train")


rule select_reliable:
    input: annotation_scores
    output: path("reliable")
    params:
        k=lambda wc: f"--k {EXPERIMENTS[wc.exp]['reliable']['k']}" if EXPERIMENTS[wc.exp]["reliable"]["k"] else "",
        code=code_hash("select_reliable"),
    log: f"{LOGS}/{{exp}}/select_reliable/round{{r}}.log",
    benchmark: f"{BENCH}/{{exp}}/select_reliable/round{{r}}.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.select_reliable --scores {input} {params.k} --out {output} > {log} 2>&1"
