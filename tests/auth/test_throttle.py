"""Failed sign-ins slow down one address on one account; they never lock the owner out from elsewhere."""

import pytest

LIMITS = {"RATELIMIT_ENABLED": True, "LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS": "3 per minute",
          "LOGIN_LIMIT_PER_ADDRESS": "10 per minute"}


def _post(client, email, password, address):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def limited(make_app):
    return make_app(**LIMITS)


def test_an_attacker_cannot_lock_the_owner_out(limited, make):
    make.user(email="manager@example.test", role="manager")
    attacker, owner = limited.test_client(), limited.test_client()
    for _ in range(8):
        _post(attacker, "manager@example.test", "wrong1234", "203.0.113.5")
    assert _post(attacker, "manager@example.test", "secret123", "203.0.113.5").status_code == 429
    assert _post(owner, "manager@example.test", "secret123", "198.51.100.7").status_code == 302


def test_the_same_address_waits_and_is_told_how_long(limited, make):
    make.user(email="target@example.test")
    client = limited.test_client()
    for _ in range(3):
        assert _post(client, "target@example.test", "wrong1234", "203.0.113.5").status_code == 200
    response = _post(client, "target@example.test", "secret123", "203.0.113.5")
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "попробуйте снова через 1 минуту" in response.get_data(as_text=True)
    # another account from the same address is not held back by this one
    make.user(email="other@example.test")
    assert _post(client, "other@example.test", "secret123", "203.0.113.5").status_code == 302


def test_one_address_has_a_looser_cap_across_accounts(limited, make):
    client = limited.test_client()
    for n in range(10):
        _post(client, f"nobody{n}@example.test", "wrong1234", "203.0.113.9")
    make.user(email="real@example.test")
    assert _post(client, "real@example.test", "secret123", "203.0.113.9").status_code == 429
    assert _post(client, "real@example.test", "secret123", "203.0.113.10").status_code == 302


def test_x_forwarded_for_is_ignored_without_a_trusted_proxy(limited, make):
    make.user(email="target@example.test")
    client = limited.test_client()
    for n in range(3):
        client.post("/login", data={"email": "target@example.test", "password": "wrong1234"},
                    headers={"X-Forwarded-For": f"192.0.2.{n}"})
    response = client.post("/login", data={"email": "target@example.test", "password": "secret123"},
                           headers={"X-Forwarded-For": "192.0.2.99"})
    assert response.status_code == 429  # the forged header did not make every attempt a new address


def test_x_forwarded_for_is_the_address_behind_a_configured_proxy(make_app, make):
    app = make_app(PROXY_FIX_X_FOR=1, **LIMITS)
    make.user(email="target@example.test")
    client = app.test_client()
    for _ in range(3):
        client.post("/login", data={"email": "target@example.test", "password": "wrong1234"},
                    headers={"X-Forwarded-For": "192.0.2.1"})
    blocked = client.post("/login", data={"email": "target@example.test", "password": "secret123"},
                          headers={"X-Forwarded-For": "192.0.2.1"})
    assert blocked.status_code == 429
    other = client.post("/login", data={"email": "target@example.test", "password": "secret123"},
                        headers={"X-Forwarded-For": "192.0.2.2"})
    assert other.status_code == 302


def test_a_successful_sign_in_clears_the_count(limited, make):
    make.user(email="target@example.test")
    client = limited.test_client()
    for _ in range(2):
        _post(client, "target@example.test", "wrong1234", "203.0.113.5")
    assert _post(client, "target@example.test", "secret123", "203.0.113.5").status_code == 302
    client.post("/logout", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    for _ in range(2):
        assert _post(client, "target@example.test", "wrong1234", "203.0.113.5").status_code == 200
    assert _post(client, "target@example.test", "secret123", "203.0.113.5").status_code == 302
