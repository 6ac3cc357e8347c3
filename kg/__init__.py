"""kg: turn ML paper abstracts into a knowledge graph of methods, datasets, benchmarks, tasks and code."""

__version__ = "0.1.0"
