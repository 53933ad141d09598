"""Pages speak in plain words: every internal id has a label, in Dutch by default."""

from __future__ import annotations

import pytest

from referral.web.labels import LABELS, label, label_id, vocabularies


@pytest.mark.parametrize("kind", sorted(vocabularies()))
def test_every_id_of_every_vocabulary_has_a_label(kind):
    missing = [value for value in vocabularies()[kind] if value not in LABELS.get(kind, {})]
    assert missing == [], f"{kind} ids without a label in referral/web/labels.py: {missing}"


def test_labels_speak_dutch_by_default_and_english_on_request(app):
    with app.test_request_context("/"):
        assert label("livc_chair", "role") == "Voorzitter LIVC"
        assert label("internal_follow_up", "state") == "Interne opvolging"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert label("livc_chair", "role") == "LIVC chair"


def test_the_id_stays_as_secondary_text_and_is_escaped(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        rendered = str(label_id("owner_or_coordinator", "rule"))
        assert rendered.startswith("only the owner organisation")
        assert '<small class="id">owner_or_coordinator</small>' in rendered
        assert "<script>" not in str(label_id("<script>", "rule"))
