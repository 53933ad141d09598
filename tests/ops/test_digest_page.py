"""The digest's rhythm is chosen on the account page, through the same service as the API;
the organisation's response times are on the start page."""

from __future__ import annotations

from tests.factories import build


def test_the_rhythm_is_chosen_on_the_account_page(world):
    build(world)
    owner = world.login("owner_rp")
    page = owner.get("/account").get_data(as_text=True)
    assert 'name="rhythm" value="weekly" checked' in page
    r = owner.post("/account/digest", data={"rhythm": "off", "csrf_token": owner.csrf})
    assert r.status_code == 303
    assert owner.get("/api/v1/notifications/digest").get_json()["rhythm"] == "off"
    r = owner.post("/account/digest", data={"rhythm": "hourly", "csrf_token": owner.csrf})
    assert r.status_code == 303
    assert "Hoe vaak" in owner.get("/account").get_data(as_text=True)  # the error, in Dutch
    assert owner.get("/api/v1/notifications/digest").get_json()["rhythm"] == "off"
    no_token = owner.client.post("/account/digest", data={"rhythm": "daily"})
    assert no_token.status_code == 403  # CSRF


def test_the_start_page_shows_the_organisations_response_times(world):
    build(world)
    html = world.login("owner_rp").get("/").get_data(as_text=True)
    assert "Reactietijden van je organisatie" in html
    assert "rag-" in html
    auditor = world.login("auditor1").get("/").get_data(as_text=True)
    assert "Reactietijden" not in auditor
