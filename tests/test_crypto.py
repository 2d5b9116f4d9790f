"""Identifiable data is ciphertext in the database, absent from logs, and survives key rotation."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from imm_graph import models as m
from imm_graph.cli.keys import reencrypt_personal_data
from imm_graph.config import Settings
from imm_graph.db import Database
from imm_graph.errors import ValidationError
from imm_graph.security import crypto
from imm_graph.security.scopes import READ_CORE, READ_PERSONAL
from imm_graph.services.api import find_participant_by_nhs_number
from imm_graph.validators import validate_nhs_number
from tests import builders, people
from tests.conftest import GraphQLClient, MakeKey

PERSONAL = "{ participants { nodes { ref givenName familyName nhsNumber dateOfBirth email phone " \
    "address postcode } } }"


async def _raw_rows(db: Database) -> list[dict[str, object]]:
    async with db.engine.connect() as conn:
        return [dict(r._mapping) for r in await conn.execute(sa.text("SELECT * FROM participants"))]


async def test_the_database_holds_ciphertext_only(db: Database) -> None:
    async with db.transaction() as session:
        await people.referred(session, "P-000001", people.MARGARET)
    [row] = await _raw_rows(db)
    text = " ".join(str(v) for v in row.values())
    for value in people.searchable(people.MARGARET):
        assert value not in text
    for column in m.PERSONAL_FIELDS:
        assert str(row[column]).startswith("v2:")  # an AES-256-GCM token
    assert row["ref"] == "P-000001"  # pseudonymous fields stay readable
    index = str(row["nhs_number_index"])
    assert len(index) == 64 and "9434765919" not in index


async def test_values_come_back_normalised_to_a_read_personal_key(
    gql: GraphQLClient, make_key: MakeKey, db: Database
) -> None:
    async with db.transaction() as session:
        await people.referred(session, "P-000001", people.MARGARET)
        await builders.participant(session, ref="P-000002")  # no referral: no personal data
    reader = gql.with_key(await make_key([READ_CORE, READ_PERSONAL]))
    nodes = (await reader(PERSONAL))["participants"]["nodes"]
    assert nodes[0] == {
        "ref": "P-000001", "givenName": "Margarethe", "familyName": "Oyelaran-Whitcombe",
        "nhsNumber": "9434765919", "dateOfBirth": "1941-03-17",
        "email": "m.oyelaran.whitcombe@example.org", "phone": "020 7946 0321",
        "address": "14 Larkspur Crescent, Enfield", "postcode": "EN2 6PG",
    }
    assert set(nodes[1].values()) == {"P-000002", None}


async def test_nhs_numbers_are_found_through_the_blind_index(db: Database) -> None:
    async with db.transaction() as session:
        margaret = await people.referred(session, "P-000001", people.MARGARET)
        await people.referred(session, "P-000002", people.DESMOND)
    async with db.sessions() as session:
        assert await find_participant_by_nhs_number(session, "9434765919") == margaret.id
        assert await find_participant_by_nhs_number(session, "943-476-5919") == margaret.id
        assert await find_participant_by_nhs_number(session, "6328797966") is None
        with pytest.raises(ValidationError):
            await find_participant_by_nhs_number(session, "943 476 5918")


async def test_invalid_identifiers_are_refused_without_repeating_them(db: Database) -> None:
    bad = {**people.MARGARET, "nhs_number": "943 476 5918", "email": "not-an-address",
           "postcode": "XX99 9XX9"}
    with pytest.raises(ValidationError) as refused:
        async with db.transaction() as session:
            await people.referred(session, "P-000001", bad)
    codes = {e.field: e.code for e in refused.value.errors}
    assert codes == {"nhsNumber": "nhs_number_checksum", "email": "email_format",
                     "postcode": "postcode_format"}
    for value in ("943 476 5918", "9434765918", "not-an-address", "XX99 9XX9"):
        assert value not in str(refused.value)


async def test_personal_values_appear_in_no_log_line(
    database_url: str, make_key: MakeKey, caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Write, read, refuse and fail with personal data while logging everything, SQL included."""
    import httpx

    from imm_graph.app import create_app

    caplog.set_level(logging.DEBUG)
    settings = Settings(database_url=database_url, environment="test", log_level="DEBUG",
                        sql_echo=True)
    # Everything logged, statement parameters included (production hides them: hide_parameters).
    db = Database(database_url, echo=True, hide_parameters=False)
    try:
        app = create_app(settings, database=db)
        async with db.transaction() as session:
            await people.referred(session, "P-000001", people.MARGARET)
            await people.referred(session, "P-000002", people.DESMOND)
        async with db.transaction() as session:
            person = await session.scalar(
                sa.select(m.Participant).where(m.Participant.ref == "P-000001")
            )
            logging.getLogger("imm_graph.test").info("loaded %r", person)
        with pytest.raises(ValidationError):
            async with db.transaction() as session:
                typo = {**people.DESMOND, "nhs_number": "401 023 2138"}
                await people.referred(session, "P-000003", typo)
        reader = await make_key([READ_CORE, READ_PERSONAL])
        pseudonymous = await make_key([READ_CORE])
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://imm.test"
        ) as http:
            read = await http.post("/graphql", json={"query": PERSONAL},
                                   headers={"Authorization": f"Bearer {reader}"})
            refused = await http.post("/graphql", json={"query": PERSONAL},
                                      headers={"Authorization": f"Bearer {pseudonymous}"})
    finally:
        await db.dispose()
    assert "Margarethe" in read.text and refused.status_code == 403  # the data was handled
    captured = capsys.readouterr()
    logged = "\n".join([caplog.text, captured.out, captured.err,
                        *(r.getMessage() for r in caplog.records)])
    # SQL and its parameters were logged, so the search below is meaningful: tokens, not values.
    assert "INSERT INTO participants" in logged and "v2:" in logged
    for value in [*people.searchable(people.MARGARET), *people.searchable(people.DESMOND),
                  "401 023 2138", "4010232138"]:
        assert value not in logged, f"{value!r} reached a log line"


def _ring(*keys: bytes, secret: bytes = b"s" * 32) -> crypto.Keyring:
    return crypto.Keyring(list(keys), secret)


async def test_data_written_with_an_old_key_reads_after_rotation(db: Database) -> None:
    old_key, new_key = crypto.new_fernet_key().encode(), crypto.new_fernet_key().encode()
    with crypto.using(_ring(old_key)):
        async with db.transaction() as session:
            await people.referred(session, "P-000001", people.MARGARET)

    # A new current key; the old one kept for decryption, as IMM_ENCRYPTION_KEYS="new,old".
    rotated = crypto.Keyring.from_settings(Settings(
        environment="production", secret_key="s" * 32,
        encryption_keys=f"{new_key.decode()},{old_key.decode()}",
    ))
    with crypto.using(rotated):
        async with db.transaction() as session:
            await people.referred(session, "P-000002", people.DESMOND)
        async with db.sessions() as session:
            names = dict((await session.execute(
                sa.select(m.Participant.ref, m.Participant.family_name)
            )).all())
        assert names == {"P-000001": "Oyelaran-Whitcombe", "P-000002": "Quarshie-Fairweather"}
        async with db.sessions() as session:  # the blind index does not depend on the keys
            assert await find_participant_by_nhs_number(session, "9434765919") is not None

    # New writes use the new key only; old rows still need the old key until re-encrypted.
    rows = {r["ref"]: r for r in await _raw_rows(db)}
    only_new = _ring(new_key)
    assert only_new.decrypt(str(rows["P-000002"]["given_name"])) == "Desmondo"
    with pytest.raises(crypto.DecryptionError) as failed:
        only_new.decrypt(str(rows["P-000001"]["given_name"]))
    assert "IMM_ENCRYPTION_KEYS" in str(failed.value) and "v2:" not in str(failed.value)

    with crypto.using(rotated):  # P-000002 was written under the new key already
        assert await reencrypt_personal_data(db) == 1
    with crypto.using(_ring(new_key)):  # the old key can now be dropped
        async with db.sessions() as session:
            person = await session.scalar(
                sa.select(m.Participant).where(m.Participant.ref == "P-000001")
            )
            assert person is not None and person.nhs_number == validate_nhs_number("9434765919")
            assert person.date_of_birth == people.MARGARET["date_of_birth"]


def test_a_token_names_its_key_and_cannot_be_altered_or_moved() -> None:
    key, other = crypto.new_fernet_key().encode(), crypto.new_fernet_key().encode()
    ring = _ring(key)
    token = ring.encrypt("Margarethe")
    version, key_id, body = token.split(":")
    assert (version, len(key_id)) == ("v2", 8) and "Margarethe" not in token
    assert ring.encrypt("Margarethe") != token  # a fresh nonce each time
    assert ring.decrypt(token) == "Margarethe"
    assert _ring(other, key).decrypt(token) == "Margarethe"  # found by its id, not by trying
    flipped = body[:20] + ("A" if body[20] != "A" else "B") + body[21:]
    other_id = _ring(other).encrypt("x").split(":")[1]
    for broken in (f"v2:{key_id}:{flipped}",  # ciphertext altered: the tag fails
                   f"v2:{other_id}:{body}",  # relabelled to another key that is present
                   f"v2:{key_id}:{body[:-4]}",  # truncated
                   f"v2:{key_id}", "v2:::", "not a token"):
        with pytest.raises(crypto.DecryptionError):
            _ring(key, other).decrypt(broken)


def test_fernet_tokens_written_before_v2_still_read_and_rotate_to_v2() -> None:
    from cryptography.fernet import Fernet

    key = crypto.new_fernet_key().encode()
    legacy = Fernet(key).encrypt(b"943 476 5919").decode()  # what earlier versions stored
    ring = _ring(key)
    assert legacy.startswith("gAAAAA") and ring.decrypt(legacy) == "943 476 5919"
    assert not ring.is_current(legacy)
    rotated = ring.rotate(legacy)
    assert ring.is_current(rotated) and ring.decrypt(rotated) == "943 476 5919"
    with pytest.raises(crypto.DecryptionError):
        _ring(crypto.new_fernet_key().encode()).decrypt(legacy)


async def test_reencryption_covers_plug_in_tables_and_legacy_tokens(db: Database) -> None:
    """A plug-in's encrypted columns (here a referral platform's secret) are re-keyed with the
    participants', and Fernet tokens of earlier versions become v2 tokens."""
    from cryptography.fernet import Fernet

    from imm_graph.cli.keys import encrypted_columns
    from plugins.social_prescribing import platforms

    old_key, new_key = crypto.new_fernet_key().encode(), crypto.new_fernet_key().encode()
    with crypto.using(_ring(old_key)):
        async with db.transaction() as session:
            await people.referred(session, "P-000001", people.MARGARET)
            await platforms.add(session, "link-platform", secret="whsec_c2VjcmV0LXNlY3JldA==",
                                callback_url=None)
    async with db.transaction() as session:  # a token as versions before v2 wrote it
        await session.execute(sa.text("UPDATE participants SET phone = :token"),
                              {"token": Fernet(old_key).encrypt(b"020 7946 0321").decode()})
    tables = {table.name: names for table, names in encrypted_columns().items()}
    assert "secret" in tables["social_prescribing_platforms"]
    assert "reason" in tables["social_prescribing_referrals"]

    with crypto.using(_ring(new_key, old_key)):
        assert await reencrypt_personal_data(db) == 2  # one participant, one platform
        assert await reencrypt_personal_data(db) == 0  # nothing left to do
    with crypto.using(_ring(new_key)):  # the old key can now be dropped
        async with db.sessions() as session:
            person = await session.scalar(sa.select(m.Participant))
            assert person is not None and person.phone == "020 7946 0321"
            platform = await platforms.by_name(session, "link-platform")
            assert platform.secret == "whsec_c2VjcmV0LXNlY3JldA=="


def test_development_keys_are_fixed_so_processes_agree() -> None:
    first = crypto.Keyring.from_settings(Settings(environment="development"))
    second = crypto.Keyring.from_settings(Settings(environment="test"))
    assert first.development and second.decrypt(first.encrypt("x")) == "x"
    assert first.mac("api-key", "s") == second.mac("api-key", "s")
    assert first.mac("api-key", "s") != first.mac("nhs-number-index", "s")  # per-purpose keys
