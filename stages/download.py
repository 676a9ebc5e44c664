"""Download a dataset archive, verify its checksum and extract it, all restartable.

The archive is fetched to `<name>.part`, checked, then renamed; extraction writes a marker
file last, so a killed download or extraction is redone, never mistaken for complete.
"""
from __future__ import annotations

import hashlib
import tarfile
import urllib.request
from pathlib import Path

from tqdm import tqdm

from wsss import cli
from wsss.errors import BadInputError

SOURCES = {
    "voc2012": {"url": "http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar",
                "md5": "6cd6e144f989b92b3379bac3b3de84fd"},
    "sbd": {"url": "http://www.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/semantic_contours/benchmark.tgz",
            "md5": "82b4d87ceb2ed10f6038a1cba92111cb"},
}


def md5sum(path, chunk=1 << 20) -> str:
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def fetch(url: str, dest, md5: str | None) -> Path:
    """Download url to dest (skipped when dest exists with the right checksum)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_file() and (md5 is None or md5sum(dest) == md5):
        return dest
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as r, open(part, "wb") as f:
            total = int(r.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name) as bar:
                for block in iter(lambda: r.read(1 << 20), b""):
                    f.write(block)
                    bar.update(len(block))
    except OSError as e:
        part.unlink(missing_ok=True)
        raise BadInputError(f"downloading {url} failed ({e}). Without internet, download it elsewhere, put "
                            f"it at {dest}, or set the dataset root in config.yaml to an existing copy.") from None
    got = md5sum(part)
    if md5 is not None and got != md5:
        part.unlink()
        raise BadInputError(f"{url}: checksum mismatch (md5 {got}, expected {md5}); the download is corrupt "
                            f"or the file changed upstream. Nothing was kept; run again.")
    part.replace(dest)
    return dest


def extract(archive, dest_dir, marker) -> None:
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(dest_dir, filter="data")
    Path(marker).write_text(f"extracted from {archive}\n")


def get_args_parser():
    ap = cli.parser("download + verify + extract a dataset archive")
    ap.add_argument("--url", required=True)
    ap.add_argument("--md5", default=None)
    ap.add_argument("--archive", required=True, help="where to keep the downloaded archive")
    ap.add_argument("--dest", required=True, help="directory to extract into")
    ap.add_argument("--marker", required=True, help="file written when extraction completed")
    return ap


def run(args):
    extract(fetch(args.url, args.archive, args.md5), args.dest, args.marker)


def main(argv=None):
    return run(get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
