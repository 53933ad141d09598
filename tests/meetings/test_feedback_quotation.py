"""A feedback sheet cannot carry a note to the police, however the note is disguised:
invisible characters, look-alike letters, hyphens for spaces, pieces joined by a
separator, or pieces rearranged.  The check runs on every draft, every edit, at issue and
on the print view, and names the organisation whose note matched, never the note."""

from __future__ import annotations

import pytest

from tests.factories import assert_problem, in_session, note

NOTE = ("He told the social worker that he stopped visiting the study group in Ledeberg "
        "and now trains at the boxing club on Tuesdays.")
PARAPHRASE = ("The LIVC discussed the person; a guidance programme is in place and partners "
              "follow up. No police action is asked.")


def _every(step: int, sep: str, text: str = NOTE) -> str:
    return sep.join(text[i:i + step] for i in range(0, len(text), step))


DISGUISES = {
    "zero-width space every 20": _every(20, "\u200b"),
    "soft hyphens": NOTE.replace("e", "e\u00ad"),
    "word joiners": NOTE.replace(" ", "\u2060 \u2060"),
    "combining grapheme joiners": NOTE.replace("o", "o\u034f"),
    "cyrillic look-alikes": NOTE.replace("a", "\u0430").replace("o", "\u043e")
    .replace("e", "\u0435").replace("p", "\u0440"),
    "hyphens for spaces": NOTE.replace(" ", "-"),
    "39-character pieces joined by |": _every(39, "|"),
    "rearranged pieces": " Also: ".join(reversed([NOTE[i:i + 30]
                                                  for i in range(0, len(NOTE), 30)])),
}


@pytest.mark.parametrize("disguise", sorted(DISGUISES))
def test_a_disguised_note_is_refused_without_naming_whose_secret_it_is(world, disguise):
    case, chair, meeting = in_session(world, state="guidance")
    note(world.login("owner_rp"), case.id, NOTE)  # undisclosed, the owner's compartment
    url = f"/api/v1/meetings/{meeting['id']}/feedback-sheets"
    r = chair.post(url, json={"case_id": str(case.id), "text": DISGUISES[disguise]})
    problem = assert_problem(r, 422, rule="feedback_no_secret")
    # Found by a review: naming the author of a note the chair cannot read confirmed a
    # guess about another organisation's secret and said whose it was.
    assert "matched_organisation" not in problem
    assert "CAW Gent" not in r.get_data(as_text=True)
    assert "professional secrecy" in problem["errors"]["text"][0]
    assert "boxing" not in r.get_data(as_text=True)


def test_a_note_the_chair_reads_is_named_with_its_organisation(world):
    case, chair, meeting = in_session(world, state="guidance")
    note(world.login("owner_rp"), case.id, NOTE, disclose_to="livc")
    assert chair.post(f"/api/v1/meetings/{meeting['id']}/acknowledgements").status_code == 201
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/feedback-sheets",
                   json={"case_id": str(case.id), "text": NOTE})
    problem = assert_problem(r, 422, rule="feedback_no_secret")
    assert problem["matched_organisation"] == "CAW Gent"
    assert "CAW Gent" in problem["errors"]["text"][0]


def test_every_edit_and_the_print_view_are_checked(world):
    case, chair, meeting = in_session(world, state="guidance")
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/feedback-sheets",
                   json={"case_id": str(case.id), "text": PARAPHRASE})
    assert r.status_code == 201, r.get_json()
    sheet = f"/api/v1/feedback-sheets/{r.get_json()['id']}"
    owner = world.login("owner_rp")
    note(owner, case.id, NOTE)
    assert_problem(chair.patch(sheet, json={"text": DISGUISES["cyrillic look-alikes"]}), 422,
                   rule="feedback_no_secret")
    # A note written after the draft, saying what the sheet says: the print view refuses.
    note(owner, case.id, PARAPHRASE)
    page = chair.get(f"/feedback-sheets/{r.get_json()['id']}/print")
    assert page.status_code == 422
    assert "guidance programme is in place" not in page.get_data(as_text=True)


def test_a_paraphrase_goes_through(world):
    case, chair, meeting = in_session(world, state="guidance")
    note(world.login("owner_rp"), case.id, NOTE)
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/feedback-sheets",
                   json={"case_id": str(case.id), "text": PARAPHRASE})
    assert r.status_code == 201, r.get_json()


REVIEW_DISGUISES = {
    "24-character pieces joined by q": " q ".join(NOTE[i:i + 24]
                                                for i in range(0, len(NOTE), 24)),
    "20-character pieces joined by filler": " and so on ".join(
        NOTE[i:i + 20] for i in range(0, len(NOTE), 20)),
    "a filler after every word": " ".join(w + " x" for w in NOTE.split()),
    "characters reversed": NOTE[::-1],
    "words reversed": " ".join(reversed(NOTE.split())),
    "rot13": NOTE.translate(str.maketrans(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "nopqrstuvwxyzabcdefghijklmNOPQRSTUVWXYZABCDEFGHIJKLM")),
}


@pytest.mark.parametrize("disguise", sorted(REVIEW_DISGUISES))
def test_what_a_review_got_through_is_refused(world, disguise):
    case, chair, meeting = in_session(world, state="guidance")
    note(world.login("owner_rp"), case.id, NOTE)
    r = chair.post(f"/api/v1/meetings/{meeting['id']}/feedback-sheets",
                   json={"case_id": str(case.id), "text": REVIEW_DISGUISES[disguise]})
    assert_problem(r, 422, rule="feedback_no_secret")


def test_drafting_is_rate_limited_so_the_check_is_no_oracle(world):
    case, chair, meeting = in_session(world, state="guidance")
    note(world.login("owner_rp"), case.id, NOTE)
    world.app.config["RATE_LIMIT_FEEDBACK"] = "3 per hour"
    url = f"/api/v1/meetings/{meeting['id']}/feedback-sheets"
    answers = [chair.post(url, json={"case_id": str(case.id), "text": f"Guess {i}: {NOTE}"})
               .status_code for i in range(4)]
    assert answers == [422, 422, 422, 429]
