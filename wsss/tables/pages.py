"""Result pages: Markdown + standalone HTML written atomically, and helpers shared by the tables."""
from __future__ import annotations

import csv
import html
import json
import os
from pathlib import Path

import yaml

from wsss.io.files import atomic_path, read_json


def pct(v):
    return "" if v is None else f"{100 * v:.1f}"


def ratio_text(miou, ceiling_json) -> str:
    """mIoU / the fullsup mIoU in ceiling_json, as text; empty when either is missing or the ceiling is 0."""
    if miou is None or not ceiling_json:
        return ""
    ceiling = read_json(ceiling_json)["miou"]
    return f"{miou / ceiling:.2f}" if ceiling and ceiling == ceiling else ""


def read_published(path) -> dict:
    """workflow/report/published.yaml: the papers' numbers, with their source."""
    return yaml.safe_load(Path(path).read_text())


def published_value(published: dict, method: str | None, column: str):
    """The published number of `method` in `column` (published.yaml), or None."""
    for row in published["rows"]:
        if method and row["method"] == method:
            return row.get(column)
    return None


def read_rows(arg: str):
    """A table stage's --rows: JSON text, or the path of a file holding it."""
    return json.loads(Path(arg).read_text()) if os.path.isfile(arg) else json.loads(arg)


def write_pages(lines, title: str, md_path, html_path=None) -> None:
    """The Markdown lines to md_path and, when given, the same page as standalone HTML (both atomic)."""
    with atomic_path(md_path) as tmp:
        tmp.write_text("\n".join(lines))
    if html_path:
        with atomic_path(html_path) as tmp:
            tmp.write_text(html_page(lines, title))


def html_page(lines, title: str) -> str:
    """A standalone HTML page from this module's Markdown lines."""
    body = "\n".join(h for h in map(_md_line_to_html, lines) if h is not None).replace("</table>\n<table>", "\n")
    return f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>" \
           f"<style>body{{font-family:sans-serif;max-width:70em;margin:auto}}td,th{{padding:2px 8px;" \
           f"border-bottom:1px solid #ddd}}img{{max-width:100%}}</style>\n{body}\n"


def _md_line_to_html(ln: str) -> str:
    """Just enough Markdown for this report: headings, tables, quotes, images, text."""
    if ln.startswith("#"):
        level = len(ln) - len(ln.lstrip("#"))
        return f"<h{level}>{html.escape(ln[level:].strip())}</h{level}>"
    if ln.startswith("|---"):
        return None
    if ln.startswith("|"):  # one table per row; consecutive rows are merged by the caller
        cells = [html.escape(c.strip()) for c in ln.strip("|").split("|")]
        return "<table><tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr></table>"
    if ln.startswith("!["):
        cap, src = ln[2:].split("](", 1)
        return f"<figure><img src='{html.escape(src.split(')')[0])}'><figcaption>{html.escape(cap)}</figcaption></figure>"
    if ln.startswith(">"):
        return f"<blockquote>{html.escape(ln[1:].strip())}</blockquote>"
    return f"<p>{html.escape(ln)}</p>" if ln.strip() else ""


def benchmark(path) -> dict:
    """Seconds and peak resident memory (MiB) of a job from its Snakemake benchmark TSV (last repeat)."""
    with open(path) as f:
        bench_rows = list(csv.DictReader(f, delimiter="\t"))
    if not bench_rows:
        raise SystemExit(f"{path}: empty benchmark file; rerun the job that writes it")
    last = bench_rows[-1]

    def num(key):
        try:
            return float(last[key])
        except (KeyError, ValueError):  # Snakemake writes NA where it could not measure
            return None
    return {"s": num("s"), "max_rss": num("max_rss")}
