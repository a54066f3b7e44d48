"""Dependencies point down (DESIGN.md, Layout): api -> workflows -> activities -> db ->
domain. Read from the source with `ast`, so a new import that breaks the rule fails here."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from config import ROOT

PACKAGES = ("api", "workflows", "activities", "db", "domain")


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


FORBIDDEN = {
    "domain": {"api", "workflows", "activities", "db", "worker", "security", "config"},
    "db": {"api", "workflows", "worker"},
    "activities": {"api", "workflows", "worker"},
    "api": {"worker"},
}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_upward_imports(package: str) -> None:
    bad = {p.name: imports(p) & FORBIDDEN[package] for p in modules(package)}
    assert not {k: v for k, v in bad.items() if v}


def test_workflow_code_reaches_no_database() -> None:
    """Workflow modules import domain/ and activity stubs only; the registry is not workflow
    code (the worker and the API read it)."""
    for path in modules("workflows"):
        if path.name == "registry.py":
            continue
        assert not imports(path) & {"activities", "db", "api", "sqlmodel", "sqlalchemy"}, path


def test_importing_domain_does_no_io() -> None:
    """Reading the project's data files (streets, catalogue, holidays) waits for first use."""
    probe = (
        "import builtins, io, pathlib\n"
        f"DATA = {str(ROOT / 'data')!r}\n"
        "real_open, real_path_open = builtins.open, pathlib.Path.open\n"
        "def check(target):\n"
        "    if str(target).startswith(DATA): raise AssertionError(f'I/O at import: {target}')\n"
        "def guarded(file, *a, **k): check(file); return real_open(file, *a, **k)\n"
        "def guarded_path(self, *a, **k): check(self); return real_path_open(self, *a, **k)\n"
        "builtins.open = io.open = guarded\n"
        "pathlib.Path.open = guarded_path\n"
        + "".join(f"import domain.{p.stem}\n" for p in modules("domain")
                  if p.stem != "__init__"))
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_console_reads_only_through_the_api() -> None:
    """Console pages call the JSON API as the user (console.client); reading the database or
    Temporal directly would let a page skip the API's authorisation. Only api/main.py, which
    assembles the app, imports the console."""
    for path in modules("console"):
        assert not imports(path) & {"api", "db", "workflows", "activities", "worker",
                                    "temporalio", "sqlmodel", "sqlalchemy"}, path
    for path in modules("api"):
        if path.name != "main.py":
            assert "console" not in imports(path), path
