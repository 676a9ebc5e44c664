# The FickleNet table (rows: wsss.tables.ficklenet): the base, its ablations, the baselines, with costs.
#     snakemake --cores 2 ficklenet_tables
from wsss.tables import ficklenet as ficklenet_table_rows

FT = config["ficklenet_table"]
FICKLE_ROWS = ficklenet_table_rows.rows(PLAN, config)


rule ficklenet_table:
    input:
        files=ficklenet_table_rows.input_files(FICKLE_ROWS),
        published=PUBLISHED,
    output:
        md=path("table", table="ficklenet_table", file=f"{FT['base']}.md"),
        html=report(path("table", table="ficklenet_table", file=f"{FT['base']}.html"),
                    caption="../report/ficklenet_table.rst", category="report"),
        png=report(path("table", table="ficklenet_table", file=f"{FT['base']}_seeds.png"),
                   caption="../report/ficklenet_table.rst", category="report"),
    params:
        rows=staged_rows(FICKLE_ROWS, ficklenet_table_rows.input_files, key="files"),
        title=shlex.quote(f"FickleNet on {DATASET} ({FT['base']})"),
        code=code_hash("ficklenet_table"),
    log: f"{LOGS}/ficklenet_table.log",
    benchmark: f"{BENCH}/ficklenet_table.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.ficklenet_table --rows {params.rows} --published {input.published} --title {params.title} "
        "--md {output.md} --html {output.html} --png {output.png} > {log} 2>&1"


rule ficklenet_tables:
    """Target: the FickleNet table (base, ablations, baselines)."""
    input: rules.ficklenet_table.output.md
