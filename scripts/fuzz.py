"""`make fuzz`: schemathesis over the whole OpenAPI document, signed in as each demo role.

Starts its own dev server, worker and API on free ports against a fresh SQLite file (as the
benchmark does), then runs `schemathesis run` once per role with that role's token. Fails on
any server error (5xx other than a documented 503), any status the document does not list
for the endpoint, or any body its response schema does not describe.

    python -m scripts.fuzz [--max-examples 30] [--roles citizen,admin]
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from scripts import stack

# One demo user per role (db/seed.py).
ROLE_USERS = {
    "citizen": "citizen", "inspector": "inspector", "intake": "intake",
    "dispatcher": "dispatcher", "officer": "officer_urban_mgmt", "dept_head": "head_urban_mgmt",
    "command_lead": "command_lead", "auditor": "auditor", "admin": "admin",
    "service": "ai_camera", "party": "party_1", "legal_reviewer": "legal_reviewer",
    "grid_worker": "grid_baijiayuan", "building_leader": "leader_baijiayuan",
    "community_worker": "mediator_baijiayuan", "property": "property_baijiayuan",
    "volunteer": "volunteer_baijiayuan", "merchant": "merchant_market",
    "finance_officer": "finance_rongcheng", "rider": "rider_3",
    "union_reviewer": "union_reviewer", "union_worker": "union_worker", "legal_aid": "legal_aid",
    "gate_guard": "guard_rongcheng",
}
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--roles", default=",".join(ROLE_USERS))
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ddk-fuzz-"))
    env = os.environ.copy() | {"DATABASE_URL": f"sqlite:///{tmp / 'fuzz.db'}"}
    procs = []
    failed: list[str] = []
    try:
        port = stack.free_port()
        env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{port}"
        procs.append(stack.temporal_server(port, None, None, tmp / "temporal.log"))
        stack.ensure_jwt_secret(env)
        stack.ensure_id_hash_secret(env)
        stack.migrate(env)
        stack.seed(env, demo=True)
        procs.append(stack.worker(env, tmp / "worker.log"))
        api_port = stack.free_port()
        procs.append(stack.api(api_port, env, tmp / "api.log"))
        base = f"http://127.0.0.1:{api_port}"
        for role in args.roles.split(","):
            user = ROLE_USERS[role]
            token = httpx.post(f"{base}/auth/token", data={"username": user, "password": "demo"},
                               timeout=30).json()["access_token"]
            print(f"=== schemathesis as {role} ({user}) ===", flush=True)
            result = subprocess.run([
                str(stack.BIN / "schemathesis"), "run", f"{base}/openapi.json",
                "--header", f"Authorization: Bearer {token}", "--checks", CHECKS,
                "--max-examples", str(args.max_examples), "--phases", "examples,coverage,fuzzing",
                "--workers", "1", "--suppress-health-check", "all", "--no-color",
                "--exclude-path-regex", "^/auth/token$" if role != "citizen" else "^$",
            ], env=env)
            if result.returncode != 0:
                failed.append(role)
    finally:
        stack.stop(*reversed(procs))
        tail = (tmp / "api.log").read_text(errors="replace")[-4000:] if (
            tmp / "api.log").exists() else ""
        if "Traceback" in tail:
            print(f"--- api.log ---\n{tail}")
    if failed:
        sys.exit(f"schemathesis found problems as: {', '.join(failed)}")
    print("schemathesis: no server errors, no undocumented statuses or bodies, as every "
          "role")


if __name__ == "__main__":
    main()
