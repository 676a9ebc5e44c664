rule select_reliable:
    input: annotation_scores
    output: path("reliable")
    params:
        k=lambda wc: f"--k {EXPERIMENTS[wc.exp]['reliable']['k']}" if EXPERIMENTS[wc.exp]["reliable"]["k"] else "",
        code=code_hash("select_reliable"),
    log: f"{LOGS}/{{exp}}/select_reliable/round{{r}}.log",
    benchmark: path("reliable_bench")
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.select_reliable --scores {input} {params.k} --out {output} > {log} 2>&1"
