rule train_segmentation:
    input: unpack(segmentation_inputs)
    output:
        model=path("round", file="model.pt"),
        log=path("round", file="log.csv"),
        metrics=path("round", file="train.json"),
        curve=report(path("round", file="curve.png"), caption="../report/curve.rst", category="training"),
    params:
        settings=lambda wc: settings(wc.exp, "segmentation"),
        labels=lambda wc, input: segmentation_labels_args(input),
        epochs=DS["segmentation_epochs"],
        iterations=f"--iterations {DS['segmentation_iterations']}" if DS["segmentation_iterations"] else "",
        crop=DS["crop_size"],
        scale_range=" ".join(map(str, DS["scale_range"])),
        device=config["device"],
        precision=config["compute"]["precision"],  # changes numbers: a param (reruns, cache key)
        seed=config["seed"],
        code=code_hash("train_segmentation", lambda wc: wc.exp, SEGMENTATION_PLUGINS),
    log: f"{LOGS}/{{exp}}/train_segmentation/round{{r}}.log",
    benchmark: path("segmentation_bench")
    threads: 8
    resources:  # loader workers and pinning change no number: resources, not params (no rerun, same cache key)
        mem_mb=8000, gpu=GPU,
        loader_workers=config["compute"]["loader_workers"], pin_memory=config["compute"]["pin_memory"],
    shell:
        "python -m stages.train_segmentation --index {input.index} {params.labels} "
        "--settings {params.settings} --epochs {params.epochs} {params.iterations} --crop {params.crop} --scale-range {params.scale_range} --out {output.model} "
        "--log {output.log} --metrics {output.metrics} --curve {output.curve} --device {params.device} "
        "--seed {params.seed} --threads {threads} --precision {params.precision} --workers {resources.loader_workers} "
        "--pin-memory {resources.pin_memory} > {log} 2>&1"
