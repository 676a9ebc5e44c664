# The leaderboard (rows: wsss.tables.leaderboard): the selected experiments and their fullsup ceilings.
#     snakemake --cores 2 leaderboard --config experiment=[cam,spn,ficklenet,center_prior]
# The pseudo-label leaderboard: the same rows up to the pseudo labels, nothing segmented.
#     snakemake --cores 2 pseudo_leaderboard --config experiment=[cam,cam_irn,seam,mdc]
from wsss.tables import leaderboard as leaderboard_rows

LEADERBOARD_ROWS = leaderboard_rows.rows(PLAN, SELECTED)
LEADERBOARD_SHELL = ("python -m stages.leaderboard --rows {params.rows} --dataset {params.dataset} --md {output.md} "
                     "--html {output.html} --json {output.json} --png {output.png} --published {input.published} "
                     "> {log} 2>&1")


rule leaderboard_table:
    input:
        leaderboard_rows.input_files(LEADERBOARD_ROWS),
        published=PUBLISHED,
    output:
        md=path("table", table="leaderboard", file="leaderboard.md"),
        html=report(path("table", table="leaderboard", file="leaderboard.html"), caption="../report/leaderboard.rst",
                    category="report"),
        json=path("table", table="leaderboard", file="leaderboard.json"),
        png=report(path("table", table="leaderboard", file="leaderboard.png"), caption="../report/leaderboard.rst",
                   category="report"),
    params:
        rows=staged_rows(LEADERBOARD_ROWS, leaderboard_rows.input_files),
        dataset=DATASET,
        code=code_hash("leaderboard"),
    log: f"{LOGS}/leaderboard.log",
    benchmark: f"{BENCH}/leaderboard.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        LEADERBOARD_SHELL


rule leaderboard:
    """Target: the leaderboard of the selected experiments (config `experiment`) and their fullsup ceilings."""
    input: rules.leaderboard_table.output.md


PSEUDO_ROWS = leaderboard_rows.rows(PLAN, SELECTED, segment=False)


rule pseudo_leaderboard_table:
    input:
        leaderboard_rows.input_files(PSEUDO_ROWS),
        published=PUBLISHED,
    output:
        md=path("table", table="leaderboard", file="pseudo_labels.md"),
        html=report(path("table", table="leaderboard", file="pseudo_labels.html"),
                    caption="../report/pseudo_leaderboard.rst", category="report"),
        json=path("table", table="leaderboard", file="pseudo_labels.json"),
        png=report(path("table", table="leaderboard", file="pseudo_labels.png"),
                   caption="../report/pseudo_leaderboard.rst", category="report"),
    params:
        rows=staged_rows(PSEUDO_ROWS, leaderboard_rows.input_files),
        dataset=DATASET,
        code=code_hash("leaderboard"),
    log: f"{LOGS}/pseudo_leaderboard.log",
    benchmark: f"{BENCH}/pseudo_leaderboard.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        LEADERBOARD_SHELL


rule pseudo_leaderboard:
    """Target: the selected experiments' pseudo labels on train_gt, no segmentation trained (a localizer
    comparison that fits a CPU: one VOC-subset round costs about an hour on 2 cores)."""
    input: rules.pseudo_leaderboard_table.output.md
