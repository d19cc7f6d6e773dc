"""Schemathesis hooks for tests/schemathesis/run.sh (loaded through
SCHEMATHESIS_HOOKS): the seeded sessions as bearer tokens.

Operations that declare the `session` security scheme get the main user's
session, except those that end the session or the account they are called
with (disconnect, delete-account): each of their requests spends a session
of its own from the pool, so the main session lives through the whole run
and every call of theirs can succeed. Once the pool is spent they get a
session already ended (401, which the document declares).
"""
import os
import threading

import schemathesis

DIR = os.environ["UPSIGNON_ST_FIXTURES"]
MAIN = open(os.path.join(DIR, "main.token")).read().strip()
POOL = open(os.path.join(DIR, "pool.tokens")).read().split()
SPENDING = {"disconnect", "delete-account"}
_lock = threading.Lock()
_spent = 0


def _route(operation):
    return operation.path.rsplit("/", 1)[-1]


def _signed_in(operation):
    return bool(operation.definition.raw.get("security"))


@schemathesis.auth(refresh_interval=None)
class SeededSession:
    def get(self, case, context):
        global _spent
        operation = context.operation
        if not _signed_in(operation):
            return None
        if _route(operation) not in SPENDING:
            return MAIN
        with _lock:
            if _spent < len(POOL):
                _spent += 1
                return POOL[_spent - 1]
            return POOL[-1] if POOL else "spent"

    def set(self, case, data, context):
        if data is None:
            return
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
