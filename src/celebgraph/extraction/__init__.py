"""Extraction: articles → people and claims (see :mod:`celebgraph.extraction.pipeline`)."""

from celebgraph.extraction.pipeline import Extractor, load_nlp

__all__ = ["Extractor", "load_nlp"]
