"""Epoch loop with per-epoch checkpoints, so a killed training job resumes where it stopped.

Determinism: batch order and augmentation are seeded by (seed, epoch), and torch's RNG is
reseeded at each epoch start, so a resumed run reproduces an uninterrupted one.

How a training process computes (config `compute`, set once per process by `configure`, like
torch.set_num_threads): the autocast precision (fp32 | bf16 | fp16, fp16 with a gradient scaler),
DataLoader worker processes and pinned memory. Augmentation is seeded per item, so worker count
and pinning do not change a single number; precision does (it is part of the resume fingerprint).
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from wsss.io.artifacts import record_size
from wsss.io.files import atomic_path


COMPUTE = {"precision": "fp32", "workers": 0, "pin_memory": "auto"}
PRECISIONS = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


def configure(precision: str = "fp32", workers: int = 0, pin_memory: str = "auto") -> None:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")
    COMPUTE.update(precision=precision, workers=int(workers), pin_memory=str(pin_memory))


def loader_options(device=None) -> dict:
    """DataLoader keyword arguments of the process's compute settings."""
    pin = COMPUTE["pin_memory"]
    cuda = torch.cuda.is_available() if device is None else torch.device(device).type == "cuda"
    return {"num_workers": COMPUTE["workers"], "pin_memory": cuda if pin == "auto" else pin == "true",
            "persistent_workers": False}


def autocast(device):
    """The autocast context of the process's precision on `device` (a no-op at fp32)."""
    dtype = PRECISIONS[COMPUTE["precision"]]
    return torch.autocast(device_type=torch.device(device).type, dtype=dtype or torch.float32,
                          enabled=dtype is not None)


def make_optimizer(model, settings: dict):
    """The pretrained part at backbone_lr_mult x lr (default 1), the new layers at 10 x lr (IRN/DeepLab practice).

    `sgd` (momentum 0.9) is the papers' choice for long schedules. `adam` is the default for the
    short CPU schedules here: with the multi-label loss averaged over classes the gradients of the
    new layer are tiny and SGD needs thousands of steps (on the 330-image VOC subset, 100 SGD steps
    left val mAP at 30% while a linear probe of the frozen features reaches 72%).
    """
    old, new = model.param_groups()
    lr = settings["lr"]
    mult = settings.get("backbone_lr_mult", 1.0)  # classifier recipe: 0 freezes the pretrained part
    if mult == 0:
        for p in old:
            p.requires_grad_(False)
        old = []
    groups = [{"params": old, "lr": mult * lr, "base_lr": mult * lr},
              {"params": new, "lr": 10 * lr, "base_lr": 10 * lr}]
    if settings.get("optimizer", "sgd") == "adam":
        return torch.optim.AdamW(groups, weight_decay=settings["weight_decay"])
    return torch.optim.SGD(groups, momentum=0.9, weight_decay=settings["weight_decay"])


def save_checkpoint(path, record: bool = True, **state) -> None:
    """torch.save, atomically; an output's size is recorded (wsss.io.artifacts: a truncated copy is rebuilt).
    Resume checkpoints (record=False) check themselves when loaded."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
        if record:
            record_size(path, tmp.stat().st_size)


def shuffled_loader(dataset, batch_size: int, seed: int):
    """Loader factory for `fit`: a reshuffled DataLoader per epoch, seeded by (seed, epoch)."""
    def make(epoch: int):
        dataset.epoch = epoch
        g = torch.Generator().manual_seed(seed * 1000 + epoch)
        return DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=len(dataset) >= batch_size,
                          generator=g, **loader_options())
    return make


def supervised_step(loss_fn):
    """Step function for `fit` on (input, target) batches."""
    def step(model, batch, device):
        x, y = batch
        return loss_fn(model(x.to(device)), y.to(device))
    return step


def fingerprint(**what) -> str:
    """What a resume checkpoint belongs to (settings, schedule, seed, data and code hashes), as one digest."""
    return hashlib.sha1(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()


SAMPLED = 1 << 20  # files above this size are identified by size, mtime and sampled bytes (files_digest)


def files_digest(paths) -> str:
    """sha1 over the given files, in order (the data a run learns from): the whole bytes of small files;
    of a large one (an encoder-feature or CAM shard: gigabytes on VOC) its size, modification time and
    first, middle and last 64 KiB. Shards are written once, under a temporary name, and renamed (a
    rewrite is a new file with a new mtime), so this identifies them without reading gigabytes."""
    h = hashlib.sha1()
    for p in paths:
        size = Path(p).stat().st_size
        if size <= SAMPLED:
            h.update(Path(p).read_bytes())
            continue
        h.update(f"{size} {Path(p).stat().st_mtime_ns}".encode())
        with open(p, "rb") as f:
            for at in (0, size // 2, size - (1 << 16)):
                f.seek(at)
                h.update(f.read(1 << 16))
    return h.hexdigest()


def _resume_state(ckpt: Path, run_id: str | None):
    """The checkpoint's state if it belongs to this run; None (with a printed notice) when it is stale or
    damaged: a stale one is discarded, a damaged one moved aside to <name>.corrupt."""
    try:
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
    except Exception as e:  # noqa: BLE001 -- any unreadable checkpoint is only a lost cache
        aside = ckpt.with_name(ckpt.name + ".corrupt")
        os.replace(ckpt, aside)
        print(f"WARNING: resume checkpoint {ckpt} is damaged ({type(e).__name__}: {e}); moved to {aside}, "
              "training starts over", flush=True)
        return None
    if run_id is not None and state.get("run_id") != run_id:
        ckpt.unlink()
        print(f"resume checkpoint {ckpt} belongs to other settings, data or code (run id {state.get('run_id')} "
              f"!= {run_id}); discarded, training starts over", flush=True)
        return None
    return state


def lr_factor(schedule: dict | None, it: int, total: int, steps_per_epoch: int) -> float:
    """The learning-rate multiplier at step `it` of `total`: poly (power 0.9, DeepLab / IRN) by default;
    `lr_schedule: step` multiplies by lr_gamma every lr_step_epochs epochs (FickleNet: halved every 10)."""
    schedule = schedule or {}
    if schedule.get("lr_schedule", "poly") == "step":
        return schedule.get("lr_gamma", 0.5) ** ((it // steps_per_epoch) // schedule.get("lr_step_epochs", 10))
    return (1 - min(it, total - 1) / total) ** 0.9


def fit(model, make_loader, step, optimizer, *, epochs: int, device, work_dir, seed: int, desc: str,
        log_path, run_id: str | None = None, schedule: dict | None = None) -> list[dict]:
    """Train `epochs` epochs; resumes from work_dir/last.pt. Returns the per-epoch log rows.

    make_loader(epoch) gives that epoch's batches; step(model, batch, device) returns the loss;
    schedule: the settings' lr_schedule keys (lr_factor).
    run_id (see fingerprint) is stored in the checkpoint: a checkpoint of another run is not resumed.
    """
    work_dir = Path(work_dir)
    ckpt = work_dir / "last.pt"
    rows, start = [], 0
    device = torch.device(device)
    scaler = torch.amp.GradScaler(device.type, enabled=COMPUTE["precision"] == "fp16")
    if run_id is not None and COMPUTE["precision"] != "fp32":
        run_id = fingerprint(run=run_id, precision=COMPUTE["precision"])
    state = _resume_state(ckpt, run_id) if ckpt.is_file() else None
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if "scaler" in state:
            scaler.load_state_dict(state["scaler"])
        rows, start = state["log"], state["epoch"] + 1
        print(f"resumed from {ckpt} after epoch {state['epoch'] + 1}/{epochs}")
    model.to(device)
    steps_per_epoch = max(1, len(make_loader(0)))
    total = steps_per_epoch * epochs
    for epoch in range(start, epochs):
        torch.manual_seed(seed * 1000 + epoch)
        loader = make_loader(epoch)
        model.train()
        t0, losses = time.time(), []
        for i, batch in enumerate(tqdm(loader, desc=f"{desc} epoch {epoch + 1}/{epochs}", leave=False)):
            it = epoch * steps_per_epoch + i
            for group in optimizer.param_groups:
                group["lr"] = group["base_lr"] * lr_factor(schedule, it, total, steps_per_epoch)
            with autocast(device):
                loss = step(model, batch, device)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            losses.append(loss.item())
        row = {"epoch": epoch + 1, "loss": sum(losses) / max(len(losses), 1), "steps": len(losses),
               "lr": optimizer.param_groups[0]["lr"], "seconds": round(time.time() - t0, 2)}
        rows.append(row)
        print(f"{desc} epoch {epoch + 1}/{epochs} loss {row['loss']:.4f} ({row['seconds']}s)", flush=True)
        save_checkpoint(ckpt, record=False, model=model.state_dict(), optimizer=optimizer.state_dict(), epoch=epoch,
                        log=rows, run_id=run_id, scaler=scaler.state_dict())
    write_log(log_path, rows)
    return rows


def rows_steps(rows) -> int:
    """Optimizer steps the logged epochs took."""
    return int(sum(r.get("steps", 0) for r in rows))


def write_log(path, rows) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["epoch", "loss", "lr", "seconds", "steps"], restval="")
        w.writeheader()
        w.writerows(rows)


def drop_resume(work_dir) -> None:
    """Remove the resume checkpoint: call it only after every output of the job is written."""
    (Path(work_dir) / "last.pt").unlink(missing_ok=True)
