import pytest
from cryptography.fernet import Fernet, InvalidToken

from portal import create_app
from portal.core import crypto


def test_encrypted_value_round_trips_and_hides_the_clear_text(ctx):
    token = crypto.encrypt("230110199003151237")
    assert "230110199003151237" not in token
    assert crypto.decrypt(token) == "230110199003151237"
    # Fernet uses a random IV: the same value never encrypts the same way twice.
    assert crypto.encrypt("230110199003151237") != token


def test_keyed_hash_is_stable_and_separated_by_purpose(ctx):
    a = crypto.keyed_hash("230110199003151237", purpose="resident-id")
    assert a == crypto.keyed_hash("230110199003151237", purpose="resident-id")
    assert a != crypto.keyed_hash("230110199003151237", purpose="bank-account")
    assert "230110199003151237" not in a


def test_rotated_keys_still_read_old_values(database_url):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    old_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "FIELD_ENCRYPTION_KEY": old_key})
    with old_app.app_context():
        token = crypto.encrypt("secret")
    new_app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": database_url, "FIELD_ENCRYPTION_KEY": f"{new_key},{old_key}"}
    )
    with new_app.app_context():
        assert crypto.decrypt(token) == "secret"
        rotated = crypto.rotate(token)
    only_new = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "FIELD_ENCRYPTION_KEY": new_key})
    with only_new.app_context():
        assert crypto.decrypt(rotated) == "secret"
        with pytest.raises(InvalidToken):
            crypto.decrypt(token)


def test_production_refuses_to_start_without_keys(monkeypatch, database_url):
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "FIELD_HASH_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": None})
