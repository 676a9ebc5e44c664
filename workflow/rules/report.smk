rule report:
    input: unpack(report_inputs)
    output:
        md=path("report", file="report.md"),
        html=report(path("report", file="report.html"), caption="../report/report.rst", category="report"),
        figures=directory(path("report", file="figures")),
    params:
        classifier=lambda wc, input: f"--classifier {input.classifier}" if "classifier" in input.keys() else "",
        fullsup=lambda wc, input: f"--fullsup {input.fullsup}" if "fullsup" in input.keys() else "",
        dataset=DATASET,
        n=config["report"]["n_examples"],
        code=code_hash("report"),
    log: f"{LOGS}/{{exp}}/report.log",
    benchmark: f"{BENCH}/{{exp}}/report.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.report --index {input.index} --experiment {wildcards.exp} --dataset {params.dataset} "
        "{params.classifier} {params.fullsup} --pseudo {input.pseudo} --rounds {input.rounds} --cams {input.cams} "
        "--pseudo-dirs {input.pseudo_dirs} --pred-dirs {input.pred_dirs} --published {input.published} "
        "--n-examples {params.n} --md {output.md} --html {output.html} --figures {output.figures} > {log} 2>&1"
