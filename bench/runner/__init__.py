"""The parts of the benchmark driver, ``bench/run.py`` (``make bench``), one module per
phase: ``settings`` (sizes, phase lengths and the ``BENCH_*`` environment, the time budget,
the run log), ``procs`` (fresh keys, child processes, ``/proc``), ``accounting`` (who used
the CPUs and what the database waited for during a phase, and the wait for a quiet
machine), ``server`` (gunicorn and the database under test), ``rounds`` (the load rounds
and their merged figures), ``verify`` (``flask audit verify`` and its peak RSS), ``scale``
(one database at one scale, from migration to drop) and ``report`` (``bench/results.json``,
the targets and the tables).  ``bench/drills.py`` reuses ``procs``.
"""
