"""The case page says which version of the pathway a case follows and offers each
referral as FHIR for the partner's own system."""

from __future__ import annotations

from tests.factories import build


def test_the_case_page_names_the_pathway_version_and_links_the_fhir_export(world):
    case = build(world)
    owner = world.login("owner_rp")
    html = owner.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Deze casus volgt versie 1 van het traject." in html
    links = [part.split('"')[0] for part in html.split('href="')[1:] if "/fhir" in part]
    assert len(links) == 2  # the two referrals of the case
    for link in links:
        r = owner.get(link)
        assert r.status_code == 200
        assert r.mimetype == "application/fhir+json"
