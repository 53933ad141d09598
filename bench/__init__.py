"""Benchmarks and reliability drills (``make bench``, ``make drills``); not shipped."""
