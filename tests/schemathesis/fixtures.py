#!/usr/bin/env python3
"""Prepares a database seeded by benches/lib/seed.py (tenant `bench`) for the
schemathesis run, and writes what the run needs into OUT:

  main.token   the session of the main user (user0@bench.test): every
               signed-in request is sent with it;
  pool.tokens  sessions of other users, one per line, each spent by one
               request that ends its session or its account (disconnect,
               delete-account);
  dict/*.txt   real values for request fields (dictionaries): the main
               user's email, device ids and shared vaults, colleagues' ids
               and emails, so that generated requests reach the answers
               behind the not-found checks too.

It adds shared vaults of the main user (inserted as seed.py does, nothing
goes through the API): KEPT vaults with two colleagues as editor and
reader, and DISPOSABLE vaults that only delete-shared-vault is given.

Usage: fixtures.py (--sqlite PATH | --postgres DBNAME) --tokens FILE --out DIR [--disposable N]
"""
import argparse
import base64
import json
import os
import sqlite3
import subprocess
import sys
import time
import uuid

TENANT = "t-bench"
KEPT = 3


def b64(n):
    return base64.b64encode(os.urandom(n)).decode()


class Db:
    def __init__(self, sqlite=None, postgres=None):
        self.sqlite = sqlite3.connect(sqlite, isolation_level=None) if sqlite else None
        self.postgres = postgres

    def query(self, sql, args=()):
        if self.sqlite:
            return [tuple(str(v) for v in row) for row in self.sqlite.execute(sql, args)]
        # Only this script's own literals go into the statements.
        for a in args:
            sql = sql.replace("?", "'" + str(a).replace("'", "''") + "'", 1)
        out = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", self.postgres, "-qtAX",
                              "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]

    def insert(self, table, columns, rows):
        if not rows:
            return
        if self.sqlite:
            marks = ", ".join("?" for _ in columns)
            self.sqlite.execute("BEGIN")
            self.sqlite.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            self.sqlite.execute("COMMIT")
            return

        def lit(v):
            return "'" + str(v).replace("'", "''") + "'"
        values = ",\n".join("(" + ", ".join(lit(v) for v in row) + ")" for row in rows)
        self.query(f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--sqlite", metavar="PATH")
    target.add_argument("--postgres", metavar="DBNAME")
    parser.add_argument("--tokens", required=True, help="the token file seed.py wrote")
    parser.add_argument("--out", required=True)
    parser.add_argument("--disposable", type=int, default=100)
    args = parser.parse_args()

    db = Db(args.sqlite, args.postgres)
    tokens = open(args.tokens).read().split()
    # seed.py names users user{i}@bench.test and writes token i for user i.
    users = {int(email.split("@")[0][4:]): (uid, email)
             for uid, email in db.query("SELECT id, email FROM users WHERE tenant_id = ?", (TENANT,))}
    if len(users) < 20 or len(tokens) != len(users):
        sys.exit(f"fixtures.py: expected the seed of at least 20 users and their tokens, found {len(users)} users "
                 f"and {len(tokens)} tokens")
    main_id, main_email = users[0]
    # The session is on the first device (the laptop); the phone can be
    # renamed and revoked without ending it.
    devices = {kind: uid for kind, uid in db.query(
        "SELECT device_type, device_uid FROM devices WHERE user_id = ?", (main_id,))}
    colleagues = [users[i] for i in range(1, 6)]

    now = int(time.time() * 1000)
    kept = [str(uuid.uuid4()) for _ in range(KEPT)]
    disposable = [str(uuid.uuid4()) for _ in range(args.disposable)]
    db.insert("shared_vaults", ["id", "tenant_id", "name", "encrypted_data", "version", "created_at", "updated_at"],
              [(sid, TENANT, f"Fuzz {k}", "x1." + b64(600), 1, now, now)
               for k, sid in enumerate(kept + disposable)])
    members = []
    for sid in kept + disposable:
        members.append((sid, main_id, "owner", b64(200), now))
    for sid in kept:
        members.append((sid, colleagues[0][0], "editor", b64(200), now))
        members.append((sid, colleagues[1][0], "reader", b64(200), now))
    db.insert("shared_vault_members", ["shared_vault_id", "user_id", "access_level", "encrypted_vault_key",
                                       "created_at"], members)

    os.makedirs(os.path.join(args.out, "dict"), exist_ok=True)

    def write(name, lines):
        with open(os.path.join(args.out, name), "w") as f:
            f.write("\n".join(lines) + "\n")
    def dictionary(name, values):
        # One JSON string a line, as schemathesis' dictionary files want.
        write(f"dict/{name}.txt", [json.dumps(v) for v in values])
    write("main.token", [tokens[0]])
    # Users 20 and beyond are in no dictionary: spending them changes nothing else.
    write("pool.tokens", tokens[20:])
    dictionary("user_email", [main_email])
    dictionary("device_id", [devices["desktop"], devices["phone"]])
    dictionary("device_to_rename", [devices["desktop"], devices["phone"]])
    dictionary("device_to_delete", [devices["phone"]])
    dictionary("shared_vault_id", kept)
    dictionary("disposable_vault_id", disposable)
    dictionary("recipient_id", [uid for uid, _ in colleagues])
    dictionary("email_address", [email for _, email in colleagues])
    dictionary("email_search", ["user", "user1", "USER2@bench"])
    dictionary("access_level", ["reader", "editor", "owner"])
    print(f"fixtures: main user {main_email}, {KEPT} kept and {len(disposable)} disposable shared vaults, "
          f"{len(tokens) - 20} spare sessions", file=sys.stderr)


if __name__ == "__main__":
    main()
