"""Benchmarks of dataerrors against peers, run as scripts: ``python -m bench.<name>``."""
