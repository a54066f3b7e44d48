"""Authentication over HTTP against the real stack: tokens must be signed with the secret,
HS256, unexpired and carry exp, iat and sub; failed logins lock a username, known or not."""

import base64
import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import jwt
import pytest
from fastapi import HTTPException
from sqlmodel import Session

import security
from api.routers import auth as auth_router
from config import get_settings
from db.engine import get_engine
from db.models import LoginAttempt, User
from tests.support import Api

PASSWORD = "right-password-1"


def new_user(active: bool = True) -> str:
    """A user of this test alone, so locking or deactivating it disturbs no other test."""
    username = f"auth_{secrets.token_hex(4)}"
    with Session(get_engine()) as session:
        session.add(User(username=username, display_name="测试用户", role="citizen",
                         password_hash=security.hash_password(PASSWORD), active=active))
        session.commit()
    return username


def login(api: Api, username: str, password: str = PASSWORD):
    return api.http.post("/auth/token", data={"username": username, "password": password})


def me(api: Api, token: str) -> int:
    return api.http.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code


def sign(claims: dict, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, get_settings().jwt_secret, algorithm=algorithm)


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_valid_token_works(api: Api) -> None:
    username = new_user()
    r = login(api, username)
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    # 12 h, as configured
    assert claims["exp"] - claims["iat"] == get_settings().jwt_ttl_minutes * 60
    r = api.http.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()["username"] == username


def test_tampered_token_is_401(api: Api) -> None:
    username = new_user()
    token = login(api, username).json()["access_token"]
    header, payload, signature = token.split(".")
    # Flip the signature's first character (its last one may only hold padding bits).
    bad_sig = ("B" if signature[0] == "A" else "A") + signature[1:]
    assert me(api, f"{header}.{payload}.{bad_sig}") == 401
    # Another subject under the original signature.
    claims = jwt.decode(token, options={"verify_signature": False}) | {"sub": "admin"}
    assert me(api, f"{header}.{b64(claims)}.{signature}") == 401
    # Signed with another secret.
    assert me(api, jwt.encode(claims, secrets.token_hex(32), algorithm="HS256")) == 401


def test_expired_token_is_401(api: Api) -> None:
    username = new_user()
    now = datetime.now(UTC)
    assert me(api, sign({"sub": username, "iat": now - timedelta(hours=13),
                         "exp": now - timedelta(hours=1)})) == 401
    assert me(api, sign({"sub": username, "iat": now, "exp": now + timedelta(hours=1)})) == 200


@pytest.mark.parametrize("missing", ["exp", "iat", "sub"])
def test_token_without_a_required_claim_is_401(api: Api, missing: str) -> None:
    now = datetime.now(UTC)
    claims = {"sub": new_user(), "iat": now, "exp": now + timedelta(hours=1)}
    del claims[missing]
    assert me(api, sign(claims)) == 401


def test_alg_none_and_other_algorithms_are_401(api: Api) -> None:
    now = datetime.now(UTC)
    claims = {"sub": new_user(), "iat": int(now.timestamp()),
              "exp": int((now + timedelta(hours=1)).timestamp())}
    assert me(api, f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.") == 401
    assert me(api, jwt.encode(claims, None, algorithm="none")) == 401
    assert me(api, sign(claims, algorithm="HS512")) == 401  # right secret, wrong algorithm
    assert me(api, sign(claims)) == 200


def test_inactive_user_is_401(api: Api) -> None:
    username = new_user()
    token = login(api, username).json()["access_token"]
    assert me(api, token) == 200
    with Session(get_engine()) as session:
        user = session.get(User, username)
        assert user is not None
        user.active = False
        session.add(user)
        session.commit()
    assert me(api, token) == 401
    assert login(api, username).status_code == 401  # the right password, but deactivated


def attempt_statuses(api: Api, username: str, n: int) -> list[int]:
    return [login(api, username, "wrong").status_code for _ in range(n)]


def retry_after(api: Api, username: str, password: str = "wrong") -> int:
    r = login(api, username, password)
    assert r.status_code == 429, r.text
    return int(r.headers["Retry-After"])


def unlock_now(username: str) -> None:
    """Let the lock run out without waiting for it."""
    with Session(get_engine()) as session:
        row = session.get(LoginAttempt, username)
        assert row is not None
        row.locked_until = datetime.now(UTC) - timedelta(seconds=1)
        session.add(row)
        session.commit()


def test_repeated_failures_lock_the_username(api: Api) -> None:
    username = new_user()
    assert attempt_statuses(api, username, 6) == [401] * 5 + [429]
    assert 1 <= retry_after(api, username) <= 60
    assert 1 <= retry_after(api, username, PASSWORD) <= 60  # even the right password

    # Once the lock runs out one more failure locks again, twice as long.
    unlock_now(username)
    assert attempt_statuses(api, username, 2) == [401, 429]
    assert 60 < retry_after(api, username) <= 120

    # A success resets the count.
    unlock_now(username)
    assert login(api, username).status_code == 200
    assert attempt_statuses(api, username, 5) == [401] * 5
    assert login(api, username).status_code == 429


def test_parallel_guesses_do_not_slip_past_the_lock(api: Api) -> None:
    username = new_user()
    with ThreadPoolExecutor(10) as pool:
        statuses = sorted(pool.map(lambda _: login(api, username, "wrong").status_code,
                                   range(20)))
    assert statuses == [401] * 5 + [429] * 15


def test_unknown_username_answers_like_a_known_one(api: Api) -> None:
    known, unknown = new_user(), f"nobody_{secrets.token_hex(4)}"
    assert attempt_statuses(api, unknown, 7) == attempt_statuses(api, known, 7)
    assert 1 <= retry_after(api, unknown) <= 60


def test_login_documents_429(api: Api) -> None:
    responses = api.http.get("/openapi.json").json()["paths"]["/auth/token"]["post"]
    assert "429" in responses["responses"]


# Units: the secret check, the lock schedule, the unknown-user hash, error texts.


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch):
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()  # the next reader sees the restored environment


@pytest.mark.parametrize("secret", [None, "", "too-short-0123456789",
                                    security.OLD_DEFAULT_SECRET])
def test_bad_secrets_are_refused(fresh_settings: pytest.MonkeyPatch, secret: str | None) -> None:
    if secret is None:
        fresh_settings.delenv("JWT_SECRET", raising=False)
    else:
        fresh_settings.setenv("JWT_SECRET", secret)
    with pytest.raises(SystemExit, match="JWT_SECRET"):
        security.check_secret()
    with pytest.raises(security.InsecureSecret):
        security.create_token("admin")
    with pytest.raises(security.InsecureSecret):
        security.read_token("x.y.z")


def test_a_long_random_secret_is_accepted(fresh_settings: pytest.MonkeyPatch) -> None:
    fresh_settings.setenv("JWT_SECRET", secrets.token_hex(32))
    security.check_secret()
    assert security.read_token(security.create_token("citizen")) == "citizen"


def test_lock_schedule() -> None:
    assert [security.lock_for(n) for n in range(5)] == [None] * 5
    minutes = [security.lock_for(n) / timedelta(minutes=1) for n in range(5, 11)]
    assert minutes == [1, 2, 4, 8, 15, 15]
    assert security.lock_for(10_000) == timedelta(minutes=15)


def test_unknown_user_costs_a_hash_and_a_locked_one_none(
        database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    verified: list[str] = []

    def counting(password: str, password_hash: str) -> bool:
        verified.append(password_hash)
        return False

    monkeypatch.setattr(auth_router, "verify_password", counting)
    username = f"nobody_{secrets.token_hex(4)}"
    form = SimpleNamespace(username=username, password="guess")
    with Session(get_engine()) as session:
        for _ in range(5):
            with pytest.raises(HTTPException) as err:
                auth_router.login(session, form)
            assert err.value.status_code == 401
        assert verified == [security.dummy_hash()] * 5
        with pytest.raises(HTTPException) as err:
            auth_router.login(session, form)
        assert err.value.status_code == 429
    assert len(verified) == 5  # no hash while locked


async def test_temporal_unavailable_hides_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import temporal_client
    from api import deps

    async def refuse(*_: object) -> None:
        raise RuntimeError("connect to 10.9.8.7:7233 as root failed")

    monkeypatch.setattr(temporal_client, "connect", refuse)
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(temporal=None)))
    with pytest.raises(HTTPException) as err:
        await deps.temporal(request)  # type: ignore[arg-type]
    assert err.value.status_code == 503
    assert "10.9.8.7" not in str(err.value.detail) and "root" not in str(err.value.detail)


def test_health_hides_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    import temporal_client
    from api.main import app
    from api.routers import health

    def broken() -> None:
        raise RuntimeError("postgresql://ddk:hunter2@10.9.8.7/ddk is down")

    async def refuse(*_: object) -> None:
        raise RuntimeError("connect to 10.9.8.7:7233 failed")

    monkeypatch.setattr(health, "get_engine", broken)
    monkeypatch.setattr(temporal_client, "connect", refuse)
    monkeypatch.setattr(app.state, "temporal", None, raising=False)
    r = TestClient(app).get("/health")  # no lifespan: the app's client stays unset
    assert r.status_code == 503
    assert r.json() == {"status": "unavailable", "database": "unavailable",
                        "temporal": "unavailable"}
