"""Envelope encryption, data keys in the database and master key rotation."""

from __future__ import annotations

import base64
import uuid

import pytest
from sqlalchemy import func, select

from referral.core.ledger.models import AuditEvent
from referral.identity.errors import DecryptionError, KeyDestroyed, UnknownMasterKey
from referral.identity.keys import create_data_key, destroy_data_key, load_data_key, ring_for
from referral.identity.models import DataKey
from referral.identity.rotation import rotate_batch, status
from referral.identity.vault import KeyRing, decrypt_field, encrypt_field


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


K1, K2, K3 = b"1" * 32, b"2" * 32, b"3" * 32
RING_VALUE = f"old:{b64(K1)}, new:{b64(K2)}"
FIELD = {"table": "subjects", "column": "identity_ciphertext"}


# -- key ring -----------------------------------------------------------------

def test_ring_parses_ids_and_defaults_to_the_last_key():
    ring = KeyRing.parse(RING_VALUE, None)
    assert ring.ids == ("old", "new")
    assert ring.active_id == "new"
    assert KeyRing.parse(RING_VALUE, "old").active_id == "old"


def test_ring_repr_shows_no_key_material():
    text = repr(KeyRing.parse(RING_VALUE, None))
    assert b64(K1) not in text
    assert "old" in text


@pytest.mark.parametrize(("value", "active", "message"), [
    ("", None, "no master key"),
    (" , ", None, "no master key"),
    (f"{b64(K1)}", None, "id:base64key"),
    (f":{b64(K1)}", None, "id:base64key"),
    (f"a b:{b64(K1)}", None, "the id must be"),
    (f"a:{b64(K1)},a:{b64(K2)}", None, "twice"),
    (f"a:{b64(b'x' * 16)}", None, "exactly 32 bytes"),
    (f"a:{b64(b'x' * 33)}", None, "exactly 32 bytes"),
    (f"a:{b64(K1)[:-4]}!!!!", None, "base64"),
    (f"a:{b64(K1)}", "b", "not listed"),
])
def test_ring_errors_never_include_key_material(value, active, message):
    with pytest.raises(ValueError, match=message) as exc:
        KeyRing.parse(value, active)
    for secret in (b64(K1), b64(K1)[:-4], b64(K2), b64(b"x" * 16), b64(b"x" * 33)):
        assert secret not in str(exc.value)


def test_wrap_and_unwrap():
    ring = KeyRing.parse(RING_VALUE, None)
    plain, wrapped, master_id = ring.new_data_key()
    assert len(plain) == 32
    assert master_id == "new"
    assert plain not in wrapped
    assert ring.unwrap(wrapped, "new") == plain
    assert ring.new_data_key()[0] != plain


def test_unwrap_is_bound_to_the_master_key_id():
    ring = KeyRing.parse(RING_VALUE, None)
    _, wrapped, _ = ring.new_data_key()
    with pytest.raises(DecryptionError):
        ring.unwrap(wrapped, "old")
    with pytest.raises(UnknownMasterKey):
        ring.unwrap(wrapped, "gone")
    tampered = wrapped[:-1] + bytes([wrapped[-1] ^ 1])
    with pytest.raises(DecryptionError):
        ring.unwrap(tampered, "new")


def test_rewrap_moves_a_key_to_the_active_master():
    old_ring = KeyRing.parse(f"old:{b64(K1)}", None)
    plain, wrapped, master_id = old_ring.new_data_key()
    ring = KeyRing.parse(RING_VALUE, None)
    rewrapped, new_id = ring.rewrap(wrapped, master_id)
    assert new_id == "new"
    assert ring.unwrap(rewrapped, new_id) == plain
    with pytest.raises(DecryptionError):
        ring.unwrap(rewrapped, "old")


# -- field encryption ---------------------------------------------------------

def test_field_round_trip_and_random_nonce():
    key, row = b"d" * 32, uuid.uuid4()
    text = "Émile Dupont, 1990-05-01 ✓"
    a = encrypt_field(key, text, row_id=row, **FIELD)
    b = encrypt_field(key, text, row_id=row, **FIELD)
    assert a != b
    assert a[0] == 1
    assert decrypt_field(key, a, row_id=row, **FIELD) == text
    assert decrypt_field(key, b, row_id=row, **FIELD) == text
    assert decrypt_field(key, encrypt_field(key, "", row_id=row, **FIELD),
                         row_id=row, **FIELD) == ""


def test_ciphertexts_swapped_between_rows_fail():
    key, row_a, row_b = b"d" * 32, uuid.uuid4(), uuid.uuid4()
    ct_a = encrypt_field(key, "person A", row_id=row_a, **FIELD)
    ct_b = encrypt_field(key, "person B", row_id=row_b, **FIELD)
    with pytest.raises(DecryptionError):
        decrypt_field(key, ct_a, row_id=row_b, **FIELD)
    with pytest.raises(DecryptionError):
        decrypt_field(key, ct_b, row_id=row_a, **FIELD)


def test_ciphertext_moved_to_another_column_or_table_fails():
    key, row = b"d" * 32, uuid.uuid4()
    ct = encrypt_field(key, "secret", row_id=row, **FIELD)
    with pytest.raises(DecryptionError):
        decrypt_field(key, ct, table="subjects", column="other_column", row_id=row)
    with pytest.raises(DecryptionError):
        decrypt_field(key, ct, table="notes", column="identity_ciphertext", row_id=row)


def test_wrong_key_altered_or_truncated_ciphertext_fails():
    key, row = b"d" * 32, uuid.uuid4()
    ct = encrypt_field(key, "secret", row_id=row, **FIELD)
    for bad_key, bad_ct in [
        (b"e" * 32, ct),
        (key, ct[:-1] + bytes([ct[-1] ^ 1])),
        (key, bytes([2]) + ct[1:]),
        (key, ct[:20]),
        (key, b""),
    ]:
        with pytest.raises(DecryptionError):
            decrypt_field(bad_key, bad_ct, row_id=row, **FIELD)


def test_field_names_must_be_plain_identifiers():
    # A dot would make "a.b" + "c" and "a" + "b.c" the same associated data.
    with pytest.raises(ValueError, match="identifiers"):
        encrypt_field(b"d" * 32, "x", table="a.b", column="c", row_id=uuid.uuid4())


# -- data keys in the database ------------------------------------------------

def _sessionmaker(app):
    return app.extensions["referral.db"].sessionmaker


def _make_keys(app, n, label="value"):
    """n data keys, each with one encrypted value: {data key id: (row id, ciphertext, text)}."""
    ring = ring_for(app)
    made = {}
    with _sessionmaker(app)() as s:
        for i in range(n):
            row, key = create_data_key(s, ring)
            subject_id, text = uuid.uuid4(), f"{label} {i}"
            made[row.id] = (subject_id, encrypt_field(key, text, row_id=subject_id, **FIELD), text)
        s.commit()
    return made


def _activate_new_master(app, key_id="k2", key=K3, keep_old=True):
    old = app.config["MASTER_KEYS"]
    app.config["MASTER_KEYS"] = f"{old},{key_id}:{b64(key)}" if keep_old else f"{key_id}:{b64(key)}"
    app.config["ACTIVE_MASTER_KEY"] = key_id
    app.extensions.pop("referral.keyring", None)
    return ring_for(app)


def _assert_all_decrypt(app, made):
    ring = ring_for(app)
    with _sessionmaker(app)() as s:
        for key_id, (subject_id, ct, text) in made.items():
            key = load_data_key(s, ring, key_id)
            assert decrypt_field(key, ct, row_id=subject_id, **FIELD) == text
        s.rollback()


def _counts(app):
    with _sessionmaker(app)() as s:
        result = status(s, ring_for(app))
        s.rollback()
    return result


def test_ring_for_is_built_once_from_config(app):
    ring = ring_for(app)
    assert ring is ring_for(app)
    assert ring.ids == ("k1",)
    assert ring.active_id == "k1"


def test_data_key_round_trip_and_crypto_shredding(app):
    ring = ring_for(app)
    with _sessionmaker(app)() as s:
        row, key = create_data_key(s, ring)
        assert row.id is not None
        assert row.master_key_id == "k1"
        s.commit()
    with _sessionmaker(app)() as s:
        stored = s.get(DataKey, row.id)
        assert load_data_key(stored, ring) == key
        assert load_data_key(s, ring, row.id) == key
        destroy_data_key(stored)
        s.commit()
    with _sessionmaker(app)() as s:
        stored = s.get(DataKey, row.id)
        assert stored.wrapped_key is None
        assert stored.master_key_id is None
        assert stored.destroyed_at is not None
        with pytest.raises(KeyDestroyed):
            load_data_key(stored, ring)
        with pytest.raises(KeyDestroyed):
            load_data_key(s, ring, row.id)
        with pytest.raises(LookupError):
            load_data_key(s, ring, uuid.uuid4())
        s.rollback()


def test_rotation_through_the_cli(app):
    made = _make_keys(app, 5)
    with _sessionmaker(app)() as s:
        shredded, _ = create_data_key(s, ring_for(app))
        destroy_data_key(shredded)
        s.commit()
    ring = _activate_new_master(app)
    runner = app.test_cli_runner()

    before = runner.invoke(args=["keys", "status"])
    assert before.exit_code == 0, before.output
    assert "  k1: 5 (to rotate)" in before.output
    assert "destroyed: 1" in before.output
    assert "to rotate: 5" in before.output

    result = runner.invoke(args=["keys", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "batch 1: re-wrapped 2 (2/5)" in result.output
    assert "batch 3: re-wrapped 1 (5/5)" in result.output
    assert "done: 5 data keys re-wrapped to k2; 0 left" in result.output
    for secret in (b64(K1), b64(K3), b64(b"m" * 32)):
        assert secret not in result.output + before.output

    counts = _counts(app)
    assert counts.by_master == {"k2": 5}
    assert counts.destroyed == 1
    _assert_all_decrypt(app, made)

    after = runner.invoke(args=["keys", "status"])
    assert "  k2: 5 (active)" in after.output
    assert "k1:" not in after.output
    assert "destroyed: 1" in after.output
    assert "to rotate: 0" in after.output

    with _sessionmaker(app)() as s:
        events = s.execute(select(AuditEvent.purpose, AuditEvent.object_type)
                           .where(AuditEvent.action == "keys:rotate")
                           .order_by(AuditEvent.seq)).all()
        s.rollback()
    assert [tuple(e) for e in events] == [
        ("rewrapped 2 keys to k2", "data_key"), ("rewrapped 2 keys to k2", "data_key"),
        ("rewrapped 1 keys to k2", "data_key")]

    # Once everything is under the new key, the old one can leave the ring.
    app.config["MASTER_KEYS"] = f"k2:{b64(K3)}"
    app.extensions.pop("referral.keyring", None)
    _assert_all_decrypt(app, made)
    assert ring.active_id == ring_for(app).active_id


def test_interrupted_rotation_resumes(app):
    made = _make_keys(app, 5)
    ring = _activate_new_master(app)
    with _sessionmaker(app)() as s:
        assert rotate_batch(s, ring, 2) == 2  # then the operator's shell dies
    assert _counts(app).by_master == {"k1": 3, "k2": 2}
    _assert_all_decrypt(app, made)

    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "re-wrapping 3 data keys to master key k2" in result.output
    assert "done: 3 data keys re-wrapped" in result.output
    assert _counts(app).by_master == {"k2": 5}
    _assert_all_decrypt(app, made)

    again = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert again.exit_code == 0, again.output
    assert "done: 0 data keys re-wrapped" in again.output
    with _sessionmaker(app)() as s:
        n = s.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "keys:rotate"))
        s.rollback()
    assert n == 3  # no event for a batch that re-wrapped nothing


def test_rotation_stops_when_an_old_master_key_is_missing(app):
    _make_keys(app, 2)
    _activate_new_master(app, keep_old=False)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 1
    assert "missing from REFERRAL_MASTER_KEYS: k1" in result.output
    assert "NOT IN THE KEY RING" in runner.invoke(args=["keys", "status"]).output
    assert _counts(app).by_master == {"k1": 2}


def test_rotate_rejects_a_zero_batch_size(app):
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--batch-size", "0"])
    assert result.exit_code == 2


def test_concurrent_rotators_skip_each_others_rows(app):
    if app.extensions["referral.db"].dialect != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers instead")
    made = _make_keys(app, 5)
    ring = _activate_new_master(app)
    sessionmaker = _sessionmaker(app)
    with sessionmaker() as holder:
        locked = holder.scalars(select(DataKey.id).order_by(DataKey.id).limit(2)
                                .with_for_update()).all()
        with sessionmaker() as s:
            assert rotate_batch(s, ring, 10) == 3  # does not wait for the held rows
        holder.rollback()
    assert set(locked) <= set(made)
    assert _counts(app).by_master == {"k1": 2, "k2": 3}
    with sessionmaker() as s:
        assert rotate_batch(s, ring, 10) == 2
    _assert_all_decrypt(app, made)
