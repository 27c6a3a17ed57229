"""Imports run one way: mediaday <- services <- infra (the emulator) <- the CLI; bench and
tests on top. Every import of every product module is read with `ast`, including imports
inside functions (the lazy ones that hid a cycle) and `importlib.import_module("...")`.

- `mediaday/` (the domain) imports only itself.
- A service (`connect/`, `messaging/`, `broadcast/`) imports itself and the domain: each is
  zipped alone with `mediaday` for Lambda (infra/package.py), so a sibling is not there.
- `infra/` imports the domain, the services and itself.
- `client/` (the library) imports the domain and itself, never the CLI, so a program
  using the client loads neither the emulator nor the handlers.
- `client/commands/` and `client/cli.py` (the CLI) import any product code.
- Nothing in product code imports `bench` or `tests`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("mediaday", "connect", "messaging", "broadcast", "infra", "client")
SERVICES = ("connect", "messaging", "broadcast")
FIRST_PARTY = (*PRODUCT, "bench", "tests")
CLI = ("client.commands", "client.cli")


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def layer(module: str) -> str:
    """The layer a first-party module belongs to: its package, with the CLI apart."""
    if any(_within(module, cli) for cli in CLI):
        return "cli"
    return module.partition(".")[0]


ALLOWED: dict[str, frozenset[str]] = {
    "mediaday": frozenset({"mediaday"}),
    **{service: frozenset({"mediaday", service}) for service in SERVICES},
    "infra": frozenset({"mediaday", *SERVICES, "infra"}),
    "client": frozenset({"mediaday", "client"}),
    "cli": frozenset(PRODUCT) | {"cli"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, *, is_package: bool = False) -> Iterator[str]:
    """Every module `source` imports, anywhere in it; `from a import b` yields `a.b`, so
    `from client import commands` counts as the CLI."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(filter(None, [*anchor, base]))
            yield from (f"{base}.{alias.name}" if base else alias.name for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value


def upward_imports(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """`module imports target` for each import that breaks the layering."""
    allowed = ALLOWED[layer(module)]
    found = []
    for target in imports_of(source, module, is_package=is_package):
        if target.partition(".")[0] not in FIRST_PARTY:
            continue  # the standard library or a dependency
        if layer(target) not in allowed:
            found.append(f"{module} imports {target}")
    return found


def product_files() -> list[Path]:
    return sorted(
        path
        for package in PRODUCT
        for path in (ROOT / package).rglob("*.py")
        if "node_modules" not in path.parts
    )


def test_no_product_module_imports_upward() -> None:
    files = product_files()
    assert len(files) > 50, "the walk found too few modules: has the layout moved?"
    offences = [
        offence
        for path in files
        for offence in upward_imports(
            path.read_text(), module_name(path), is_package=path.name == "__init__.py"
        )
    ]
    assert offences == [], "upward imports:\n  " + "\n  ".join(offences)


@pytest.mark.parametrize(
    ("module", "source", "offence"),
    [
        ("infra.local.stack", "import client", "infra.local.stack imports client"),
        (
            "infra.local.stack",
            "def f():\n    from client.commands.token import key_file\n",
            "infra.local.stack imports client.commands.token.key_file",
        ),
        ("client.link", "from client import commands", "client.link imports client.commands"),
        ("client.link", "from infra.local import layout", "client.link imports infra.local.layout"),
        (
            "messaging.actions",
            "import broadcast.fanout",
            "messaging.actions imports broadcast.fanout",
        ),
        (
            "mediaday.tokens",
            "from . import models\nimport connect",
            "mediaday.tokens imports connect",
        ),
        ("client.cli", "from tests.support import stack", "client.cli imports tests.support.stack"),
        (
            "infra.local.stack",
            "importlib.import_module('bench.common')",
            "infra.local.stack imports bench.common",
        ),
    ],
)
def test_an_upward_import_is_named_with_its_module(module: str, source: str, offence: str) -> None:
    assert upward_imports(source, module) == [offence]


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("client.commands.serve", "def run():\n    from infra.local.stack import serve\n"),
        ("infra.local.stack", "import connect.handler\nfrom mediaday import tokens"),
        ("client.mirror", "from .events import ItemChanged\nfrom mediaday.topics import x"),
        ("broadcast.fanout", "from broadcast.records import y\nimport boto3"),
    ],
)
def test_downward_and_sideways_within_a_package_are_allowed(module: str, source: str) -> None:
    assert upward_imports(source, module) == []
