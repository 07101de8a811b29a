"""Where the files that ship with celebgraph (ontology, bundled data) are found.

An installed wheel carries them inside the package (``_resources/``); a source checkout
(editable install, tests) reads them from the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE / "_resources", _PACKAGE.parent.parent)


def resource_path(*parts: str) -> Path:
    """Return the path of a bundled file, e.g. ``resource_path("ontology", "celebgraph.ttl")``.

    >>> resource_path("ontology", "celebgraph.ttl").name
    'celebgraph.ttl'
    """
    for root in _CANDIDATES:
        path = root.joinpath(*parts)
        if path.exists():
            return path
    raise FileNotFoundError(
        f"celebgraph resource {'/'.join(parts)} is missing from the installation"
    )


def package_path(*parts: str) -> Path:
    """A file or folder inside the installed package, e.g. the bundled relation model."""
    return _PACKAGE.joinpath(*parts)
