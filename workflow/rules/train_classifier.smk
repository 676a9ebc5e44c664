rule train_classifier:
    input:
        index=INDEX,
        superpixels=classifier_superpixels,
        features=classifier_features,
    output:
        model=path("classifier", file="model.pt"),
        log=path("classifier", file="log.csv"),
        metrics=path("classifier", file="metrics.json"),
        curve=report(path("classifier", file="curve.png"), caption="../report/curve.rst", category="training"),
        benchmark=path("classifier_bench"),  # written by the stage: cached rules have no benchmark: directive
    params:
        settings=lambda wc: settings(CLASSIFIERS[wc.clf], "classifier"),
        superpixels=lambda wc, input: superpixel_args(input, CLASSIFIERS[wc.clf]),
        epochs=DS["classifier_epochs"],
        iterations=lambda wc: iterations_arg(CLASSIFIERS[wc.clf]),
        features=lambda wc, input: f"--features {' '.join(input.features)}" if input.features else "",
        crop=DS["crop_size"],
        scale_range=" ".join(map(str, DS["scale_range"])),
        device=config["device"],
        precision=config["compute"]["precision"],  # changes numbers: a param (reruns, cache key)
        seed=config["seed"],
        code=code_hash("train_classifier", lambda wc: CLASSIFIERS[wc.clf], ["wsss.localizers"]),
    log: f"{LOGS}/classifiers/{{clf}}/train_classifier.log",
    cache: OUTPUT_CACHE  # between workflows: SNAKEMAKE_OUTPUT_CACHE and --cache (README "Shared artifacts")
    threads: 8
    resources:  # loader workers and pinning change no number: resources, not params (no rerun, same cache key)
        mem_mb=8000, gpu=GPU,
        loader_workers=config["compute"]["loader_workers"], pin_memory=config["compute"]["pin_memory"],
    shell:
        "python -m stages.train_classifier --index {input.index} --split train --settings {params.settings} "
        "{params.superpixels} {params.features} --epochs {params.epochs} {params.iterations} --crop {params.crop} --scale-range {params.scale_range} --out {output.model} --log {output.log} "
        "--metrics {output.metrics} --curve {output.curve} --device {params.device} --seed {params.seed} "
        "--threads {threads} --precision {params.precision} --workers {resources.loader_workers} "
        "--pin-memory {resources.pin_memory} --benchmark {output.benchmark} > {log} 2>&1"
