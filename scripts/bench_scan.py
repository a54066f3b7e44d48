"""`make bench-scan`: 惠新码 gate scans through the API under concurrency, the offline
verifier alone, and bare Ed25519 verification with `cryptography` as the floor, in one run.

    python -m scripts.bench_scan [--scans 2000] [--concurrency 20] [--offline 20000]

It builds a fresh database (SQLite in a temporary directory, or DATABASE_URL), migrates and
seeds it with the demo users, certifies one pass straight in the database (the workflow is not
what is measured), signs `--scans` distinct codes and has `guard_rongcheng` scan them at
`rongcheng-main` through the API (every scan logged and its code claimed against replays).
The last line is one JSON object: scans, api_scans_per_s, api_p50_ms, api_p99_ms,
offline_verifies_per_s, raw_ed25519_verifies_per_s, allowed and logged (both must equal
scans).
"""

import argparse
import asyncio
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from scripts import stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scans", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--offline", type=int, default=20000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ddk-bench-scan-"))
    env = os.environ.copy()
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.db'}")
    env["RIDER_KEY_DIR"] = str(tmp / "keys")
    env["TEMPORAL_ADDRESS"] = "127.0.0.1:1"  # scans never reach Temporal
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "RIDER_KEY_DIR")})
    stack.ensure_jwt_secret(env)
    stack.ensure_id_hash_secret(env)
    os.environ.update({k: env[k] for k in ("JWT_SECRET", "ID_HASH_SECRET")})
    stack.migrate(env)
    stack.seed(env, demo=True)
    codes, trust = prepare(args.scans)
    port = stack.free_port()
    api = stack.api(port, env, tmp / "api.log")
    try:
        api_figures = asyncio.run(drive(f"http://127.0.0.1:{port}", codes, args.concurrency))
    finally:
        stack.stop(api)
    api_figures["logged"] = logged()  # every scan is in the log: none lost under load
    offline_rate = offline(codes, trust, args.offline)
    raw_rate = raw(args.offline)
    print(json.dumps({"scans": len(codes), **api_figures,
                      "offline_verifies_per_s": round(offline_rate),
                      "raw_ed25519_verifies_per_s": round(raw_rate)}))


def prepare(n: int) -> tuple[list[str], list[dict]]:
    """A pass certified for the whole district, and `n` codes of it (each its own cti)."""
    from sqlmodel import Session

    from db.engine import get_engine
    from db.models import RiderPassRow
    from db.rider_keys import signing_key, trust_list
    from domain.rider_code import sign_code

    now = datetime.now(UTC)
    engine = get_engine()
    with Session(engine) as session:
        session.add(RiderPassRow(id="bench-pass", workflow_id="rider-pass-bench-pass",
                                 rider="rider_1", platform="meituan", status="active",
                                 scope="district", applied_at=now, approved_at=now,
                                 valid_until=now + timedelta(days=365), state={}, version=1))
        session.commit()
        trust = trust_list(session)
    kid, key = signing_key(engine)
    return [sign_code("bench-pass", "district", key, kid, now) for _ in range(n)], trust


async def drive(base: str, codes: list[str], concurrency: int) -> dict:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        r = await http.post("/auth/token", data={"username": "guard_rongcheng",
                                                 "password": "demo"})
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        gate = asyncio.Semaphore(concurrency)
        latencies: list[float] = []
        allowed = 0

        async def one(code: str) -> None:
            nonlocal allowed
            async with gate:
                started = time.perf_counter()
                r = await http.post("/gates/rongcheng-main/scans", json={"code": code},
                                    headers=headers)
                latencies.append(time.perf_counter() - started)
                if r.status_code == 200 and r.json()["allowed"]:
                    allowed += 1

        started = time.perf_counter()
        await asyncio.gather(*(one(c) for c in codes))
        seconds = time.perf_counter() - started
    latencies.sort()
    return {"api_scans_per_s": round(len(codes) / seconds, 1),
            "api_p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
            "api_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
            "allowed": allowed}


def logged() -> int:
    from sqlalchemy import func, select

    from db.engine import get_engine
    from db.models import GateScanRow

    with get_engine().connect() as conn:
        return conn.execute(select(func.count()).select_from(GateScanRow)).scalar_one()


def offline(codes: list[str], trust: list[dict], n: int) -> float:
    import gate_verifier

    now = datetime.now(UTC)
    started = time.perf_counter()
    for i in range(n):
        gate_verifier.verify(codes[i % len(codes)], trust, community="rongcheng", now=now)
    return n / (time.perf_counter() - started)


def raw(n: int) -> float:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    message = b"x" * 120
    signature = key.sign(message)
    public = key.public_key()
    started = time.perf_counter()
    for _ in range(n):
        public.verify(signature, message)
    return n / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
