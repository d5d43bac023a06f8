"""The top-level API: type checkers and the lazy loader see the same names, and
``import sim`` stays light (every ``telsim`` command and worker runs it)."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import sim


def test_type_checking_imports_are_the_lazy_names() -> None:
    tree = ast.parse(Path(sim.__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    )
    declared = {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert declared == sim._LAZY
    assert sorted({*declared, "UserError"}) == sorted(sim.__all__)
    for name, module in declared.items():
        assert getattr(sim, name) is getattr(import_module(module), name)
    assert set(sim.__all__) <= set(dir(sim))


def test_import_sim_loads_no_heavy_module() -> None:
    heavy = ("pandas", "numba", "mesa", "pydantic", "matplotlib")
    code = f"import sys, sim; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
