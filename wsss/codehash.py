"""Code hashes derived from imports: a rule's hash covers the import closure of the stage module it runs.

The closure is read statically (ast): every `import` / `from ... import` anywhere in a module
(function-level imports included) that names a module of this repository's packages, followed
recursively; importing `pkg.mod` also reaches `pkg/__init__.py`. A plug-in package (its __init__
calls wsss.registry.load_plugins) reaches every module in it, as the running code does. Editing any
module in the closure changes the hash, so Snakemake reruns exactly the jobs whose code changed.

A job that runs ONE plug-in of a package (a CAM classifier runs wsss.localizers.cam, not spn) can
narrow that package to its plug-in's modules with `plugins`: the package's other plug-ins are imported
at run time (load_plugins) but only register names, so their edits cannot change this job's output.
The plug-in's own imports (mdc imports cam) are still followed. Without the narrowing, adding or
editing any localizer would retrain every classifier (wsss.plan.Plan.plugins picks them per job).
"""
from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("stages", "wsss")


def module_file(name: str, root: Path = ROOT) -> Path | None:
    """The file of a dotted module name inside root (a package's __init__.py), or None."""
    base = root.joinpath(*name.split("."))
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def _name_of(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, root: Path, plugins: dict) -> set[str]:
    """Dotted names a module imports (candidates: modules, or names inside modules); a plug-in package
    named in `plugins` reaches only the plug-in modules listed there."""
    tree = ast.parse(path.read_text(), str(path))
    me = _name_of(path, root)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            out.add(mod)
            out.update(f"{mod}.{a.name}" for a in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "load_plugins"
              and path.name == "__init__.py"):
            every = {f"{me}.{p.stem}" for p in path.parent.glob("*.py") if p.name != "__init__.py"}
            out.update(every if me not in plugins else every & set(plugins[me]))
    return out


@lru_cache(maxsize=None)
def closure(module: str, root: Path = ROOT, plugins: tuple = ()) -> tuple[Path, ...]:
    """Every repository file the module imports, directly or not, itself included (sorted).
    plugins: ((package, (plug-in module, ...)), ...), the plug-in packages narrowed to the job's plug-ins."""
    narrowed = dict(plugins)
    seen: set[Path] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name.split(".")[0] not in PACKAGES:
            continue
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # the packages on the way, and the module itself
            f = module_file(".".join(parts[:i]), root)
            if f and f not in seen:
                seen.add(f)
                todo.extend(_imports(f, root, narrowed))
    return tuple(sorted(seen))


def code_hash(module: str, root: Path = ROOT, plugins: tuple = ()) -> str:
    """12 hex digits over the paths and contents of the module's import closure (narrowed by `plugins`)."""
    h = hashlib.sha1()
    for f in closure(module, root, tuple(plugins)):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def plugins_of(*entries) -> tuple:
    """The `plugins` narrowing for registry entries (a localizer, a segmenter, a loss...): each entry's
    package -> its module, e.g. ((wsss.localizers, (wsss.localizers.cam,)),)."""
    return tuple((type(e).__module__.rpartition(".")[0], (type(e).__module__,)) for e in entries)
