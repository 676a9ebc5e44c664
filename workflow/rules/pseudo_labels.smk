def superpixel_input(wc):
    if EXPERIMENTS[wc.exp]["pseudo_labels"]["refine"] == "superpixel":
        return f"{RESULTS}/superpixels/train_{wc.shard}.h5"
    return []


rule pseudo_labels:
    input:
        index=INDEX,
        cams=lambda wc: f"{cams_dir(wc.exp)}/train_{wc.shard}.h5",
        superpixels=superpixel_input,
    output:
        labels=directory(f"{RESULTS}/{{exp}}/pseudo/shard_{{shard}}"),
        scores=f"{RESULTS}/{{exp}}/pseudo/shard_{{shard}}.scores.json",
    params:
        settings=lambda wc: settings(wc.exp, "pseudo_labels"),
        shards=SHARDS["train"],
        sp=lambda wc, input: f"--superpixels {input.superpixels}" if input.superpixels else "",
        code=code_hash("pseudo_labels.py", "crf.py", "reliability.py"),
    log: f"logs/{DATASET}/{{exp}}/pseudo_labels/{{shard}}.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/pseudo_labels/{{shard}}.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.pseudo_labels --index {input.index} --cams {input.cams} --split train "
        "--shard {wildcards.shard} --shards {params.shards} --settings {params.settings} {params.sp} "
        "--out-dir {output.labels} --scores {output.scores} > {log} 2>&1"
