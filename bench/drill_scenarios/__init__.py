"""The six reliability drills of ``bench/drills.py``, one module each: ``conflicts``,
``crash``, ``db_restart``, ``backup_restore``, ``instances_jobs`` and ``key_rotation``.
Each ``drill_<name>(target, ...)`` runs its drill on a prepared :class:`Target` and returns
its figures with the :class:`Checks` under ``"checks"``; ``tests/ops/test_drills.py`` calls
them scaled down.
"""
