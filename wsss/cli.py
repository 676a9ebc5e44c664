"""Argument groups shared by the stage CLIs (defined once), and the run(args) entry convention.

Every stage module has get_args_parser() and run(args) (jiwoon-ahn/irn, torchvision's references);
main(argv) parses and runs. JSON settings arrive as one argument (`--settings '{...}'`), the
stage's config section."""
from __future__ import annotations

import argparse
import datetime
import json
import resource
import time


def parser(doc: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)


def add_index_args(ap, split: str | None = "train") -> None:
    """--index (prepare_data's index.json) and --split."""
    ap.add_argument("--index", required=True, help="index.json written by prepare_data")
    if split is None:
        ap.add_argument("--split", required=True)
    else:
        ap.add_argument("--split", default=split)


def add_shard_args(ap, split: str | None = "train") -> None:
    """--index, --split, and which shard of the split (--shard k of --shards n) this job handles."""
    add_index_args(ap, split)
    ap.add_argument("--shard", type=int, default=0)
    ap.add_argument("--shards", type=int, default=1)


def add_device_args(ap) -> None:
    ap.add_argument("--device", default="auto", help="auto (cuda when available) | cpu | cuda")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")


def add_settings_arg(ap, section: str) -> None:
    ap.add_argument("--settings", required=True, type=json.loads, help=f"JSON of the config's `{section}` section")


def add_training_args(ap, section: str) -> None:
    """What every training stage takes: settings, schedule, outputs, device."""
    add_settings_arg(ap, section)
    ap.add_argument("--epochs", type=int, required=True)
    ap.add_argument("--iterations", type=int, default=None,
                    help="schedule in optimizer steps (the papers' unit): the fewest epochs with at least this many "
                         "steps; overrides --epochs")
    ap.add_argument("--crop", type=int, required=True, help="square training crop, pixels")
    ap.add_argument("--scale-range", type=float, nargs=2, default=(0.5, 1.5), metavar=("LO", "HI"),
                    help="training images are rescaled by U(LO, HI) x their original size")
    for name in ("--out", "--log", "--metrics", "--curve"):
        ap.add_argument(name, required=True)
    ap.add_argument("--seed", type=int, default=0)
    add_device_args(ap)
    add_compute_args(ap)


def add_compute_args(ap) -> None:
    """How a training process computes (config `compute`, wsss.training.configure)."""
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "fp16"],
                    help="autocast precision of the training steps (fp16 with a gradient scaler)")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    ap.add_argument("--pin-memory", default="auto", choices=["auto", "true", "false"])


def epochs_for(args, make_loader) -> int:
    """--epochs, or the fewest epochs that give --iterations optimizer steps."""
    if not args.iterations:
        return args.epochs
    steps = max(1, len(make_loader(0)))
    return max(1, -(-args.iterations // steps))


def set_threads(args) -> None:
    """The process's torch threads and, for training stages, its compute settings (wsss.training)."""
    if getattr(args, "threads", 0):
        import torch

        torch.set_num_threads(args.threads)
    if hasattr(args, "precision"):
        from wsss.training import configure

        configure(args.precision, args.workers, args.pin_memory)


def add_benchmark_arg(ap) -> None:
    ap.add_argument("--benchmark", default=None,
                    help="write this process's wall seconds and peak RSS here, in Snakemake's benchmark TSV format. "
                         "For rules that Snakemake's between-workflow cache may serve: those cannot have a "
                         "benchmark: directive, so the stage times itself and the file travels with the outputs")


def run_benchmarked(run, args):
    """run(args); with --benchmark, then write the cost of the whole process (from its start, imports
    included) as a one-row benchmark TSV that wsss.tables.pages.benchmark reads like Snakemake's."""
    result = run(args)
    if getattr(args, "benchmark", None):
        write_benchmark(args.benchmark)
    return result


def write_benchmark(path) -> None:
    import psutil  # a Snakemake dependency

    from wsss.io.files import atomic_path

    seconds = time.time() - psutil.Process().create_time()
    rss_mib = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    hms = str(datetime.timedelta(seconds=int(seconds)))
    with atomic_path(path) as tmp:
        tmp.write_text("s\th:m:s\tmax_rss\tcpu_time\n"
                       f"{seconds:.4f}\t{hms}\t{rss_mib:.2f}\t{cpu.ru_utime + cpu.ru_stime:.2f}\n")
