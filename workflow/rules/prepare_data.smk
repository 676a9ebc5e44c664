# Datasets: the synthetic demo is generated; VOC 2012 / SBD are used in place or downloaded.
from stages.download import SOURCES


rule make_demo:
    output:
        marker=f"{config['demo']['root']}/.complete",
    params:
        root=lambda wc, output: str(Path(output.marker).parent),
        code=code_hash("demo_data.py"),
    log: "logs/make_demo.log",
    benchmark: "benchmarks/make_demo.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.demo_data --out {params.root} --n-train {config[demo][n_train]} "
        "--n-val {config[demo][n_val]} --size {config[demo][image_size]} --seed {config[seed]} --marker {output.marker} > {log} 2>&1"


rule download_voc:
    output: marker="data/.voc2012.extracted"
    params:
        url=lambda wc: config["voc12"]["voc_url"] or SOURCES["voc2012"]["url"],
        md5=lambda wc: config["voc12"]["voc_md5"] or SOURCES["voc2012"]["md5"],
    log: "logs/download_voc.log",
    benchmark: "benchmarks/download_voc.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.download --url {params.url} --md5 {params.md5} --archive data/VOCtrainval_11-May-2012.tar "
        "--dest data --marker {output.marker} > {log} 2>&1"


rule download_sbd:
    output: marker="data/.sbd.extracted"
    params:
        url=lambda wc: config["voc12"]["sbd_url"] or SOURCES["sbd"]["url"],
        md5=lambda wc: config["voc12"]["sbd_md5"] or SOURCES["sbd"]["md5"],
    log: "logs/download_sbd.log",
    benchmark: "benchmarks/download_sbd.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.download --url {params.url} --md5 {params.md5} --archive data/benchmark.tgz "
        "--dest data --marker {output.marker} > {log} 2>&1"


def dataset_inputs(wc):
    if DATASET == "demo":
        return [rules.make_demo.output.marker]
    if DS["download"]:
        return [rules.download_voc.output.marker] + ([rules.download_sbd.output.marker] if DS.get("sbd_root") else [])
    return []


rule prepare_data:
    input: dataset_inputs
    output:
        index=INDEX,
        lists=expand(f"{DATA}/lists/{{split}}.txt", split=["train", "train_gt", "val"]),
        labels=f"{DATA}/labels.json",
    params:
        sbd=lambda wc: f"--sbd-root {DS['sbd_root']}" if DATASET == "voc12" and DS.get("sbd_root") else "",
        code=code_hash("prepare_data.py", "voc.py"),
    log: f"logs/{DATASET}/prepare_data.log",
    benchmark: f"benchmarks/{DATASET}/prepare_data.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.prepare_data --dataset {DATASET} --root {DS[root]} {params.sbd} --out {DATA} > {log} 2>&1"
