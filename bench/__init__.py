"""Benchmarks: each module prints a table, a reference measured the same way in the same
run, and one summary line ``bench <name>: key=value …``. Run all with ``python -m bench``."""
