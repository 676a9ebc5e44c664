# The leaderboards (rows: wsss.tables.leaderboard), one rule for both:
#     snakemake --cores 2 leaderboard --config experiment=[cam,spn,ficklenet,center_prior]
#         the selected experiments and their fullsup ceilings: leaderboard/leaderboard.*
#     snakemake --cores 2 pseudo_leaderboard --config experiment=[cam,cam_irn,seam,mdc]
#         the same rows up to the pseudo labels, nothing segmented: leaderboard/pseudo_labels.*
from wsss.tables import leaderboard as leaderboard_rows

BOARD_ROWS = {"leaderboard": leaderboard_rows.rows(PLAN, SELECTED),
              "pseudo_labels": leaderboard_rows.rows(PLAN, SELECTED, segment=False)}
BOARD = path("table", table="leaderboard", file="{board}")  # + .md, .html, .json, .png


rule leaderboard_table:
    input:
        lambda wc: leaderboard_rows.input_files(BOARD_ROWS[wc.board]),
        published=PUBLISHED,
    output:
        md=f"{BOARD}.md",
        html=report(f"{BOARD}.html", caption="../report/leaderboard.rst", category="report"),
        json=f"{BOARD}.json",
        png=report(f"{BOARD}.png", caption="../report/leaderboard.rst", category="report"),
    wildcard_constraints:
        board="|".join(BOARD_ROWS),
    params:
        rows=staged_rows(lambda wc: BOARD_ROWS[wc.board], leaderboard_rows.input_files),
        dataset=DATASET,
        code=code_hash("leaderboard"),
    log: f"{LOGS}/leaderboard/{{board}}.log",
    benchmark: f"{BENCH}/leaderboard/{{board}}.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.leaderboard --rows {params.rows} --dataset {params.dataset} --md {output.md} "
        "--html {output.html} --json {output.json} --png {output.png} --published {input.published} > {log} 2>&1"


rule leaderboard:
    """Target: the leaderboard of the selected experiments (config `experiment`) and their fullsup ceilings."""
    input: f"{BOARD}.md".format(board="leaderboard")


rule pseudo_leaderboard:
    """Target: the selected experiments' pseudo labels on train_gt, no segmentation trained (a localizer
    comparison that fits a CPU: one VOC-subset round costs about an hour on 2 cores)."""
    input: f"{BOARD}.md".format(board="pseudo_labels")
