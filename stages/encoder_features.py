"""encoder_features: a frozen ImageNet encoder's features of every train image, once per SPN input size
and flip, to a float32 HDF5 shard (the cache SPN training reads instead of images).

    python -m stages.encoder_features --index results/demo/data/index.json --split train --shard 0 \
        --shards 1 --backbone mobilenet_v2 --sizes 96 128 160 192 --out features/train_000.h5

Each input is the image padded to a square and resized (wsss.data.spn_data.view), as SPN training
makes it. Stored: the output of encoder[:-1] (MobileNetV2: block 16, 320 channels; VGG16: conv5_3
before its ReLU), keyed by wsss.data.spn_data.feature_key. The SPN runs the encoder's last module
itself. SPN freezes its whole encoder (BN statistics included), so training on the cache gives the
same batches as training on images, without recomputing the frozen layers every epoch.
"""
from __future__ import annotations

import torch
from tqdm import tqdm

from wsss import cli
from wsss.data.dataset import Index
from wsss.data.spn_data import feature_key, pad_image, view
from wsss.data.transforms import to_tensor
from wsss.device import pick_device
from wsss.io.files import read_image
from wsss.io.h5store import ShardWriter
from wsss.models.backbones import build_backbone


def get_args_parser():
    ap = cli.parser(__doc__)
    cli.add_shard_args(ap)
    ap.add_argument("--backbone", required=True)
    ap.add_argument("--weights-path", default=None, help="ImageNet weights file (default: torchvision's)")
    ap.add_argument("--sizes", type=int, nargs="+", required=True, help="square input sizes (SPN's spn_sizes)")
    ap.add_argument("--out", required=True)
    cli.add_device_args(ap)
    cli.add_benchmark_arg(ap)
    return ap


@torch.no_grad()
def run(args):
    cli.set_threads(args)
    dev = pick_device(args.device)
    encoder, _, _ = build_backbone(args.backbone, True, dilate=False, weights_path=args.weights_path)
    head = encoder[:-1].to(dev).eval()
    index = Index(args.index)
    attrs = {"backbone": args.backbone, "sizes": args.sizes, "split": args.split, "stored": "encoder[:-1]"}
    with ShardWriter(args.out, attrs) as w:
        for image_id in tqdm(index.shard(args.split, args.shard, args.shards),
                             desc=f"encoder features {args.split} shard {args.shard}"):
            img_sq = pad_image(read_image(index.images[image_id]))
            for size in args.sizes:
                x = torch.stack([to_tensor(view(img_sq, size, flip)) for flip in (False, True)]).to(dev)
                for flip, f in zip((False, True), head(x).float().cpu().numpy()):
                    w.put(feature_key(image_id, size, flip), f, compress=False)


def main(argv=None):
    return cli.run_benchmarked(run, get_args_parser().parse_args(argv))


if __name__ == "__main__":
    main()
