"""Turn a Snakemake dry run into a plain bash script of the DAG's jobs, in order: for running the same
stage CLIs on a machine without Snakemake (e.g. a lent GPU box), each job timed into a benchmark TSV of
Snakemake's format (s, max_rss) so the tables that read benchmarks still work.

    snakemake -n -p --forceall <targets> ... > dryrun.txt
    python scripts/dag_script.py dryrun.txt > dag.sh      # then: bash dag.sh (set -e: stops at a failure)
    python scripts/dag_script.py dryrun.txt --make > dag.mk   # then: make -f dag.mk -j8 (independent jobs at once)

Measured with GNU time when present, else Python's resource module (children's peak RSS).
"""
import re
import shlex
import sys


def jobs(text: str):
    """(outputs, log, benchmark, shell command, inputs) of every job of a `snakemake -n -p` listing."""
    for block in re.split(r"\n(?=(?:local)?rule \w+:)", text):
        if not re.match(r"(?:local)?rule \w+:", block):
            continue
        field = lambda name: (re.search(rf"^\s+{name}: (.+)$", block, re.M) or [None, ""])[1]  # noqa: E731
        cmd = re.search(r"^Shell command: (.+)$", block, re.M)
        if cmd:
            split = lambda v: [p.strip() for p in v.split(",") if p.strip()]  # noqa: E731
            yield split(field("output")), field("log").strip(), field("benchmark").strip(), cmd.group(1), \
                split(field("input"))


def in_order(listed):
    """The jobs sorted so that each runs after the jobs writing its inputs (a dry run's listing is not)."""
    writer = {o: i for i, job in enumerate(listed) for o in job[0]}
    done, order = set(), []

    def visit(i):
        if i in done:
            return
        done.add(i)
        for path in listed[i][4]:
            if path in writer:
                visit(writer[path])
        order.append(listed[i])
    for i in range(len(listed)):
        visit(i)
    return order


TIMED = ("import resource,subprocess,sys,time;t=time.time();"
         "rc=subprocess.call(sys.argv[2],shell=True,executable='/bin/bash');s=time.time()-t;"
         "rss=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024;"
         "open(sys.argv[1],'w').write('s\\th:m:s\\tmax_rss\\n%.4f\\t-\\t%.2f\\n'%(s,rss));sys.exit(rc)")


def recipe(outs, log, bench, cmd) -> list[str]:
    """mkdir of every output/log/benchmark folder, then the command (timed into its benchmark TSV)."""
    dirs = sorted({q.rsplit("/", 1)[0] for q in [*outs, log, bench] if "/" in q})
    lines = [f"mkdir -p {' '.join(shlex.quote(d) for d in dirs)}"] if dirs else []
    if bench:
        lines.append(f"python3 -c {shlex.quote(TIMED)} {shlex.quote(bench)} {shlex.quote(cmd)}")
    else:
        lines.append(cmd)
    return lines


def main():
    listed = in_order(list(jobs(open(sys.argv[1]).read())))
    if "--make" not in sys.argv:
        print("#!/usr/bin/env bash\nset -euo pipefail")
        for n, (outs, log, bench, cmd, _) in enumerate(listed):
            print(f"echo '[{n}] {outs[0] if outs else cmd[:60]}'")
            print("\n".join(recipe(outs, log, bench, cmd)))
        return
    writer = {o: n for n, job in enumerate(listed) for o in job[0]}
    print("SHELL := /bin/bash\nSTAMPS := .dag_stamps\nall: " + " ".join(f"$(STAMPS)/{n}" for n in range(len(listed))))
    for n, (outs, log, bench, cmd, inputs) in enumerate(listed):
        deps = sorted({writer[q] for q in inputs if q in writer})
        print(f"$(STAMPS)/{n}: " + " ".join(f"$(STAMPS)/{d}" for d in deps))
        for line in [*recipe(outs, log, bench, cmd), "mkdir -p $(STAMPS) && touch $@"]:
            print("\t" + line.replace("$", "$$").replace("$$@", "$@").replace("$$(STAMPS)", "$(STAMPS)"))


if __name__ == "__main__":
    main()
