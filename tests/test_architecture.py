"""Imports go one way, down the layers of docs/architecture.md: every import of every module
under digitnet/, lazy ones inside functions and typing-only ones included, read with `ast`."""

from __future__ import annotations

import ast
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "digitnet"
BENCH = PACKAGE.parent / "bench"

# What each layer may import besides itself and digitnet/__init__ (DigitnetError, __version__).
LAYERS: dict[str, frozenset[str]] = {
    "common": frozenset(),
    "model": frozenset({"common"}),
    "reading": frozenset({"common"}),
    "data": frozenset({"reading", "common"}),
    "train": frozenset({"data", "model", "reading", "common"}),
    "app": frozenset({"data", "model", "reading", "common"}),  # and train, in a function only
    "cli": frozenset({"app", "train", "data", "model", "reading", "common"}),
}
LAZY_ONLY = {"app": frozenset({"train"})}  # the app trains only in its worker, when asked
TOP_MODULES = {"__main__": "cli"}  # digitnet/__main__.py is the command line's

# Upward imports not yet untangled (docs/architecture.md says why): importer -> imported. The
# test fails when one goes away, so that this list only shrinks.
KNOWN_UPWARD = frozenset({
    ("digitnet.model.weights", "digitnet.train.config"),
})


@dataclass(frozen=True)
class Import:
    importer: str  # digitnet.reading.read
    imported: str  # digitnet.model.classifier (a module, or the package digitnet)
    lazy: bool  # inside a function
    line: int


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def digitnet_imports(source: str, importer: str) -> list[Import]:
    """Every import of digitnet in one module's source, each with whether it is in a function."""
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            for name in imported_names(child, importer):
                if name == "digitnet" or name.startswith("digitnet."):
                    found.append(Import(importer, name, inner, getattr(child, "lineno", 0)))
            visit(child, inner)

    visit(ast.parse(source), False)
    return found


def imported_names(node: ast.AST, importer: str) -> list[str]:
    """The modules an import statement names: `from digitnet import reading` names the
    subpackage, `from digitnet.data.mnist import load_mnist` the module."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative: resolved against the importer's package
        package = importer.split(".")[: -node.level]
        base = ".".join([*package, base] if base else package)
    if base == "digitnet":
        return [f"digitnet.{a.name}" if a.name in LAYERS else "digitnet" for a in node.names]
    return [base]


def layer(module: str) -> str | None:
    """A module's layer: its subpackage under digitnet (None: digitnet/__init__ itself)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    return TOP_MODULES.get(parts[1], parts[1])


def goes_up(imp: Import) -> bool:
    """True if the import breaks the layer order."""
    source, target = layer(imp.importer), layer(imp.imported)
    if target is None or source == target:
        return False
    assert source is not None and source in LAYERS, f"{imp.importer}: a layer of its own?"
    assert target in LAYERS, f"{imp.importer}:{imp.line} imports {imp.imported}: no layer"
    allowed = LAYERS[source] | (LAZY_ONLY.get(source, frozenset()) if imp.lazy else frozenset())
    return target not in allowed


def package_imports(package: Path = PACKAGE) -> list[Import]:
    return [imp for path in sorted(package.rglob("*.py"))
            for imp in digitnet_imports(path.read_text(), module_name(path, package))]


def upward_imports(package: Path = PACKAGE) -> set[tuple[str, str]]:
    return {(i.importer, i.imported) for i in package_imports(package) if goes_up(i)}


def test_every_subpackage_is_a_layer():
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert subpackages == set(LAYERS)


def test_imports_go_down_the_layers():
    upward = upward_imports()
    assert upward - KNOWN_UPWARD == set(), "imports up the layers (see docs/architecture.md)"
    assert KNOWN_UPWARD - upward == set(), "untangled: take it off KNOWN_UPWARD and the docs"


def test_every_import_of_digitnet_names_a_module_that_exists():
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    missing = {(i.importer, i.imported) for i in package_imports() if i.imported not in modules}
    assert missing == set()


def test_the_package_never_imports_a_benchmark_script():
    """bench/drawn.py and the rest are not installed with the package."""
    scripts = {p.stem for p in BENCH.glob("*.py")}
    imported = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    assert imported & scripts == set()


@pytest.mark.parametrize(("importer", "source", "upward"), [
    ("digitnet.reading.reject", "from digitnet.app.drawing import BRUSH_STEP", True),
    ("digitnet.reading.reject", "def f():\n    from digitnet.model import networks", True),
    ("digitnet.common.paths", "import digitnet.data.mnist", True),
    ("digitnet.data.mnist", "from digitnet.reading.preprocess import to_mnist", False),
    ("digitnet.app.workers", "def f():\n    from digitnet.train.finetune import finetune", False),
    ("digitnet.app.workers", "from digitnet.train.finetune import finetune", True),
    ("digitnet.app.state", "if TYPE_CHECKING:\n    from digitnet.train import config", True),
    ("digitnet.model.networks", "from ..train import config", True),
    ("digitnet.model.networks", "from . import registry", False),
    ("digitnet.common.errors", "from digitnet import DigitnetError", False),
    ("digitnet.cli.main", "from digitnet import app", False),
])
def test_the_rule_on_planted_imports(importer: str, source: str, upward: bool):
    (imp,) = digitnet_imports(source, importer)
    assert goes_up(imp) == upward


def test_a_planted_upward_import_fails_the_check(tmp_path: Path):
    copy = tmp_path / "digitnet"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    reject = copy / "reading" / "reject.py"
    reject.write_text(reject.read_text() + "\n\ndef planted():\n"
                      "    from digitnet.app.drawing import BRUSH_STEP\n    return BRUSH_STEP\n")
    assert upward_imports(copy) - KNOWN_UPWARD == {("digitnet.reading.reject",
                                                    "digitnet.app.drawing")}
