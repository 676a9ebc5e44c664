# Refiners (wsss/refiners, `refiner.method`): a localizer's maps -> better maps before annotation,
# e.g. PSA's random walk (cam -> cam_rw). The refined set is a CAM set like any other for pseudo_labels.


rule train_refiner:
    input:
        index=INDEX,
        cams=lambda wc: shards("cams", "train", cams=PLAN.raw_cams_key(REFINED_SETS[wc.cams])),
    output:
        model=path("refiner", file="model.pt"),
        log=path("refiner", file="log.csv"),
        metrics=path("refiner", file="metrics.json"),
        curve=report(path("refiner", file="curve.png"), caption="../report/curve.rst", category="training"),
    params:
        method=lambda wc: PLAN.refiner(REFINED_SETS[wc.cams]),
        settings=lambda wc: json_arg(refiner_settings(REFINED_SETS[wc.cams])),
        crop=DS["crop_size"],
        device=config["device"],
        seed=config["seed"],
        precision=config["compute"]["precision"],
        code=code_hash("train_refiner", lambda wc: REFINED_SETS[wc.cams], ["wsss.refiners"]),
    log: f"{LOGS}/refiners/{{cams}}/train_refiner.log",
    benchmark: path("refiner_bench")
    wildcard_constraints: cams=one_of(REFINED_SETS)
    threads: 8
    resources:
        mem_mb=8000, gpu=GPU,
        loader_workers=config["compute"]["loader_workers"], pin_memory=config["compute"]["pin_memory"],
    shell:
        "python -m stages.train_refiner --index {input.index} --refiner {params.method} --cams {input.cams} "
        "--settings {params.settings} --crop {params.crop} --out {output.model} --log {output.log} "
        "--metrics {output.metrics} --curve {output.curve} --device {params.device} --seed {params.seed} "
        "--threads {threads} --precision {params.precision} --workers {resources.loader_workers} "
        "--pin-memory {resources.pin_memory} > {log} 2>&1"


rule refine_cams:
    input:
        index=INDEX,
        cams=lambda wc: path("cams", cams=PLAN.raw_cams_key(REFINED_SETS[wc.cams]), shard=wc.shard),
        model=path("refiner", file="model.pt"),
    output:
        maps=path("cams"),
        benchmark=path("cams_bench"),  # written by the stage, as extract_cams does (same template)
    params:
        method=lambda wc: PLAN.refiner(REFINED_SETS[wc.cams]),
        shards=SHARDS["train"],
        device=config["device"],
        code=code_hash("refine_cams", lambda wc: REFINED_SETS[wc.cams], ["wsss.refiners"]),
    log: f"{LOGS}/cams/{{cams}}/{{shard}}.log",
    wildcard_constraints: cams=one_of(REFINED_SETS)
    threads: 2
    resources: mem_mb=4000, gpu=GPU
    shell:
        "python -m stages.refine_cams --index {input.index} --refiner {params.method} --cams {input.cams} "
        "--checkpoint {input.model} --split train --shard {wildcards.shard} --shards {params.shards} "
        "--out {output.maps} --device {params.device} --threads {threads} --benchmark {output.benchmark} > {log} 2>&1"
