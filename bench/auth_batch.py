"""The database thread's CPU for a batch of token ``auth``s, by batch size.

    .venv/bin/python -m bench.auth_batch [--users 200] [--sizes 1,5,21,50,100,200]

In a reconnect storm the ``auth`` frames that arrive while one batch is on Channels'
database thread go in the next (realtime/batching.py); each batch is one call of the
consumer's token check: the tokens unsigned, their rows read with their users,
profiles and groups, each identity resolved. This runs that call in this process on
a fresh SQLite database of the project (migrated in a temporary directory), with
``--users`` staff users of one group and a token each, and reports the process CPU
per batch and per ``auth``. ``--repeat`` sends each token that many times in a batch,
as sockets that share a token do. Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def setup(workdir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "omni_sales.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/db.sqlite3"
    os.environ["OMNI_VAR_DIR"] = workdir
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def tokens_for(count: int) -> list[str]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group

    from realtime import tokens

    user_model = get_user_model()
    staff, _ = Group.objects.get_or_create(name="staff")
    hashed = make_password("bench")  # one hash for all: hashing is slow by design
    users = user_model.objects.bulk_create([
        user_model(username=f"bench_{n:04d}", password=hashed, is_staff=True)
        for n in range(count)])
    staff.user_set.add(*users)
    return [tokens.issue(user) for user in users]


def measure(batch: list[str], seconds: float) -> dict[str, Any]:
    """CPU per call, over at least ``seconds`` of calls after a warm-up."""
    from realtime.consumers import _identify_tokens

    check = _identify_tokens.func  # the function itself, not its hop to the thread
    results = check(batch)
    refused = [result for result in results if isinstance(result, Exception)]
    if refused:
        raise RuntimeError(f"{len(refused)} of {len(batch)} tokens refused: {refused[0]}")
    for _ in range(3):
        check(batch)
    calls, start = 0, time.process_time()
    while time.process_time() - start < seconds or calls < 5:
        check(batch)
        calls += 1
    per_call = (time.process_time() - start) / calls * 1000
    return {"size": len(batch), "calls": calls, "cpu_ms_per_batch": round(per_call, 3),
            "cpu_us_per_auth": round(per_call / len(batch) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--sizes", default="1,5,21,50,100,200",
                        help="batch sizes, in distinct tokens")
    parser.add_argument("--repeat", type=int, default=1,
                        help="each token this many times in its batch")
    parser.add_argument("--seconds", type=float, default=1.0, help="of CPU per size")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    if max(sizes) > args.users:
        parser.error("a batch size is larger than --users")
    with tempfile.TemporaryDirectory(prefix="auth-batch-") as workdir:
        setup(workdir)
        issued = tokens_for(args.users)
        rows = [measure([token for token in issued[:size] for _ in range(args.repeat)],
                        args.seconds) for size in sizes]
    for row in rows:
        print(f"{row['size']:>5} auths: {row['cpu_ms_per_batch']:8.3f} ms a batch, "
              f"{row['cpu_us_per_auth']:7.1f} µs an auth")
    print(json.dumps({"users": args.users, "repeat": args.repeat, "rows": rows}))


if __name__ == "__main__":
    main()
