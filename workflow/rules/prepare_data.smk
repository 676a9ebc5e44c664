# Datasets: the synthetic demo is generated; VOC 2012 / SBD are used in place or downloaded.
# The dataset is a read-only input at its configured path on every machine that runs a job (a volume
# or the container image), never part of --default-storage-provider: local() keeps it out of storage,
# and index.json names its files by those paths. Everything the DAG derives from it goes to storage.
from stages.download import SOURCES


rule make_demo:
    output:
        marker=local(f"{config['demo']['root']}/.complete"),
    params:
        root=lambda wc, output: str(Path(output.marker).parent),
        n_train=config["demo"]["n_train"],
        n_val=config["demo"]["n_val"],
        size=config["demo"]["image_size"],
        seed=config["seed"],
        code=code_hash("demo_data"),
    log: "logs/make_demo.log",
    benchmark: "benchmarks/make_demo.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.demo_data --out {params.root} --n-train {params.n_train} --n-val {params.n_val} "
        "--size {params.size} --seed {params.seed} --marker {output.marker} > {log} 2>&1"


rule download_voc:
    output: marker=local("data/.voc2012.extracted")
    params:
        url=lambda wc: config["voc12"]["voc_url"] or SOURCES["voc2012"]["url"],
        md5=lambda wc: config["voc12"]["voc_md5"] or SOURCES["voc2012"]["md5"],
        code=code_hash("download"),
    log: "logs/download_voc.log",
    benchmark: "benchmarks/download_voc.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.download --url {params.url} --md5 {params.md5} --archive data/VOCtrainval_11-May-2012.tar "
        "--dest data --marker {output.marker} > {log} 2>&1"


rule download_sbd:
    output: marker=local("data/.sbd.extracted")
    params:
        url=lambda wc: config["voc12"]["sbd_url"] or SOURCES["sbd"]["url"],
        md5=lambda wc: config["voc12"]["sbd_md5"] or SOURCES["sbd"]["md5"],
        code=code_hash("download"),
    log: "logs/download_sbd.log",
    benchmark: "benchmarks/download_sbd.tsv"
    threads: 1
    resources: mem_mb=1000
    shell:
        "python -m stages.download --url {params.url} --md5 {params.md5} --archive data/benchmark.tgz "
        "--dest data --marker {output.marker} > {log} 2>&1"


rule prepare_data:
    input: dataset_inputs
    output:
        index=INDEX,
        lists=expand(f"{DATA}/lists/{{split}}.txt", split=["train", "train_gt", "val"]),
        labels=f"{DATA}/labels.json",
    params:
        sbd=lambda wc: f"--sbd-root {DS['sbd_root']}" if DATASET == "voc12" and DS.get("sbd_root") else "",
        dataset=DATASET,
        root=DS["root"],
        out=lambda wc, output: str(Path(output.index).parent),
        code=code_hash("prepare_data"),
    log: f"{LOGS}/prepare_data.log",
    benchmark: f"{BENCH}/prepare_data.tsv"
    threads: 1
    resources: mem_mb=2000
    shell:
        "python -m stages.prepare_data --dataset {params.dataset} --root {params.root} {params.sbd} --out {params.out} "
        "> {log} 2>&1"
