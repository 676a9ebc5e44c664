"""FickleNet table stage: known answers from hand-made evaluation JSONs and benchmark files."""
import json

import pytest

from stages import ficklenet_table
from wsss.tables.ficklenet import benchmark
from tests.conftest import REPO

BENCH_HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def write(path, text):
    path.write_text(text)
    return str(path)


def test_table_rows_hold_seeds_segmentation_cost_and_published(tmp_path):
    seeds = write(tmp_path / "seeds.json", json.dumps({"miou": 0.25, "labelled_fraction": 0.5,
                                                       "labelled_accuracy": 0.875, "object_as_background": 0.1,
                                                       "foreground_on_background": 0.05}))
    val = write(tmp_path / "val.json", json.dumps({"miou": 0.4}))
    fullsup = write(tmp_path / "fullsup.json", json.dumps({"miou": 0.5}))
    clf = write(tmp_path / "clf.tsv", BENCH_HEADER + "120.4\t0:02:00\t2048.0\t1\t1\t1\t0\t0\t50\t200\n")
    clf_na = write(tmp_path / "clf_na.tsv", BENCH_HEADER + "99.6\t0:01:39\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\n")
    cams = [write(tmp_path / f"cams{k}.tsv", BENCH_HEADER + f"{s}\t0\t1\t1\t1\t1\t0\t0\t50\t1\n")
            for k, s in enumerate((30.0, 12.5))]
    rows = [dict(experiment="ficklenet", changed="base", seeds=seeds, val=val, fullsup=fullsup, classifier_bench=clf,
                 cams_bench=cams, published="FickleNet"),
            dict(experiment="ficklenet_n10", changed="cams.fickle.n_samples=10", seeds=seeds, val=None,
                 classifier_bench=clf_na, cams_bench=cams[:1], published=None)]
    md, png = tmp_path / "t.md", tmp_path / "t.png"
    ficklenet_table.main(["--rows", json.dumps(rows), "--published", str(REPO / "workflow" / "report" / "published.yaml"),
                          "--title", "t", "--md", str(md), "--html", str(tmp_path / "t.html"), "--png", str(png)])
    lines = md.read_text().splitlines()
    assert "| ficklenet | base | 25.0 | 50.0 | 87.5 | 10.0 | 5.0 | 40.0 | 0.80 | 120 | 2048 | 42 | 64.9 (FickleNet) |" in lines
    assert "| ficklenet_n10 | cams.fickle.n_samples=10 | 25.0 | 50.0 | 87.5 | 10.0 | 5.0 |  |  | 100 |  | 30 |  |" in lines
    assert png.stat().st_size > 0 and (tmp_path / "t.html").is_file()


def test_empty_benchmark_is_a_clear_error(tmp_path):
    path = write(tmp_path / "empty.tsv", BENCH_HEADER)
    with pytest.raises(SystemExit, match="empty.tsv: empty benchmark file"):
        benchmark(path)
