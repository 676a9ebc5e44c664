"""Code hashes derived from imports: a rule's hash covers the import closure of the stage module it runs.

The closure is read statically (ast): every `import` / `from ... import` anywhere in a module
(function-level imports included) that names a module of this repository's packages, followed
recursively; importing `pkg.mod` also reaches `pkg/__init__.py`. A plug-in package (its __init__
calls wsss.registry.load_plugins) reaches every module in it, as the running code does. Editing any
module in the closure changes the hash, so Snakemake reruns exactly the jobs whose code changed.
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


def _imports(path: Path, root: Path) -> set[str]:
    """Dotted names a module imports (candidates: modules, or names inside modules)."""
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
            out.update(f"{me}.{p.stem}" for p in path.parent.glob("*.py") if p.name != "__init__.py")
    return out


@lru_cache(maxsize=None)
def closure(module: str, root: Path = ROOT) -> tuple[Path, ...]:
    """Every repository file the module imports, directly or not, itself included (sorted)."""
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
                todo.extend(_imports(f, root))
    return tuple(sorted(seen))


def code_hash(module: str, root: Path = ROOT) -> str:
    """12 hex digits over the paths and contents of the module's import closure."""
    h = hashlib.sha1()
    for f in closure(module, root):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]
