def report_inputs(wc):
    exp = wc.exp
    last = rounds(exp)[-1]
    inputs = dict(
        index=INDEX,
        pseudo=path("eval", exp=exp, name="pseudo_train_gt", ext="json"),
        rounds=[path("eval", exp=exp, name=f"round{r}_val", ext="json") for r in rounds(exp)],
        cams=cam_shard(exp, "000"),
        pseudo_dirs=shards("pseudo", "train", exp=exp),
        pred_dirs=shards("pred", "val", exp=exp, r=last, split="val"),
        published=PUBLISHED)
    if localizer(exp).trains:
        inputs["classifier"] = classifier_file(exp, "metrics.json")
    return inputs


rule report:
    input: unpack(report_inputs)
    output:
        md=path("report", file="report.md"),
        html=report(path("report", file="report.html"), caption="../report/report.rst", category="report"),
        figures=directory(path("report", file="figures")),
    params:
        classifier=lambda wc, input: f"--classifier {input.classifier}" if "classifier" in input.keys() else "",
        dataset=DATASET,
        n=config["report"]["n_examples"],
        code=code_hash("report"),
    log: f"{LOGS}/{{exp}}/report.log",
    benchmark: f"{BENCH}/{{exp}}/report.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.report --index {input.index} --experiment {wildcards.exp} --dataset {params.dataset} "
        "{params.classifier} --pseudo {input.pseudo} --rounds {input.rounds} --cams {input.cams} "
        "--pseudo-dirs {input.pseudo_dirs} --pred-dirs {input.pred_dirs} --published {input.published} "
        "--n-examples {params.n} --md {output.md} --html {output.html} --figures {output.figures} > {log} 2>&1"
