"""Every example in a docstring runs and gives what it shows (``>>>`` lines, doctest)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import celebgraph

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(celebgraph.__path__, "celebgraph.")
    # Commands are shown by their --help; importing __main__ runs one.
    if not info.name.startswith("celebgraph.cli") and info.name != "celebgraph.__main__"
)


@pytest.mark.parametrize("name", ["celebgraph", *MODULES])
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes files writes them here
    failed, _ = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert failed == 0
