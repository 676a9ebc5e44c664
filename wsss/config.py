"""Config validation (workflow/schemas/config.schema.yaml + the plug-ins' schema fragments), generated
ablation experiments, and the settings of one experiment.

The plug-in registries complete the schema: `classifier.method` is a registered localizer,
`cams.method` one of its map methods (null: its first), `segmentation.arch` a registered segmenter and
`segmentation.loss` one of the losses it accepts (null: its first). Each plug-in's own sub-section
(e.g. `classifier.ficklenet`, `cams.fickle`, `segmentation.dsrg`) is validated by its fragment. A
mismatched pair stops here, before any job runs, naming the key.
"""
from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    pass


def _section_fragment(schema: dict, default=None) -> dict:
    return {"type": "object", "additionalProperties": False, "default": {} if default is None else default,
            "properties": schema}


@lru_cache(maxsize=1)
def schema() -> dict:
    """The config schema with the registered plug-ins' names and sub-sections filled in (read once per process:
    every experiment is validated against it; treat it as read-only)."""
    from wsss.localizers import LOCALIZERS
    from wsss.losses import LOSSES
    from wsss.refiners import REFINERS
    from wsss.segmenters import SEGMENTERS

    s = yaml.safe_load(SCHEMA_PATH.read_text())
    props = s["properties"]
    clf, cams, seg = (props[k]["properties"] for k in ("classifier", "cams", "segmentation"))
    clf["method"]["enum"] = LOCALIZERS.names()
    cams["method"]["enum"] = [None] + sorted({m for loc in LOCALIZERS for m in loc.map_methods})
    seg["arch"]["enum"] = SEGMENTERS.names()
    seg["loss"]["enum"] = [None] + LOSSES.names()
    for loc in LOCALIZERS:
        if loc.classifier_section:
            clf[loc.classifier_section] = _section_fragment(loc.classifier_schema)
        if loc.cams_section:
            cams[loc.cams_section] = _section_fragment(loc.cams_schema)
    for loss in LOSSES:
        if loss.section:
            seg[loss.section] = _section_fragment(loss.schema)
    ref = props["refiner"]["properties"]
    ref["method"]["enum"] = [None] + REFINERS.names()
    for refiner in REFINERS:
        ref[refiner.name] = _section_fragment(refiner.schema)
    return s


def _fill_defaults(validator_cls):
    validate_props = validator_cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for prop, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(prop, copy.deepcopy(sub["default"]))
        yield from validate_props(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_cls, {"properties": set_defaults})


@lru_cache(maxsize=1)
def _validator():
    return _fill_defaults(jsonschema.Draft7Validator)


def validate(config: dict) -> dict:
    """Fill defaults and check every key; the error names the offending key."""
    validator = _validator()(schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors:
            key = ".".join(str(p) for p in e.absolute_path) or "(top level)"
            lines.append(f"config key '{key}': {e.message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    return config


def resolve_methods(config: dict) -> dict:
    """Fill cams.method / segmentation.loss left null with the plug-in's default; check the pairs."""
    from wsss.localizers import get_localizer
    from wsss.segmenters import get_segmenter

    loc = get_localizer(config["classifier"]["method"])
    cams = config["cams"]
    cams["method"] = cams["method"] or loc.map_methods[0]
    if cams["method"] not in loc.map_methods:
        raise ConfigError(f"config key 'cams.method': {cams['method']!r} is not a map method of localizer "
                          f"{loc.name!r} (classifier.method); it has {list(loc.map_methods)}, or null for "
                          f"{loc.map_methods[0]!r}")
    seg = config["segmentation"]
    arch = get_segmenter(seg["arch"])
    seg["loss"] = seg["loss"] or arch.losses[0]
    if seg["loss"] not in arch.losses:
        raise ConfigError(f"config key 'segmentation.loss': {seg['loss']!r} cannot train {arch.name!r} "
                          f"(segmentation.arch); it takes {list(arch.losses)}, or null for {arch.losses[0]!r}")
    return config


def method_settings(config: dict, section: str) -> dict:
    """One config section without the sub-sections of plug-ins the experiment does not use, so that
    e.g. FickleNet's settings never change a CAM classifier's hash."""
    from wsss.localizers import LOCALIZERS, get_localizer
    from wsss.losses import LOSSES, get_loss

    values = config[section]
    if section in ("classifier", "cams"):
        attr = f"{section}_section"
        own = getattr(get_localizer(config["classifier"]["method"]), attr)
        others = {getattr(loc, attr) for loc in LOCALIZERS} - {own, None}
    elif section == "segmentation":
        own = get_loss(values["loss"]).section
        others = {loss.section for loss in LOSSES} - {own, None}
    elif section == "refiner":  # only the chosen refiner's settings; none: nothing
        return {"method": values["method"], **({values["method"]: values[values["method"]]} if values["method"] else {})}
    else:
        return values
    return {k: v for k, v in values.items() if k not in others}


def deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def experiment_names(config: dict) -> list[str]:
    names = config["experiment"]
    names = [names] if isinstance(names, str) else list(names)
    for n in names:
        if n not in config["experiments"]:
            raise ConfigError(f"config key 'experiment': {n!r} is not defined under 'experiments' "
                              f"(defined: {sorted(config['experiments'])})")
    return names


def experiment_config(config: dict, name: str) -> dict:
    """The base settings with experiment `name`'s overrides applied, validated again, methods resolved."""
    merged = deep_merge({k: v for k, v in config.items() if k != "experiments"}, config["experiments"][name])
    merged["experiments"] = config["experiments"]
    try:
        return resolve_methods(validate(merged))
    except ConfigError as e:
        raise ConfigError(f"experiment {name!r}: {e}") from None


def ablations(config: dict, base: str) -> list[tuple[str, dict]]:
    """(name, overrides of the base) of each ablation of experiment `base`, in config order."""
    return [next(iter(item.items())) for item in config.get("ablations", {}).get(base, [])]


def ablation_experiments(config: dict, base: str) -> list[str]:
    return [f"{base}_{name}" for name, _ in ablations(config, base)]


FULLSUP = "fullsup"


def fullsup_name(config: dict, arch: str) -> str | None:
    """The experiment holding the fully-supervised ceiling of segmenter `arch` (None: no `fullsup`)."""
    if FULLSUP not in config["experiments"]:
        return None
    own = config["experiments"][FULLSUP].get("segmentation", {}).get("arch", config["segmentation"]["arch"])
    return FULLSUP if arch == own else f"{FULLSUP}_{arch}"


def with_fullsup(config: dict) -> dict:
    """Add `fullsup_<arch>` (fullsup's settings with that segmenter) for every other segmenter an experiment uses,
    so that each method's val mIoU has the ceiling of the same segmenter beside it."""
    if FULLSUP not in config["experiments"]:
        return config
    for name, over in list(config["experiments"].items()):
        arch = over.get("segmentation", {}).get("arch", config["segmentation"]["arch"])
        ceiling = fullsup_name(config, arch)
        if ceiling not in config["experiments"]:
            config["experiments"][ceiling] = deep_merge(config["experiments"][FULLSUP],
                                                        {"segmentation": {"arch": arch}})
    return config


def with_ablations(config: dict) -> dict:
    """Add the generated experiments of `ablations`: `<base>_<name>` = base's overrides + the ablation's.

    Generating them from one base keeps every ablation a one-setting change of the same pipeline; any
    table can list a base's ablations (wsss.config.ablation_experiments)."""
    for base in config.get("ablations", {}):
        if base not in config["experiments"]:
            raise ConfigError(f"config key 'ablations.{base}': {base!r} is not defined under 'experiments'")
        for name, overrides in ablations(config, base):
            exp = f"{base}_{name}"
            if exp in config["experiments"]:
                raise ConfigError(f"config key 'ablations.{base}.{name}': experiment {exp!r} already exists; "
                                  "rename the ablation or the experiment")
            config["experiments"][exp] = deep_merge(config["experiments"][base], overrides)
    table = config["ficklenet_table"]
    if table["base"] not in config["experiments"]:
        raise ConfigError(f"config key 'ficklenet_table.base': {table['base']!r} is not defined under 'experiments'")
    for key in ("compare", "segment"):
        for n in table[key]:
            if n not in config["experiments"]:
                raise ConfigError(f"config key 'ficklenet_table.{key}': {n!r} is neither an experiment nor a "
                                  f"generated ablation (defined: {sorted(config['experiments'])})")
    return config
