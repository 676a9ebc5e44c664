def classifier_superpixels(wc):
    """An SPN trains on the train superpixels and reports its val mAP with the val ones."""
    if is_spn(CLASSIFIERS[wc.clf]):
        return superpixel_shards("train") + superpixel_shards("val")
    return []


rule train_classifier:
    input:
        index=INDEX,
        superpixels=classifier_superpixels,
    output:
        model=f"{RESULTS}/classifiers/{{clf}}/model.pt",
        log=f"{RESULTS}/classifiers/{{clf}}/log.csv",
        metrics=f"{RESULTS}/classifiers/{{clf}}/metrics.json",
        curve=report(f"{RESULTS}/classifiers/{{clf}}/curve.png", caption="../report/curve.rst", category="training"),
    params:
        settings=lambda wc: settings(CLASSIFIERS[wc.clf], "classifier"),
        spn=spn_args,
        code=code_hash("train_classifier.py", "training.py", "transforms.py", "models/cam_net.py", "models/backbones.py",
                       "models/ficklenet.py",
                       "models/spn.py", "models/sp_pool.py", "spn_data.py"),
    log: f"logs/{DATASET}/classifiers/{{clf}}/train_classifier.log",
    benchmark: f"benchmarks/{DATASET}/classifiers/{{clf}}/train_classifier.tsv"
    threads: 8
    resources: mem_mb=8000, gpu=GPU
    shell:
        "python -m stages.train_classifier --index {input.index} --split train --settings {params.settings} "
        "{params.spn} --epochs {DS[classifier_epochs]} --crop {DS[crop_size]} --out {output.model} --log {output.log} "
        "--metrics {output.metrics} --curve {output.curve} --device {config[device]} --seed {config[seed]} "
        "--threads {threads} > {log} 2>&1"
