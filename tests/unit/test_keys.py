"""API keys: made at random, parsed strictly, checked by hash, never shown by accident."""

from __future__ import annotations

from agentcron.keys import hash_secret, make_key, parse_key, secret_matches
from agentcron.secrets import mask_text


def test_a_key_names_its_id_and_its_secret_matches_only_its_own_hash() -> None:
    made = make_key()
    parsed = parse_key(made.key)
    assert parsed is not None
    key_id, secret = parsed
    assert key_id == made.id
    assert made.key == f"agc_{key_id}_{secret}"
    assert secret_matches(secret, made.secret_hash)
    assert not secret_matches(secret[:-1] + ("A" if secret[-1] != "A" else "B"), made.secret_hash)
    assert made.secret_hash == hash_secret(secret) != secret
    assert secret not in made.secret_hash


def test_keys_are_not_repeated() -> None:
    made = [make_key() for _ in range(200)]
    assert len({key.id for key in made}) == len({key.key for key in made}) == 200


def test_anything_but_a_whole_key_is_not_one() -> None:
    key = make_key().key
    for given in ("", "agc_", key[:-1], key + "x", key.replace("agc_", "sk_"), "Bearer " + key):
        assert parse_key(given) is None, given
    assert parse_key(f"  {key}\n") is not None  # pasted with its newline


def test_a_key_is_masked_in_text_and_kept_out_of_reprs() -> None:
    made = make_key()
    assert made.key not in repr(made)
    line = mask_text(f"request with key {made.key} refused")
    assert made.key not in line
    assert line.startswith("request with key ")
    assert line.endswith(" refused")
