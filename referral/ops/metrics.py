"""Prometheus metrics for the operator's scraper, never for the public.

Requests by route and status and their latency (histograms), counted per process and, under
gunicorn, summed across workers (``PROMETHEUS_MULTIPROC_DIR``, prometheus_client's
multiprocess mode); and, read at scrape time, what an operator must be woken for: the
e-mail backlog, the last successful run of each job, the age of the last published audit
checkpoint and the last verification's result.

``/metrics`` answers only a configured scraper: a bearer token (``REFERRAL_METRICS_TOKEN``)
or a client address in ``REFERRAL_METRICS_NETWORKS`` (CIDRs, comma-separated).  With
neither configured, or to anyone else, it is a 404 -- nothing says it exists.  Labels are
route templates (``/api/v1/cases/<uuid:case_id>``), never a path with an id in it.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from referral.audit.publication import published_for_current_app
from referral.core import clock, db, errors
from referral.core.ledger.models import AuditEvent
from referral.notifications.models import OutboxMessage
from referral.ops.jobs import JOBS
from referral.web.pages import page

REQUESTS = Counter("livc_http_requests_total", "HTTP requests by route and status",
                   ("method", "route", "status"))
LATENCY = Histogram("livc_http_request_duration_seconds", "HTTP request latency by route",
                    ("method", "route"),
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


class StateCollector(Collector):
    """Gauges read from the database and the published checkpoints at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        s = db.session()
        backlog = s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.delivered_at.is_(None))) or 0
        yield GaugeMetricFamily("livc_outbox_backlog", "E-mails not delivered yet",
                                value=backlog)
        runs = GaugeMetricFamily("livc_job_last_success_timestamp_seconds",
                                 "Last successful run of each job (Unix time)",
                                 labels=("job",))
        for name in JOBS:
            at = s.scalar(select(AuditEvent.at).where(
                AuditEvent.action == "job:run", AuditEvent.object_id == name,
                AuditEvent.outcome == "allowed").order_by(AuditEvent.seq.desc()).limit(1))
            runs.add_metric((name,), at.timestamp() if at else 0)
        yield runs
        published = published_for_current_app()
        newest = max((p.at for p in published), default=None)
        yield GaugeMetricFamily(
            "livc_audit_checkpoint_age_seconds",
            "Age of the last signed checkpoint published outside the database (-1: none)",
            value=(clock.now() - newest).total_seconds() if newest else -1)
        verified = s.scalar(select(AuditEvent.purpose).where(
            AuditEvent.action == "audit:verify", AuditEvent.outcome == "allowed")
            .order_by(AuditEvent.seq.desc()).limit(1))
        yield GaugeMetricFamily(
            "livc_audit_last_verify_ok",
            "1: the last verification found the chain intact; 0: it did not; -1: none yet",
            value=-1 if verified is None else int(verified.endswith("; ok")))
        s.rollback()  # a scrape reads; it never holds a transaction (or SQLite's lock)


def _allowed() -> bool:
    config = current_app.config
    token = str(config.get("METRICS_TOKEN") or "")
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
            return True
    networks = str(config.get("METRICS_NETWORKS") or "")
    if networks and request.remote_addr:
        try:
            address = ipaddress.ip_address(request.remote_addr)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(net.strip(), strict=False)
                   for net in networks.split(",") if net.strip())
    return False


@page("public:metrics")
def metrics_view() -> Response:
    if not _allowed():
        raise errors.NotFound()
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUESTS)
        registry.register(LATENCY)
    registry.register(StateCollector())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])

    @app.before_request
    def _started() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
        if rule != "/metrics":
            REQUESTS.labels(request.method, rule, str(response.status_code)).inc()
            started = g.get("metrics_started")
            if started is not None:
                LATENCY.labels(request.method, rule).observe(time.perf_counter() - started)
        return response


def child_exit(_server: Any, worker: Any) -> None:
    """gunicorn hook: a recycled worker's live gauges leave the sums (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
