"""The product's app with the benchmark's additions: the bulk loader (``bench seed``) and,
under ``REFERRAL_BENCH=1``, the plumbed baseline ``POST /bench/insert``."""

from __future__ import annotations

from typing import Any

from flask import Flask

from bench import baseline, seed
from referral import create_app


def create_bench_app(config: dict[str, Any] | None = None) -> Flask:
    application = create_app(config)
    if application.config.get("BENCH"):
        application.register_blueprint(baseline.bp)
    application.cli.add_command(seed.bench_cli)
    return application

