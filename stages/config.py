"""Config validation against workflow/schemas/config.schema.yaml, and per-experiment configs."""
from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    pass


def _schema():
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _fill_defaults(validator_cls):
    validate_props = validator_cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for prop, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(prop, copy.deepcopy(sub["default"]))
        yield from validate_props(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_cls, {"properties": set_defaults})


def validate(config: dict) -> dict:
    """Fill defaults and check every key; the error names the offending key."""
    validator = _fill_defaults(jsonschema.Draft7Validator)(_schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = []
        for e in errors:
            key = ".".join(str(p) for p in e.absolute_path) or "(top level)"
            lines.append(f"config key '{key}': {e.message}")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines))
    return config


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
    """The base settings with experiment `name`'s overrides applied, validated again."""
    merged = deep_merge({k: v for k, v in config.items() if k != "experiments"}, config["experiments"][name])
    merged["experiments"] = config["experiments"]
    try:
        return validate(merged)
    except ConfigError as e:
        raise ConfigError(f"experiment {name!r}: {e}") from None


def ablations(config: dict) -> list[tuple[str, dict]]:
    """(name, overrides of the base) of each FickleNet-table ablation, in config order."""
    return [next(iter(item.items())) for item in config["ficklenet_table"]["ablations"]]


def with_ablations(config: dict) -> dict:
    """Add the FickleNet table's generated experiments: `<base>_<name>` = base's overrides + the ablation's.

    Generating them from one base keeps every ablation a one-setting change of the same pipeline."""
    table = config["ficklenet_table"]
    base = table["base"]
    if base not in config["experiments"]:
        raise ConfigError(f"config key 'ficklenet_table.base': {base!r} is not defined under 'experiments'")
    for name, overrides in ablations(config):
        exp = f"{base}_{name}"
        if exp in config["experiments"]:
            raise ConfigError(f"config key 'ficklenet_table.ablations.{name}': experiment {exp!r} already exists; "
                              "rename the ablation or the experiment")
        config["experiments"][exp] = deep_merge(config["experiments"][base], overrides)
    for key in ("compare", "segment"):
        for n in table[key]:
            if n not in config["experiments"]:
                raise ConfigError(f"config key 'ficklenet_table.{key}': {n!r} is neither an experiment nor "
                                  f"{base}_<ablation> (defined: {sorted(config['experiments'])})")
    return config
