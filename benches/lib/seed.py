#!/usr/bin/env python3
"""Fast seeding path for the benchmarks: fills a migrated upsignon database
with one tenant (slug `bench`) of USERS users, each with two authorised
devices, a signed-in session, a personal vault and its password check, and
shared vaults (one per ten users, five members each), in bulk: COPY on
PostgreSQL, one transaction on SQLite. Nothing goes through the API, so
10,000 users take seconds, not the hours of real enrolments.

Vaults are opaque to the server: each is shaped like the reference client's
output (`x1.` + base64 of nonce, ciphertext and tag) over random bytes, so
nothing compresses. Plaintext sizes follow a log-normal law around 12 KiB
(about 50 accounts), kept between 2 KiB and 128 KiB: a sysadmin's fleet has
many small vaults and a few large ones.

The bearer token of each user's session is written to TOKENS, one line per
user, in order; the database keeps only its SHA-256, as the server does.

Usage: seed.py (--sqlite PATH | --postgres DBNAME) --users N --tokens FILE
               [--pg-port 5432]  (PostgreSQL on 127.0.0.1, user postgres)
The schema must exist (`upsignon --config FILE migrate up`).
"""
import argparse
import base64
import hashlib
import json
import math
import os
import random
import secrets
import sqlite3
import subprocess
import sys
import time
import uuid

TENANT = "t-bench"
DAY_MS = 86_400_000


def b64(n):
    return base64.b64encode(os.urandom(n)).decode()


def sealed(plaintext_len):
    # 24-byte nonce, ciphertext, 16-byte tag, as upsignon-client's aead::seal.
    return "x1." + b64(24 + plaintext_len + 16)


def tables(users, rng, now, token_lines):
    """Yields (table, columns, rows) in an order the foreign keys accept."""
    user_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(users)]
    device_ids = [[str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(2)] for _ in range(users)]

    yield ("tenants", ["id", "slug", "name", "settings", "stopped", "new_url", "created_at"],
           [(TENANT, "bench", "Bench", "{}", False, None, now)])
    yield ("allowed_emails", ["id", "tenant_id", "pattern", "created_at"],
           [(str(uuid.uuid4()), TENANT, "*@bench.test", now)])
    yield ("users", ["id", "tenant_id", "email", "sharing_public_key", "signing_public_key",
                     "settings_override", "deactivated", "created_at"],
           ((uid, TENANT, f"user{i}@bench.test", "age1" + secrets.token_hex(29), b64(32), "{}", False, now)
            for i, uid in enumerate(user_ids)))

    def devices():
        kinds = [("Laptop", "desktop", "linux", "6.1"), ("Phone", "phone", "android", "15")]
        for i, uid in enumerate(user_ids):
            for d, (name, kind, os_family, os_version) in zip(device_ids[i], kinds):
                yield (d, TENANT, uid, str(uuid.uuid4()), name, kind, os_family, os_version, "7.4.0",
                       b64(32), "AUTHORIZED", now - 30 * DAY_MS, now - 30 * DAY_MS, None, now - DAY_MS)
    yield ("devices", ["id", "tenant_id", "user_id", "device_uid", "name", "device_type", "os_family",
                       "os_version", "app_version", "public_key", "status", "created_at", "authorized_at",
                       "revoked_at", "last_seen_at"], devices())

    def sessions():
        for i, uid in enumerate(user_ids):
            token = secrets.token_urlsafe(32)
            token_lines.append(token)
            yield (hashlib.sha256(token.encode()).hexdigest(), TENANT, uid, device_ids[i][0],
                   now + 30 * DAY_MS, now)
    yield ("device_sessions", ["token_hash", "tenant_id", "user_id", "device_id", "expires_at", "created_at"],
           sessions())

    def vault_size():
        return int(min(128 * 1024, max(2048, rng.lognormvariate(math.log(12 * 1024), 0.6))))
    yield ("vaults", ["user_id", "encrypted_data", "version", "updated_at"],
           ((uid, sealed(vault_size()), 1, now - DAY_MS) for uid in user_ids))

    kdf = json.dumps({"algorithm": "argon2id", "memoryKib": 65536, "iterations": 3, "parallelism": 1,
                      "salt": b64(16)}, separators=(",", ":"))
    yield ("vault_password_checks", ["user_id", "kdf", "challenge", "response_hash", "updated_at"],
           ((uid, kdf, b64(32), secrets.token_hex(32), now - DAY_MS) for uid in user_ids))

    shared = max(1, users // 10)
    shared_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(shared)]
    yield ("shared_vaults", ["id", "tenant_id", "name", "encrypted_data", "version", "created_at", "updated_at"],
           ((sid, TENANT, f"Team {k}", sealed(rng.randint(2048, 16 * 1024)), 1, now - 10 * DAY_MS + k, now)
            for k, sid in enumerate(shared_ids)))

    def members():
        for sid in shared_ids:
            for rank, uid in enumerate(rng.sample(user_ids, min(5, users))):
                level = "owner" if rank == 0 else ("editor" if rank < 3 else "reader")
                yield (sid, uid, level, b64(200), now - 10 * DAY_MS)
    yield ("shared_vault_members", ["shared_vault_id", "user_id", "access_level", "encrypted_vault_key",
                                    "created_at"], members())


def copy_value(value):
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    if any(c in text for c in "\t\n\r\\"):
        raise ValueError(f"value not safe for COPY text format: {text[:40]!r}")
    return text


def seed_postgres(dbname, data, port=5432):
    psql = subprocess.Popen(
        ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", dbname, "-q", "-v", "ON_ERROR_STOP=1", "-f", "-"],
        stdin=subprocess.PIPE, text=True)
    out = psql.stdin
    out.write("BEGIN;\n")
    for table, columns, rows in data:
        out.write(f"COPY {table} ({', '.join(columns)}) FROM STDIN;\n")
        for row in rows:
            out.write("\t".join(copy_value(v) for v in row))
            out.write("\n")
        out.write("\\.\n")
    # ANALYZE as autovacuum would soon do on a live server after such a load.
    out.write("COMMIT;\nANALYZE;\n")
    out.close()
    if psql.wait() != 0:
        sys.exit("seeding PostgreSQL failed")


def seed_sqlite(path, data):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    for table, columns, rows in data:
        marks = ", ".join("?" for _ in columns)
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    conn.execute("COMMIT")
    # No ANALYZE: the server never runs it, so its query plans have no statistics either.
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--sqlite", metavar="PATH")
    target.add_argument("--postgres", metavar="DBNAME")
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--pg-port", type=int, default=5432,
                        help="port of the PostgreSQL server on 127.0.0.1 (benches/faults use their own cluster)")
    args = parser.parse_args()

    started = time.monotonic()
    tokens = []
    data = tables(args.users, random.Random(1), int(time.time() * 1000), tokens)
    if args.sqlite:
        seed_sqlite(args.sqlite, data)
    else:
        seed_postgres(args.postgres, data, args.pg_port)
    with open(args.tokens, "w") as f:
        f.write("\n".join(tokens) + "\n")
    print(f"seeded {args.users} users ({args.users * 2} devices, {max(1, args.users // 10)} shared vaults) "
          f"in {time.monotonic() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
