#!/usr/bin/env python3
"""Writes crates/upsignon-api/openapi.json, the OpenAPI document of the client
API, from the route table below. Edit the table when a route changes, run
this script, and commit both; `cargo test -p upsignon-api --test openapi`
checks the router and real answers against the document."""
import json
import pathlib

S = {"type": "string"}
I = {"type": "integer"}
B = {"type": "boolean"}
NS = {"type": ["string", "null"]}
NI = {"type": ["integer", "null"]}
ANY_OBJ = {"type": "object"}
U32 = {"type": "integer", "minimum": 0, "maximum": 4294967295}
EMAIL = {"type": "string", "format": "email"}
# A name the server trims, then wants 1 to 128 characters of.
NAME = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "\\S"}
NNAME = {**NAME, "type": ["string", "null"]}
LEVEL = {"type": "string", "enum": ["reader", "editor", "owner"]}
# Standard base64 of the 32 bytes of an Ed25519 public key.
PUBLIC_KEY = {"type": "string", "pattern": "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$",
              "description": "An Ed25519 public key, standard base64 (44 characters)."}
APP_EVENTS = ["csv_export", "vault_unlocked", "password_copied", "autofill_used", "master_password_changed"]


def obj(required, optional=None):
    props = dict(required)
    props.update(optional or {})
    return {"type": "object", "required": sorted(required), "properties": props}


def arr(items):
    return {"type": "array", "items": items}


def nullable(schema):
    """An optional field the server also takes as null."""
    return {**schema, "type": [schema["type"], "null"]}


DEVICE = {"userEmail": EMAIL, "deviceId": S}
SIGNED = {"deviceChallengeResponse": S}
KDF = obj({"algorithm": S, "memoryKib": I, "iterations": I, "salt": S})
SHARED = obj({"id": S, "name": S, "encryptedData": S, "version": I, "updatedAt": I,
              "encryptedKey": S, "accessLevel": LEVEL})
DETAILS = obj({"accounts": {**arr(obj({"id": S, "urls": arr(S)}, {"login": NS})), "maxItems": 5000}})
STATS = obj({k: U32 for k in ["nbAccounts", "nbCodes", "nbAccountsStrong", "nbAccountsMedium",
                            "nbAccountsWeak", "nbAccountsWithDuplicatedPassword",
                            "nbAccountsWithNoPassword"]})
DEVICE_ITEM = obj({"deviceId": S, "deviceName": S, "osFamily": S, "status": S, "createdAt": I,
                   "current": B},
                  {"deviceType": NS, "osNameAndVersion": NS, "appVersion": NS,
                   "authorizedAt": NI, "revokedAt": NI})

# route: (summary, auth, request schema or None, {status: response schema or None}, errors)
ROUTES = [
    ("bank-config", "The tenant's name and policies for the apps.", None, None,
     {"200": obj({"bankName": S, "offlineMode": B, "csvExport": B, "preventUpdatePopup": B,
                  "passwordPolicy": obj({"minLength": I}), "sessionMinutes": I},
                 {"newUrl": NS})}, []),
    ("url-list", "The tenant's company URLs for autofill.", "session", None,
     {"200": obj({"urlList": arr(ANY_OBJ)})}, ["401"]),
    ("request-device-access", "A device asks for access; a code is emailed.", None,
     obj({**DEVICE, "deviceId": {"type": "string", "minLength": 1, "maxLength": 128},
          "devicePublicKey": PUBLIC_KEY, "deviceName": {"type": "string", "minLength": 1, "maxLength": 128},
          "osFamily": {"type": "string", "minLength": 1, "maxLength": 32}},
         {"deviceType": NS, "osNameAndVersion": NS, "appVersion": NS}),
     {"200": obj({"authorizationStatus": {"type": "string",
                                          "enum": ["MAIL_SENT", "PENDING_APPROVAL", "AUTHORIZED"]}})},
     ["403", "429", "500"]),
    ("check-device", "The device signs a challenge and gives the emailed code.", "device", 
     obj({**DEVICE, "deviceValidationCode": S}, {"deviceChallengeResponse": NS}),
     {"200": obj({"authorizationStatus": {"type": "string", "enum": ["AUTHORIZED", "PENDING_ADMIN_APPROVAL"]}})},
     ["401", "403", "429"]),
    ("get-authentication-challenges", "A device challenge, the password challenge and the KDF settings.", None,
     obj(DEVICE), {"200": obj({"deviceChallenge": S, "passwordChallenge": S, "kdf": KDF})}, ["403", "429"]),
    ("authenticate", "Signed challenge and password answer give a session.", "device",
     obj({**DEVICE, **SIGNED, "passwordChallengeResponse": S}),
     {"200": obj({"deviceSession": S, "expiresInSecs": I})}, ["401", "403", "429"]),
    ("disconnect", "Ends the session.", "session", None, {"204": None}, ["401"]),
    ("add-new-data", "Creates the user's vault and opens a session.", "device",
     obj({**DEVICE, **SIGNED, "newEncryptedData": S, "kdf": ANY_OBJ, "passwordChallenge": S,
          "passwordChallengeResponse": S, "sharingPublicKey": S, "signingPublicKey": S}),
     {"200": obj({"version": I, "deviceSession": S, "offlineMode": B, "csvExport": B})}, ["401", "403"]),
    ("get-vault-data", "The vault and its shared vaults, with an ETag.", "session", None,
     {"200": obj({"encryptedData": S, "version": I, "updatedAt": I, "offlineMode": B,
                  "csvExport": B, "sharedVaults": arr(SHARED)}), "304": None}, ["401", "403"]),
    ("update-vault-data", "Writes the vault if the version read is current.", "session",
     obj({"newEncryptedData": S, "version": I}, {"vaultStats": nullable(STATS)}),
     {"200": obj({"version": I})}, ["401", "403", "409"]),
    ("get-authorized-devices", "The user's devices.", "session", None,
     {"200": obj({"devices": arr(DEVICE_ITEM)})}, ["401"]),
    ("rename-device", "Renames one of the user's devices.", "session",
     obj({"deviceToRename": S, "newName": NAME}), {"204": None}, ["401", "403"]),
    ("revoke-device", "Revokes one of the user's devices.", "session",
     obj({"deviceToDelete": S}), {"204": None}, ["401", "403"]),
    ("update-device-metadata", "The device reports its name, OS and app version.", "device",
     obj(DEVICE, {"deviceChallengeResponse": NS, "deviceName": NNAME, "osNameAndVersion": NNAME,
                  "appVersion": NNAME}),
     {"204": None}, ["401", "403"]),
    ("delete-account", "Deletes the user and everything of theirs.", "session", None,
     {"204": None}, ["401", "403"]),
    ("log-event", "Reports an event to the tenant's audit log.", "session",
     obj({"event": {"type": "string", "enum": APP_EVENTS}}, {"details": {**NS, "maxLength": 500}}),
     {"204": None}, ["401"]),
    ("backup-password", "Stores devices' own encrypted password copies.", "session",
     obj({"backups": arr(obj({"deviceId": S, "encryptedPassword": S}))}), {"204": None}, ["401", "403"]),
    ("request-password-reset", "Asks to get the password copy back.", "device",
     obj(DEVICE, {"deviceChallengeResponse": NS}),
     {"200": obj({"resetStatus": {"type": "string", "enum": ["mail_sent", "pending_admin_check"]}})},
     ["401", "403", "429", "500"]),
    ("get-password-backup", "The device's password copy, with a granted reset's token.", "device",
     obj({**DEVICE, "resetToken": S}, {"deviceChallengeResponse": NS}),
     {"200": obj({"encryptedPasswordBackup": S})}, ["401", "403", "429"]),
    ("create-shared-vault", "Creates a shared vault; the caller is its owner.", "session",
     obj({"sharedVaultName": NAME, "encryptedData": S, "encryptedSharedVaultKey": S},
         {"contentDetails": nullable(DETAILS)}),
     {"200": obj({"sharedVaultId": S, "version": I})}, ["401"]),
    ("get-shared-vault-data", "A shared vault, for a member.", "session",
     obj({"sharedVaultId": S}), {"200": obj({"sharedVault": SHARED})}, ["401", "403"]),
    ("update-shared-vault-data", "Writes a shared vault (editor or owner) if the version is current.", "session",
     obj({"sharedVaultId": S, "newEncryptedData": S, "version": I},
         {"contentDetails": nullable(DETAILS), "vaultStats": nullable(STATS)}),
     {"200": obj({"version": I})}, ["401", "403", "409"]),
    ("rename-shared-vault", "Renames a shared vault (owner).", "session",
     obj({"sharedVaultId": S, "newName": NAME}), {"204": None}, ["401", "403"]),
    ("delete-shared-vault", "Deletes a shared vault (owner).", "session",
     obj({"sharedVaultId": S}), {"204": None}, ["401", "403"]),
    ("get-recipient-public-key", "A colleague's id and public sharing key.", "session",
     obj({"emailAddress": EMAIL}), {"200": obj({"id": S, "publicKey": S})}, ["401", "403"]),
    ("get-matching-email-addresses-for-sharing", "Colleagues' addresses starting with a prefix.", "session",
     # At least 3 characters once trimmed.
     obj({"emailAddressSearch": {"type": "string", "minLength": 3, "pattern": "\\S[\\s\\S]+\\S"}}),
     {"200": obj({"emails": arr(S)})}, ["401"]),
    ("add-recipient-to-shared-vault", "Shares a vault with a colleague (owner).", "session",
     obj({"sharedVaultId": S, "recipientId": S, "encryptedSharedVaultKey": S, "accessLevel": LEVEL}),
     {"204": None}, ["401", "403"]),
    ("get-recipients-for-shared-vault", "A shared vault's members (members only).", "session",
     obj({"sharedVaultId": S}),
     {"200": obj({"recipients": arr(obj({"id": S, "email": S, "accessLevel": LEVEL}))})}, ["401", "403"]),
    ("update-recipient-rights-on-shared-vault", "Changes a member's right (owner).", "session",
     obj({"sharedVaultId": S, "recipientId": S, "accessLevel": LEVEL}), {"204": None}, ["401", "403"]),
    ("remove-recipient-from-shared-vault", "Removes a member (owner, or the member themself).", "session",
     obj({"sharedVaultId": S, "recipientId": S}), {"204": None}, ["401", "403"]),
]

ERROR_TEXT = {
    "400": "Malformed JSON, a wrong field, or bad input (`error`, `detail`); `invalid_field` for text "
           "holding a control character other than tab, line feed and carriage return (NUL included).",
    "401": "Not proven: no or bad session, or a challenge to sign.",
    "403": "Refused, with the reason in `error`.",
    "404": "Unknown tenant.",
    "409": "Outdated version; `currentVersion` says the current one.",
    "410": "The tenant moved; `newUrl` says where.",
    "413": "Body too large (`body_too_large`), or a vault above `vault_max_bytes` (`vault_too_large`).",
    "415": "Not JSON.",
    "429": "Too many attempts from this address or on this account: retry after `Retry-After` seconds "
           "(`retryAfterSecs`).",
    "500": "Internal error (or mail not sent); details only in the server's log.",
    "503": "Maintenance, standby, database unreachable or request timed out (`reason`): retry later "
           "(`Retry-After`), keep working offline.",
}


RETRY_AFTER = {"Retry-After": {"required": True, "schema": {"type": "string"},
                               "description": "Seconds to wait before retrying."}}


def response(schema, description, headers=None):
    answer = {"description": description}
    if headers:
        answer["headers"] = headers
    if schema is not None:
        answer["content"] = {"application/json": {"schema": schema}}
    return answer


def operation(route, summary, auth, request, successes, errors):
    op = {
        "operationId": route,
        "summary": summary,
        "parameters": [{"name": "tenant", "in": "path", "required": True, "schema": S,
                        "description": "The tenant's name in URLs."}],
        "responses": {},
    }
    # A route without a request schema reads no body: whatever is sent is ignored.
    if request is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": request}}}
    if route == "get-vault-data":
        op["parameters"].append({"name": "If-None-Match", "in": "header", "required": False, "schema": S,
                                 "description": "The ETag of the last answer: 304 while it is current."})
    if auth == "session":
        op["security"] = [{"session": []}]
    for status, schema in successes.items():
        text = {"200": "OK.", "204": "Done, no body.", "304": "Unchanged since the ETag sent."}[status]
        op["responses"][status] = response(schema, text)
        if route == "get-vault-data":
            op["responses"][status]["headers"] = {"ETag": {"required": True, "schema": S, "description":
                                                           "Changes when the vault or one of its shared vaults does."}}
    for status in sorted(set(errors) | {"400", "404", "410", "413", "415", "503"}):
        op["responses"][status] = {"$ref": f"#/components/responses/E{status}"}
    return {"post": op}


def health():
    instance = {"type": "string",
                "description": "A random token of this server start; the pid file names it too."}
    ready = obj({"status": S, "version": S},
                {"schema": NS, "reason": S, "standby": ANY_OBJ, "instance": instance})
    return {
        "/health/live": {"get": {"operationId": "health-live", "summary": "The process answers.",
                                  "responses": {"200": response(obj({"status": S}), "Live.")}}},
        "/health/ready": {"get": {"operationId": "health-ready",
                                   "summary": "Ready to serve (database, schema, not maintenance, not standby).",
                                   "responses": {"200": response(ready, "Ready."),
                                                 "503": response(ready, "Not ready, with `reason`.",
                                                                 RETRY_AFTER)}}},
        "/version": {"get": {"operationId": "version", "summary": "Server version and schema.",
                              "responses": {"200": response(obj({"version": S}, {"schema": NS}), "Version.")}}},
    }


def document():
    paths = {}
    for route, summary, auth, request, successes, errors in ROUTES:
        paths[f"/{{tenant}}/api2/{route}"] = operation(route, summary, auth, request, successes, errors)
    paths.update(health())
    error = obj({"error": S}, {"detail": S, "currentVersion": I, "newUrl": NS, "reason": S,
                               "deviceChallenge": S, "retryAfterSecs": I})
    return {
        "openapi": "3.1.0",
        "info": {"title": "UpSignOn PRO server client API", "version": "0.1.0",
                 "description": "What the password-manager apps call. See docs/client-api.md."},
        "paths": paths,
        "components": {
            "securitySchemes": {"session": {"type": "http", "scheme": "bearer",
                                            "description": "The deviceSession from authenticate or add-new-data."}},
            "schemas": {"Error": error},
            "responses": {f"E{code}": response({"$ref": "#/components/schemas/Error"}, text,
                                               RETRY_AFTER if code in ("429", "503") else None)
                          for code, text in ERROR_TEXT.items()},
        },
    }


if __name__ == "__main__":
    out = pathlib.Path(__file__).resolve().parent.parent / "openapi.json"
    out.write_text(json.dumps(document(), indent=2) + "\n")
    print(f"wrote {out} ({len(document()['paths'])} paths)")
