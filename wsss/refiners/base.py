"""What a refiner plug-in provides (stages.train_refiner, stages.refine_cams): a network trained
from the maps of the training split, and the refined maps of one image. Its settings are the
`refiner.<name>` section (schema: its JSON-schema properties)."""
from __future__ import annotations


class Refiner:
    name = ""
    schema: dict = {}
    published = None  # its method in workflow/report/published.yaml (the leaderboard shows it)

    def build(self, settings: dict, pretrained: bool | None = None):
        """The network (an nn.Module with param_groups(), trained by wsss.training.fit)."""
        raise NotImplementedError

    def resolve(self, settings: dict, maps_reader, ids) -> dict:
        """The settings the network is trained and applied with (train_refiner saves them in its checkpoint,
        refine_cams reads them there). A refiner whose constants come from the training images' maps (an
        ablation) sets them here, once; by default the settings as given."""
        return settings

    def batches(self, index, ids, maps_reader, settings: dict, crop: int, seed: int):
        """make_loader(epoch) for fit: training batches made from the images and their maps."""
        raise NotImplementedError

    def step(self, model, batch, device):
        """One batch's loss."""
        raise NotImplementedError

    def refine(self, model, img, cams, class_ids, settings: dict, device):
        """(K, H, W) refined maps in [0, 1] of one image, from its maps (K, H, W) of class_ids."""
        raise NotImplementedError
