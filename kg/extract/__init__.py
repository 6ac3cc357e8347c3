"""Extraction of methods, datasets, benchmarks, tasks, abbreviations and links from papers.

The only package of kg that imports spaCy. ``spacy.blank("en")`` plus kg's own components
(``kg_sentences``, ``kg_abbreviations``, ``kg_gazetteer``, ``kg_patterns``, ``kg_links``), each a
thin class around pure functions that leaves plain tuples in ``doc.user_data``; these become
:class:`kg.models.Mention` records at the boundary.

Example:
    >>> from kg.extract import get_extractor
    >>> extraction = get_extractor().extract_text("We fine-tune the policy with PPO on MuJoCo.")
    >>> sorted({(m.text, m.type.value) for m in extraction.mentions})
    [('MuJoCo', 'benchmark'), ('PPO', 'method')]
"""

from kg.extract.extractor import PIPELINE, Extractor, build_pipeline, get_extractor

__all__ = ["PIPELINE", "Extractor", "build_pipeline", "get_extractor"]
