# The FickleNet tables on our data: seeds of the base experiment, of every ablation generated from it
# (config ficklenet_table.ablations) and of the baselines, DSRG val mIoU where asked, and the cost of
# each (classifier training time and peak memory, CAM extraction time: map expansion on vs off).
#     snakemake --cores 2 ficklenet_tables
FT = config["ficklenet_table"]


def overrides_text(overrides, prefix=""):
    """{'a': {'b': 1}} -> 'a.b=1': what an experiment changes, for the table."""
    parts = []
    for k, v in overrides.items():
        if isinstance(v, dict):
            parts.append(overrides_text(v, f"{prefix}{k}."))
        else:
            parts.append(f"{prefix}{k}={json.dumps(v)}")
    return ", ".join(p for p in parts if p)


def published_as(exp):
    """The published method a row stands beside: FickleNet for the base, DSRG for DSRG from CAM seeds."""
    if exp == FT["base"]:
        return "FickleNet"
    e = EXPERIMENTS[exp]
    return "DSRG" if e["segmentation"]["loss"] == "dsrg" and e["cams"]["method"] == "cam" else None


def fickle_rows():
    base = FT["base"]
    rows = [(base, f"base: {overrides_text(config['experiments'][base])}")]
    rows += [(f"{base}_{name}", overrides_text(o)) for name, o in ablations(config)]
    rows += [(exp, f"baseline: {overrides_text(config['experiments'][exp]) or 'config.yaml defaults'}")
             for exp in FT["compare"]]
    out = []
    for exp, changed in rows:
        out.append(dict(
            experiment=exp, changed=changed, published=published_as(exp),
            seeds=f"{RESULTS}/{exp}/eval/pseudo_train_gt.json",
            val=f"{RESULTS}/{exp}/eval/round{rounds(exp)[-1]}_val.json" if exp in FT["segment"] else None,
            classifier_bench=f"benchmarks/{DATASET}/classifiers/{classifier_key(exp)}/train_classifier.tsv",
            cams_bench=expand(f"benchmarks/{DATASET}/cams/{cams_key(exp)}/{{shard}}.tsv", shard=shard_list("train"))))
    return out


def fickle_inputs():
    files = []
    for r in fickle_rows():
        files += [r["seeds"], r["classifier_bench"], *r["cams_bench"]] + ([r["val"]] if r["val"] else [])
    return files


rule ficklenet_table:
    input:
        files=fickle_inputs(),
        published=str(Path(workflow.basedir) / "workflow" / "report" / "published.yaml"),
    output:
        md=f"{RESULTS}/ficklenet_table/{FT['base']}.md",
        html=report(f"{RESULTS}/ficklenet_table/{FT['base']}.html", caption="../report/ficklenet_table.rst",
                    category="report"),
        png=report(f"{RESULTS}/ficklenet_table/{FT['base']}_seeds.png", caption="../report/ficklenet_table.rst",
                   category="report"),
    params:
        rows=shlex.quote(json.dumps(fickle_rows())),
        code=code_hash("ficklenet_table.py", "report.py"),
    log: f"logs/{DATASET}/ficklenet_table.log",
    benchmark: f"benchmarks/{DATASET}/ficklenet_table.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.ficklenet_table --rows {params.rows} --published {input.published} "
        "--title 'FickleNet on {DATASET} ({FT[base]})' --md {output.md} --html {output.html} --png {output.png} "
        "> {log} 2>&1"


rule ficklenet_tables:
    """Target: the FickleNet table (base, ablations, baselines)."""
    input: rules.ficklenet_table.output.md
