"""Training on a reliable subset: an image's classes whose annotation was not selected are ignored."""
import numpy as np
from PIL import Image

from stages.train_segmentation import selected_classes
from wsss.data.augmented import AugmentedImages
from wsss.io.files import write_label


class _Index:
    def __init__(self, images):
        self.images = images

    def multi_hot(self, image_id):
        return np.array([0, 1, 0, 1, 0], np.float32)


def test_selected_classes_inverts_the_per_class_manifest():
    manifest = {"ids": ["a", "b"], "per_class": {"2": ["a", "b"], "4": ["b"]}}
    assert selected_classes(manifest) == {"a": {2}, "b": {2, 4}}
    assert selected_classes({"ids": ["a"]}) is None and selected_classes(None) is None


def test_pixels_of_unselected_classes_become_ignore(tmp_path):
    img = np.full((32, 32, 3), 120, np.uint8)
    Image.fromarray(img).save(tmp_path / "a.jpg")
    label = np.zeros((32, 32), np.uint8)
    label[:16] = 2
    label[16:, :16] = 4
    write_label(tmp_path / "a.png", label)
    index = _Index({"a": str(tmp_path / "a.jpg")})
    kw = dict(crop=32, seed=0, scale_range=(1.0, 1.0), labels={"a": str(tmp_path / "a.png")},
              labels_are_artifacts=False)
    _, out, _ = AugmentedImages(index, ["a"], selected={"a": {2}}, **kw)[0]
    assert set(np.unique(out.numpy())) == {0, 2, 255}
    assert (out.numpy() == 255).sum() == 16 * 16
    _, every, _ = AugmentedImages(index, ["a"], **kw)[0]
    assert set(np.unique(every.numpy())) == {0, 2, 4}
