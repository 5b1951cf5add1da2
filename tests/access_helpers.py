"""Credentials for tests: real users and real API keys in the test's database."""
from __future__ import annotations

PASSWORD = "Prüfpasswort-1234"


def api_key(radar, role="admin", email=None, region=("Mittelsachsen",), profile_id=None) -> str:
    """A new user with that role and a key for it; returns the key."""
    from store.users import Users

    users = Users(getattr(radar, "store", radar))     # a Radar or a bare Store
    email = email or f"{role}-{users.conn.execute('SELECT count(*) FROM users').fetchone()[0]}@test.example"
    user = users.add_user(email, PASSWORD, role, region=region if role == "manager" else (),
                          profile_id=profile_id)
    _, secret = users.create_key(user)
    return secret


def as_bearer(client, key: str):
    """Every request of this test client carries the key."""
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client
