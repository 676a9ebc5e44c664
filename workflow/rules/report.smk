rule report:
    input:
        index=INDEX,
        classifier=lambda wc: f"{classifier_dir(wc.exp)}/metrics.json",
        pseudo=f"{RESULTS}/{{exp}}/eval/pseudo_train_gt.json",
        rounds=lambda wc: expand(f"{RESULTS}/{wc.exp}/eval/round{{r}}_val.json", r=rounds(wc.exp)),
        cams=lambda wc: f"{cams_dir(wc.exp)}/train_000.h5",
        pseudo_dirs=lambda wc: expand(f"{RESULTS}/{wc.exp}/pseudo/shard_{{shard}}", shard=shard_list("train")),
        pred_dirs=lambda wc: expand(f"{RESULTS}/{wc.exp}/round{rounds(wc.exp)[-1]}/pred_val/shard_{{shard}}",
                                    shard=shard_list("val")),
        published=str(Path(workflow.basedir) / "workflow" / "report" / "published.yaml"),
    output:
        md=f"{RESULTS}/{{exp}}/report/report.md",
        html=report(f"{RESULTS}/{{exp}}/report/report.html", caption="../report/report.rst", category="report"),
        figures=directory(f"{RESULTS}/{{exp}}/report/figures"),
    params:
        n=config["report"]["n_examples"],
        code=code_hash("report.py"),
    log: f"logs/{DATASET}/{{exp}}/report.log",
    benchmark: f"benchmarks/{DATASET}/{{exp}}/report.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.report --index {input.index} --experiment {wildcards.exp} --dataset {DATASET} "
        "--classifier {input.classifier} --pseudo {input.pseudo} --rounds {input.rounds} --cams {input.cams} "
        "--pseudo-dirs {input.pseudo_dirs} --pred-dirs {input.pred_dirs} --published {input.published} "
        "--n-examples {params.n} --md {output.md} --html {output.html} --figures {output.figures} > {log} 2>&1"
