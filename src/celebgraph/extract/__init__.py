"""Extraction: articles → people and claims (see :mod:`celebgraph.extract.pipeline`)."""

from celebgraph.extract.pipeline import Extractor, load_nlp

__all__ = ["Extractor", "load_nlp"]
