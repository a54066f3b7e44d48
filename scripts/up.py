"""`make up`: migrate, seed, then run Temporal dev server, worker and API until Ctrl-C."""

import os
import signal
import sys
import time

from config import ROOT, get_settings
from scripts import stack

TEMPORAL_PORT, UI_PORT, API_PORT = 7233, 8233, 8000


def main() -> None:
    env = os.environ.copy()
    settings = get_settings()
    stack.ensure_jwt_secret(env)
    stack.ensure_id_hash_secret(env)
    stack.migrate(env)
    stack.seed(env, demo=True)
    procs = []

    def shutdown(*_: object) -> None:
        print("\nstopping API, worker and Temporal ...", flush=True)
        stack.stop(*reversed(procs))
        sys.exit(0)

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    try:
        if "TEMPORAL_ADDRESS" not in env:
            env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{TEMPORAL_PORT}"
            procs.append(stack.temporal_server(TEMPORAL_PORT, UI_PORT,
                                               ROOT / "var" / "temporal.db"))
            print(f"Temporal dev server on 127.0.0.1:{TEMPORAL_PORT}, "
                  f"Web UI http://127.0.0.1:{UI_PORT}", flush=True)
        else:
            print(f"using Temporal at {env['TEMPORAL_ADDRESS']}", flush=True)
        procs.append(stack.worker(env))
        procs.append(stack.api(API_PORT, env))
        print(f"API http://127.0.0.1:{API_PORT} (docs at /docs); database "
              f"{settings.database_url.split('@')[-1]}; Ctrl-C stops all", flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(1)
        print("a process exited; stopping the rest", flush=True)
    finally:
        stack.stop(*reversed(procs))


if __name__ == "__main__":
    main()
