rule train_classifier:
    input:
        index=INDEX,
        superpixels=classifier_superpixels,
    output:
        model=path("classifier", file="model.pt"),
        log=path("classifier", file="log.csv"),
        metrics=path("classifier", file="metrics.json"),
        curve=report(path("classifier", file="curve.png"), caption="../report/curve.rst", category="training"),
    params:
        settings=lambda wc: settings(CLASSIFIERS[wc.clf], "classifier"),
        superpixels=lambda wc, input: superpixel_args(input, CLASSIFIERS[wc.clf]),
        epochs=DS["classifier_epochs"],
        iterations=f"--iterations {DS['classifier_iterations']}" if DS["classifier_iterations"] else "",
        crop=DS["crop_size"],
        scale_range=" ".join(map(str, DS["scale_range"])),
        device=config["device"],
        seed=config["seed"],
        code=code_hash("train_classifier"),
    log: f"{LOGS}/classifiers/{{clf}}/train_classifier.log",
    benchmark: path("classifier_bench")
    threads: 8
    resources: mem_mb=8000, gpu=GPU
    shell:
        "python -m stages.train_classifier --index {input.index} --split train --settings {params.settings} "
        "{params.superpixels} --epochs {params.epochs} {params.iterations} --crop {params.crop} --scale-range {params.scale_range} --out {output.model} --log {output.log} "
        "--metrics {output.metrics} --curve {output.curve} --device {params.device} --seed {params.seed} "
        "--threads {threads} > {log} 2>&1"
