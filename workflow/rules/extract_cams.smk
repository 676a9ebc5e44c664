rule extract_cams:
    input: unpack(cams_inputs)
    output:
        maps=path("cams"),
        benchmark=path("cams_bench"),  # written by the stage: cached rules have no benchmark: directive
    params:
        localizer=lambda wc: localizer(CAM_SETS[wc.cams]).name,
        checkpoint=lambda wc, input: f"--checkpoint {input.model}" if "model" in input.keys() else "",
        settings=lambda wc: settings(CAM_SETS[wc.cams], "cams"),
        shards=SHARDS["train"],
        superpixels=lambda wc, input: superpixel_args(input, CAM_SETS[wc.cams], inference=True),
        device=config["device"],
        code=code_hash("extract_cams", lambda wc: CAM_SETS[wc.cams], ["wsss.localizers"]),
    log: f"{LOGS}/cams/{{cams}}/{{shard}}.log",
    wildcard_constraints: cams=one_of(CAM_SETS)
    cache: OUTPUT_CACHE  # between workflows: SNAKEMAKE_OUTPUT_CACHE and --cache (README "Shared artifacts")
    threads: 2
    resources: mem_mb=4000, gpu=GPU
    shell:
        "python -m stages.extract_cams --index {input.index} --localizer {params.localizer} {params.checkpoint} "
        "--split train --shard {wildcards.shard} --shards {params.shards} --settings {params.settings} "
        "{params.superpixels} --out {output.maps} --device {params.device} --threads {threads} "
        "--benchmark {output.benchmark} > {log} 2>&1"
