"""Metrics for the operator's scraper only: by route template, never public."""

from __future__ import annotations

from tests.factories import build


def test_metrics_are_a_404_until_a_scraper_is_configured(app, client):
    assert client.get("/metrics").status_code == 404
    app.config["METRICS_TOKEN"] = "scrape-token-0123456789"
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 404


def test_the_scraper_reads_requests_by_route_and_the_operational_gauges(app, world):
    build(world)
    owner = world.login("owner_rp")
    case_id = owner.get("/api/v1/cases").get_json()["items"][0]["id"]
    assert owner.get(f"/api/v1/cases/{case_id}").status_code == 200
    app.config["METRICS_TOKEN"] = "scrape-token-0123456789"
    r = app.test_client().get("/metrics",
                              headers={"Authorization": "Bearer scrape-token-0123456789"})
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert 'route="/api/v1/cases/<uuid:case_id>"' in text
    assert case_id not in text  # a route template, never a path with an id
    for name in ("livc_http_requests_total", "livc_http_request_duration_seconds_bucket",
                 "livc_outbox_backlog", "livc_job_last_success_timestamp_seconds",
                 "livc_audit_checkpoint_age_seconds", "livc_audit_last_verify_ok"):
        assert name in text


def test_a_configured_network_may_scrape_without_a_token(app, client):
    app.config["METRICS_NETWORKS"] = "10.0.0.0/8, 127.0.0.0/8"
    assert client.get("/metrics").status_code == 200
    app.config["METRICS_NETWORKS"] = "10.0.0.0/8"
    assert client.get("/metrics").status_code == 404
