# The leaderboard (rows: wsss.tables.leaderboard): the selected experiments and their fullsup ceilings.
#     snakemake --cores 2 leaderboard --config experiment=[cam,spn,ficklenet,center_prior]
from wsss.tables import leaderboard as leaderboard_rows

LEADERBOARD_ROWS = leaderboard_rows.rows(PLAN, SELECTED)


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
        "python -m stages.leaderboard --rows {params.rows} --dataset {params.dataset} --md {output.md} "
        "--html {output.html} --json {output.json} --png {output.png} --published {input.published} > {log} 2>&1"


rule leaderboard:
    """Target: the leaderboard of the selected experiments (config `experiment`) and their fullsup ceilings."""
    input: rules.leaderboard_table.output.md
