"""What the reliability drills (``bench/drills.py``, ``make drills``) share: ``common``
(paths, ``DrillError``, ``Terminated``, ``say``), ``cluster`` (the private throwaway
PostgreSQL cluster), ``target`` (a migrated, seeded database and the environment of the
processes that use it), ``servers`` (gunicorn), ``load`` (the HTTP client processes and
the tally of their answers), ``checks`` and ``consistency`` (what is asserted on the
database afterwards) and ``report`` (the summary printed per drill).  The drills
themselves are in ``bench/drill_scenarios/``.
"""
