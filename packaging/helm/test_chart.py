#!/usr/bin/env python3
"""Assertions on the manifests rendered from helm/upsignon (no cluster needed).

check-chart.sh renders helm/upsignon/ci/<name>.yaml into
.tools/rendered/<name>.yaml, then runs:

    python test_chart.py --rendered .tools/rendered --repo .          # the tests
    python test_chart.py --rendered .tools/rendered --repo . --kinds  # kinds per file

Plain Python 3 and PyYAML, no pytest. Each test prints one line; any failed
assertion makes the exit code 1. What is tested is what matters in
production: security contexts, resources, probes on the health routes over
HTTPS, migrations in hook Jobs that depend on no ordinary resource of the
release, the database URL only ever from a Secret, the secrets key mounted
from a Secret into the server pods only, migrate_on_start false, the
metrics token from a Secret into the server pods only and sent by the
ServiceMonitor, the optional resources rendered only when enabled, and the
UPSIGNON_* variables limited to keys the server knows (docs/configuration.md).
"""

from __future__ import annotations

import argparse
import re
import sys
import traceback
from collections import Counter
from pathlib import Path

import yaml

SERVER_UID = 10001
SHUTDOWN_TIMEOUT_SECS = 30
STATE_MOUNT = "/var/lib/upsignon"
# The server creates its state directory inside the emptyDir with mode 0750
# (an emptyDir itself is 0777, which `upsignon doctor` rightly flags).
STATE_DIR = STATE_MOUNT + "/state"
BACKUP_DIR = "/var/backups/upsignon"
# The secrets key (secrets_key_file): from secretsKey.existingSecret, mounted
# read-only into the server pods only.
SECRETS_KEY_FILE = "/etc/upsignon/secrets/secrets.key"
SECRETS_KEY_SECRET = "upsignon-secrets-key"
STANDARD_LABELS = (
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
)

# What each ci/ values file must render, besides the ConfigMap, Service,
# ServiceAccount, Deployment and the two hook Jobs every file renders.
EXPECTED = {
    "default-values": {"pdb": True, "ingress": False, "cronjob": False, "servicemonitor": False,
                       "inline_secret": False, "tls_files": False, "networkpolicy": False},
    "ingress-values": {"pdb": True, "ingress": True, "cronjob": False, "servicemonitor": False,
                       "inline_secret": False, "tls_files": False, "networkpolicy": True},
    "inline-secret-values": {"pdb": False, "ingress": False, "cronjob": False, "servicemonitor": False,
                             "inline_secret": True, "tls_files": False, "networkpolicy": False},
    "tls-files-values": {"pdb": True, "ingress": False, "cronjob": False, "servicemonitor": False,
                         "inline_secret": False, "tls_files": True, "networkpolicy": False},
    "backup-values": {"pdb": True, "ingress": False, "cronjob": True, "servicemonitor": True,
                      "inline_secret": False, "tls_files": False, "networkpolicy": False},
}
# The Secret and key of the metrics token (metrics.token.*) per ci/ values
# file; absent: no token, so no UPSIGNON_METRICS_TOKEN anywhere.
METRICS_TOKEN = {
    "backup-values": {"name": "upsignon-metrics-token", "key": "token"},
    "tls-files-values": {"name": "upsignon-metrics", "key": "metrics-token"},
}


# ---------------------------------------------------------------- helpers


class Manifests:
    """The documents of one rendered file."""

    def __init__(self, name: str, path: Path):
        self.name = name
        self.docs = [d for d in yaml.safe_load_all(path.read_text()) if d]

    def of_kind(self, kind: str) -> list[dict]:
        return [d for d in self.docs if d["kind"] == kind]

    def one(self, kind: str) -> dict:
        found = self.of_kind(kind)
        assert len(found) == 1, f"expected exactly one {kind}, found {len(found)}"
        return found[0]

    def hooks(self) -> list[dict]:
        return [d for d in self.docs if "helm.sh/hook" in annotations(d)]

    def ordinary(self) -> list[dict]:
        return [d for d in self.docs if "helm.sh/hook" not in annotations(d)]

    def hook_job(self, event: str) -> dict:
        jobs = [j for j in self.of_kind("Job") if event in hook_events(j)]
        assert len(jobs) == 1, f"expected one hook Job on {event}, found {len(jobs)}"
        return jobs[0]

    def deployment(self) -> dict:
        return self.one("Deployment")

    def configmap_env(self) -> dict:
        return self.one("ConfigMap")["data"]


def annotations(doc: dict) -> dict:
    return doc.get("metadata", {}).get("annotations") or {}


def hook_events(doc: dict) -> list[str]:
    return [e.strip() for e in annotations(doc).get("helm.sh/hook", "").split(",") if e.strip()]


def hook_weight(doc: dict) -> int:
    return int(annotations(doc).get("helm.sh/hook-weight", "0"))


def pod_spec(doc: dict) -> dict:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return doc["spec"]["template"]["spec"]


def pod_labels(doc: dict) -> dict:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["metadata"].get("labels", {})
    return doc["spec"]["template"]["metadata"].get("labels", {})


def container(doc: dict) -> dict:
    containers = pod_spec(doc)["containers"]
    assert len(containers) == 1, f"{doc['kind']} {doc['metadata']['name']}: one container expected"
    return containers[0]


def env_map(c: dict) -> dict:
    return {e["name"]: e for e in c.get("env", [])}


def command_line(c: dict) -> list[str]:
    return list(c.get("command", [])) + list(c.get("args", []))


def workloads(m: Manifests) -> list[dict]:
    return [d for d in m.docs if d["kind"] in ("Deployment", "Job", "CronJob")]


def matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def known_config_keys(repo: Path) -> set[str]:
    """The keys of the reference table in docs/configuration.md."""
    text = (repo / "docs" / "configuration.md").read_text()
    keys = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.M))
    assert len(keys) > 10, "could not read the key table of docs/configuration.md"
    return keys


# ---------------------------------------------------------------- tests
# Each test takes (m: Manifests, expect: dict, ctx: dict) and asserts.


def test_standard_labels(m, expect, ctx):
    for d in m.docs:
        labels = d["metadata"].get("labels", {})
        missing = [k for k in STANDARD_LABELS if k not in labels]
        assert not missing, f"{d['kind']} {d['metadata']['name']} lacks labels {missing}"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"


def test_pod_security_context(m, expect, ctx):
    for w in workloads(m):
        sc = pod_spec(w).get("securityContext", {})
        where = f"{w['kind']} {w['metadata']['name']}"
        assert sc.get("runAsNonRoot") is True, f"{where}: pod runAsNonRoot"
        assert sc.get("runAsUser") == SERVER_UID, f"{where}: pod runAsUser {SERVER_UID}"
        assert sc.get("fsGroup") == SERVER_UID, f"{where}: pod fsGroup (Secret files readable by the server)"
        assert sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: seccomp RuntimeDefault"
        assert pod_spec(w).get("automountServiceAccountToken") is False, f"{where}: no API token"
        assert pod_spec(w).get("enableServiceLinks") is False, f"{where}: no service link variables"


def test_container_security_context(m, expect, ctx):
    for w in workloads(m):
        sc = container(w).get("securityContext", {})
        where = f"{w['kind']} {w['metadata']['name']}"
        assert sc.get("runAsNonRoot") is True, f"{where}: container runAsNonRoot"
        assert sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem"
        assert sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation false"
        assert sc.get("privileged") in (None, False), f"{where}: not privileged"
        assert "ALL" in sc.get("capabilities", {}).get("drop", []), f"{where}: capabilities drop ALL"
        assert not sc.get("capabilities", {}).get("add"), f"{where}: no added capability"


def test_writable_dirs_are_emptydirs(m, expect, ctx):
    for w in workloads(m):
        spec = pod_spec(w)
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        mounts = {vm["mountPath"]: vm["name"] for vm in container(w).get("volumeMounts", [])}
        for path in (STATE_MOUNT, "/tmp"):
            assert path in mounts, f"{w['metadata']['name']}: {path} not mounted (read-only root filesystem)"
            assert "emptyDir" in volumes[mounts[path]], f"{w['metadata']['name']}: {path} is not an emptyDir"


def test_resources(m, expect, ctx):
    for w in workloads(m):
        res = container(w).get("resources", {})
        where = f"{w['kind']} {w['metadata']['name']}"
        for kind in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                assert res.get(kind, {}).get(resource), f"{where}: resources.{kind}.{resource} missing"


def test_deployment_basics(m, expect, ctx):
    dep = m.deployment()
    spec = pod_spec(dep)
    c = container(dep)
    assert command_line(c) == ["upsignon", "serve"], f"server runs {command_line(c)}"
    ports = {p["name"]: p for p in c["ports"]}
    assert ports["https"]["containerPort"] == 8443
    assert spec["terminationGracePeriodSeconds"] > SHUTDOWN_TIMEOUT_SECS, \
        "terminationGracePeriodSeconds must exceed shutdown_timeout_secs (30)"
    assert int(m.configmap_env()["UPSIGNON_SHUTDOWN_TIMEOUT_SECS"]) < spec["terminationGracePeriodSeconds"]
    anns = dep["spec"]["template"]["metadata"].get("annotations", {})
    assert re.fullmatch(r"[0-9a-f]{64}", anns.get("checksum/config", "")), "checksum/config annotation"
    if expect["inline_secret"]:
        assert "checksum/database" in anns, "an inline database URL change must roll the pods"
    selector = dep["spec"]["selector"]["matchLabels"]
    assert matches(selector, pod_labels(dep)), "Deployment selector does not match its pods"
    refs = [e for e in c.get("envFrom", []) if "configMapRef" in e]
    assert refs and refs[0]["configMapRef"]["name"] == m.one("ConfigMap")["metadata"]["name"], \
        "server env must come from the chart's ConfigMap"
    if ctx["replicas"](m) > 1:
        aff = spec.get("affinity", {}).get("podAntiAffinity", {})
        assert aff, "several replicas: pod anti-affinity expected"


def test_probes(m, expect, ctx):
    c = container(m.deployment())
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    for probe, path in (("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready"),
                        ("startupProbe", "/health/live")):
        p = c.get(probe)
        assert p, f"{probe} missing"
        get = p["httpGet"]
        assert get["path"] == path, f"{probe} path {get['path']} != {path}"
        assert get["scheme"] == "HTTPS", f"{probe} must use HTTPS"
        port = ports.get(get["port"], get["port"])
        assert port == 8443, f"{probe} port {get['port']} is not 8443"


def test_config_env(m, expect, ctx):
    env = m.configmap_env()
    known = ctx["known_keys"]
    for key in env:
        assert key.startswith("UPSIGNON_"), f"ConfigMap key {key} is not UPSIGNON_*"
        assert key[len("UPSIGNON_"):].lower() in known, f"{key}: not a key the server knows"
    assert env["UPSIGNON_MIGRATE_ON_START"] == "false", "migrate_on_start must be false (hooks migrate)"
    assert env["UPSIGNON_LISTEN"] == "0.0.0.0:8443"
    assert env["UPSIGNON_STATE_DIR"] == STATE_DIR
    assert env["UPSIGNON_LOG_FORMAT"] == "json"
    assert env["UPSIGNON_TLS_MODE"] in ("self-signed", "files")
    assert "UPSIGNON_DATABASE_URL" not in env, "the database URL must never be in the ConfigMap"
    for value in env.values():
        assert "postgres" not in str(value), "a database URL in the ConfigMap"


def test_database_url_from_secret_only(m, expect, ctx):
    secret_names = {s["metadata"]["name"] for s in m.of_kind("Secret")}
    for w in workloads(m):
        c = container(w)
        url = env_map(c).get("UPSIGNON_DATABASE_URL")
        where = f"{w['kind']} {w['metadata']['name']}"
        assert url, f"{where}: UPSIGNON_DATABASE_URL missing"
        assert "value" not in url, f"{where}: UPSIGNON_DATABASE_URL is a literal"
        ref = url["valueFrom"]["secretKeyRef"]
        if expect["inline_secret"]:
            assert ref["name"] in secret_names, f"{where}: refers to {ref['name']}, not rendered"
        else:
            assert ref["name"] == "upsignon-db-app" and ref["key"] == "uri", f"{where}: existingSecret"
        for e in c.get("env", []):
            assert "postgres://" not in str(e.get("value", "")), f"{where}: literal URL in {e['name']}"
    # The URL itself appears only inside Secrets.
    for d in m.docs:
        if d["kind"] != "Secret":
            assert "postgres://" not in yaml.safe_dump(d), f"{d['kind']} {d['metadata']['name']} holds a URL"


def test_migrate_hook(m, expect, ctx):
    job = m.hook_job("pre-install")
    assert sorted(hook_events(job)) == ["pre-install", "pre-upgrade"], hook_events(job)
    c = container(job)
    assert command_line(c) == ["upsignon", "migrate", "up"], command_line(c)
    _check_hook_job(m, job)


def test_rollback_hook(m, expect, ctx):
    job = m.hook_job("pre-rollback")
    assert hook_events(job) == ["pre-rollback"], hook_events(job)
    c = container(job)
    assert command_line(c) == ["upsignon", "migrate", "sync"], command_line(c)
    _check_hook_job(m, job)


def _check_hook_job(m, job):
    name = job["metadata"]["name"]
    policy = annotations(job).get("helm.sh/hook-delete-policy", "")
    for p in ("before-hook-creation", "hook-succeeded"):
        assert p in policy, f"{name}: delete policy lacks {p}"
    spec = job["spec"]
    assert 0 <= spec["backoffLimit"] <= 3, f"{name}: backoffLimit should be small"
    assert spec.get("activeDeadlineSeconds", 0) > 0, f"{name}: activeDeadlineSeconds"
    pod = pod_spec(job)
    assert pod["restartPolicy"] == "Never"
    c = container(job)
    env = env_map(c)
    assert env["UPSIGNON_MIGRATE_ON_START"]["value"] == "false", f"{name}: migrate_on_start must be false"
    # Same settings as the server, inline: at pre-install the ConfigMap does not exist yet.
    cm = m.configmap_env()
    for key, value in cm.items():
        assert env.get(key, {}).get("value") == value, f"{name}: {key} differs from the ConfigMap"
    # No dependency on an ordinary (non-hook) resource of the release.
    ordinary = {(d["kind"], d["metadata"]["name"]) for d in m.ordinary()}
    hooks = {(d["kind"], d["metadata"]["name"]): d for d in m.hooks()}
    for src in c.get("envFrom", []):
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if key in src:
                assert (kind, src[key]["name"]) not in ordinary, f"{name}: envFrom {kind} of the release"
    for e in c.get("env", []):
        ref = e.get("valueFrom", {}).get("secretKeyRef") or e.get("valueFrom", {}).get("configMapKeyRef")
        if not ref:
            continue
        kind = "Secret" if "secretKeyRef" in e["valueFrom"] else "ConfigMap"
        assert (kind, ref["name"]) not in ordinary, \
            f"{name}: {e['name']} reads {kind} {ref['name']}, which does not exist yet at pre-install"
        if (kind, ref["name"]) in hooks:
            dep = hooks[(kind, ref["name"])]
            for event in hook_events(job):
                assert event in hook_events(dep), f"{name}: {kind} {ref['name']} is no {event} hook"
            assert hook_weight(dep) < hook_weight(job), f"{name}: {kind} {ref['name']} must come first"
    for vol in pod.get("volumes", []):
        for kind, key, field in (("ConfigMap", "configMap", "name"), ("Secret", "secret", "secretName")):
            if key in vol:
                assert (kind, vol[key][field]) not in ordinary, f"{name}: mounts {kind} of the release"
    sa = pod.get("serviceAccountName")
    assert sa is None or ("ServiceAccount", sa) not in ordinary, \
        f"{name}: ServiceAccount {sa} does not exist yet at pre-install"
    # Hook pods must never become endpoints of the Service or count for the PDB.
    svc_selector = m.one("Service")["spec"]["selector"]
    assert not matches(svc_selector, pod_labels(job)), f"{name}: its pods would receive traffic"


def test_service(m, expect, ctx):
    svc = m.one("Service")
    ports = svc["spec"]["ports"]
    assert len(ports) == 1
    p = ports[0]
    assert p["name"] == "https" and p["targetPort"] in ("https", 8443), p
    if m.name == "tls-files-values":
        assert svc["spec"]["type"] == "LoadBalancer"
    else:
        assert svc["spec"]["type"] == "ClusterIP" and p["port"] == 443
    assert matches(svc["spec"]["selector"], pod_labels(m.deployment())), "Service selects no server pod"


def test_service_account(m, expect, ctx):
    sa = m.one("ServiceAccount")
    assert sa.get("automountServiceAccountToken") is False
    assert pod_spec(m.deployment())["serviceAccountName"] == sa["metadata"]["name"]


def test_pdb(m, expect, ctx):
    pdbs = m.of_kind("PodDisruptionBudget")
    if not expect["pdb"]:
        assert not pdbs, "no PodDisruptionBudget with a single replica"
        return
    assert len(pdbs) == 1, "PodDisruptionBudget missing"
    spec = pdbs[0]["spec"]
    assert spec.get("minAvailable") == 1 or spec.get("maxUnavailable") == 1, spec
    assert matches(spec["selector"]["matchLabels"], pod_labels(m.deployment()))
    assert ctx["replicas"](m) > 1


def test_ingress_only_when_enabled(m, expect, ctx):
    ings = m.of_kind("Ingress")
    if not expect["ingress"]:
        assert not ings, "Ingress rendered although disabled"
        return
    ing = m.one("Ingress")
    assert ing["spec"]["ingressClassName"] == "nginx"
    assert ing["spec"]["tls"][0]["secretName"], "ingress TLS"
    assert annotations(ing).get("nginx.ingress.kubernetes.io/backend-protocol") == "HTTPS"
    svc = m.one("Service")["metadata"]["name"]
    for rule in ing["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == svc and backend["port"].get("name") == "https", backend


def test_networkpolicy_only_when_enabled(m, expect, ctx):
    nps = m.of_kind("NetworkPolicy")
    if not expect["networkpolicy"]:
        assert not nps, "NetworkPolicy rendered although disabled"
        return
    np = m.one("NetworkPolicy")
    assert matches(np["spec"]["podSelector"]["matchLabels"], pod_labels(m.deployment()))
    assert np["spec"]["ingress"][0]["ports"][0]["port"] in ("https", 8443)


def test_inline_secret(m, expect, ctx):
    secrets = m.of_kind("Secret")
    if not expect["inline_secret"]:
        assert not secrets, "the chart must not create a Secret with database.existingSecret"
        return
    ordinary = [s for s in secrets if "helm.sh/hook" not in annotations(s)]
    hooks = [s for s in secrets if "helm.sh/hook" in annotations(s)]
    assert len(ordinary) == 1 and len(hooks) == 1, "one release Secret and one hook copy"
    assert "database_url" in ordinary[0]["data"] and "database_url" in hooks[0]["data"]
    assert hook_weight(hooks[0]) < 0
    assert "hook-succeeded" in annotations(hooks[0])["helm.sh/hook-delete-policy"]
    dep_ref = env_map(container(m.deployment()))["UPSIGNON_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    assert dep_ref["name"] == ordinary[0]["metadata"]["name"], "the server reads the release Secret"


def test_tls_files(m, expect, ctx):
    dep = m.deployment()
    env = m.configmap_env()
    volumes = {v["name"]: v for v in pod_spec(dep)["volumes"]}
    secret_vols = [v for v in volumes.values() if "secret" in v]
    if not expect["tls_files"]:
        assert env["UPSIGNON_TLS_MODE"] == "self-signed"
        assert "tls" not in volumes, "no TLS Secret mounted in self-signed mode"
        assert [v["secret"]["secretName"] for v in secret_vols] == [SECRETS_KEY_SECRET], \
            "in self-signed mode the only Secret mounted is the secrets key"
        return
    assert env["UPSIGNON_TLS_MODE"] == "files"
    vol = volumes["tls"]["secret"]
    assert vol["secretName"] == "upsignon-tls"
    assert vol["defaultMode"] in (0o400, 0o600), f"key mode {oct(vol['defaultMode'])}"
    mount = next(vm for vm in container(dep)["volumeMounts"] if vm["name"] == "tls")
    assert mount.get("readOnly") is True
    for key in ("UPSIGNON_TLS_CERT", "UPSIGNON_TLS_KEY"):
        assert env[key].startswith(mount["mountPath"] + "/"), f"{key} outside the mounted Secret"


def test_secrets_key(m, expect, ctx):
    # The server pods read the same key from the Secret (never one generated
    # per pod): a read-only mount, mode 0400, the variable naming the file.
    dep = m.deployment()
    c = container(dep)
    env = env_map(c)
    assert "UPSIGNON_SECRETS_KEY_FILE" not in m.configmap_env(), \
        "UPSIGNON_SECRETS_KEY_FILE belongs to the server container, which alone mounts the key"
    key_env = env.get("UPSIGNON_SECRETS_KEY_FILE")
    assert key_env and key_env.get("value") == SECRETS_KEY_FILE, f"UPSIGNON_SECRETS_KEY_FILE: {key_env}"
    mounts = [vm for vm in c["volumeMounts"] if SECRETS_KEY_FILE.startswith(vm["mountPath"] + "/")]
    assert len(mounts) == 1, f"{SECRETS_KEY_FILE} is not under exactly one mount: {mounts}"
    mount = mounts[0]
    assert mount.get("readOnly") is True, "secrets key mount must be read-only"
    assert not mount["mountPath"].startswith(STATE_MOUNT), "secrets key inside the emptyDir state"
    vol = {v["name"]: v for v in pod_spec(dep)["volumes"]}[mount["name"]]
    assert set(vol) == {"name", "secret"}, f"secrets key volume is not a plain Secret volume: {vol}"
    secret = vol["secret"]
    assert secret["secretName"] == SECRETS_KEY_SECRET, secret["secretName"]
    # 0400: the kubelet adds group read for fsGroup (root:10001 0440); any
    # wider mode would also give it to others.
    assert secret["defaultMode"] == 0o400, f"secrets key mode {oct(secret['defaultMode'])}"
    assert not secret.get("optional"), "a missing secrets key Secret must stop the pod, not start it keyless"
    want_key = "key" if m.name == "tls-files-values" else "secrets.key"
    file_name = SECRETS_KEY_FILE[len(mount["mountPath"]) + 1:]
    assert secret["items"] == [{"key": want_key, "path": file_name}], secret["items"]
    # The key goes only where `upsignon serve` runs: not into hook Jobs or
    # the backup CronJob.
    for w in workloads(m):
        if w is dep:
            continue
        names = {v.get("secret", {}).get("secretName") for v in pod_spec(w).get("volumes", [])}
        assert SECRETS_KEY_SECRET not in names, f"{w['kind']} {w['metadata']['name']} mounts the secrets key"
        assert "UPSIGNON_SECRETS_KEY_FILE" not in env_map(container(w))


def test_cronjob_only_when_enabled(m, expect, ctx):
    cjs = m.of_kind("CronJob")
    if not expect["cronjob"]:
        assert not cjs, "backup CronJob rendered although disabled"
        return
    cj = m.one("CronJob")
    assert cj["spec"]["concurrencyPolicy"] == "Forbid"
    c = container(cj)
    assert command_line(c) == ["upsignon", "backup"], command_line(c)
    spec = pod_spec(cj)
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {vm["mountPath"]: vm for vm in c["volumeMounts"]}
    assert BACKUP_DIR in mounts, "backup dir not mounted"
    assert volumes[mounts[BACKUP_DIR]["name"]]["persistentVolumeClaim"]["claimName"] == "upsignon-backups"
    env = env_map(c)
    key_file = env["UPSIGNON_BACKUP_KEY_FILE"]["value"]
    key_mount = next(vm for path, vm in mounts.items() if key_file.startswith(path + "/"))
    assert key_mount.get("readOnly") is True
    key_vol = volumes[key_mount["name"]]["secret"]
    assert key_vol["secretName"] == "upsignon-backup-key" and key_vol["defaultMode"] == 0o400
    assert m.configmap_env()["UPSIGNON_BACKUP_DIR"] == BACKUP_DIR
    assert not matches(m.one("Service")["spec"]["selector"], pod_labels(cj)), "backup pods would get traffic"


def test_servicemonitor_only_when_enabled(m, expect, ctx):
    sms = m.of_kind("ServiceMonitor")
    if not expect["servicemonitor"]:
        assert not sms, "ServiceMonitor rendered although disabled"
        return
    # kubernetes-validate has no schema for this CRD: check its shape here
    # (fields of monitoring.coreos.com/v1 ServiceMonitor).
    sm = m.one("ServiceMonitor")
    assert sm["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(sm) <= {"apiVersion", "kind", "metadata", "spec"}
    assert set(sm["spec"]) <= {"selector", "namespaceSelector", "endpoints", "jobLabel",
                               "podTargetLabels", "targetLabels", "sampleLimit"}
    svc = m.one("Service")
    assert matches(sm["spec"]["selector"]["matchLabels"], svc["metadata"]["labels"]), \
        "ServiceMonitor selects no Service"
    assert sm["metadata"]["labels"].get("release") == "prometheus"
    endpoint_fields = {"port", "scheme", "path", "interval", "scrapeTimeout", "tlsConfig",
                       "honorLabels", "relabelings", "metricRelabelings", "bearerTokenSecret",
                       "authorization", "basicAuth", "params"}
    # The server answers /metrics only with the bearer token (401 without,
    # 404 with no token configured): the chart refuses a ServiceMonitor
    # without metrics.token, so every rendered one has a token.
    token = METRICS_TOKEN.get(m.name)
    assert token, "a ServiceMonitor rendered without metrics.token (its scrapes would get 404)"
    for ep in sm["spec"]["endpoints"]:
        assert set(ep) <= endpoint_fields, f"unknown endpoint fields {set(ep) - endpoint_fields}"
        assert ep["port"] == "https" and ep["scheme"] == "https" and ep["path"] == "/metrics"
        assert re.fullmatch(r"[0-9]+(ms|s|m|h)", ep["interval"])
        # monitoring.coreos.com/v1 SafeAuthorization: type and a SecretKeySelector
        # (the Secret in the ServiceMonitor's namespace).
        auth = ep.get("authorization")
        assert auth == {"type": "Bearer", "credentials": token}, f"endpoint authorization: {auth}"
        assert "bearerTokenSecret" not in ep and "basicAuth" not in ep, "one way of sending the token"
    # The Deployment reads the token from the same Secret and key.
    ref = env_map(container(m.deployment()))["UPSIGNON_METRICS_TOKEN"]["valueFrom"]["secretKeyRef"]
    assert ref == token, f"ServiceMonitor sends {token}, the server reads {ref}"


def test_metrics_token(m, expect, ctx):
    # UPSIGNON_METRICS_TOKEN from metrics.token.existingSecret, in the server
    # pods only: never a literal, never in the ConfigMap, never in the hook
    # Jobs or the backup CronJob (they serve nothing).
    token = METRICS_TOKEN.get(m.name)
    dep = m.deployment()
    assert "UPSIGNON_METRICS_TOKEN" not in m.configmap_env(), "the metrics token in the ConfigMap"
    env = env_map(container(dep))
    if not token:
        assert "UPSIGNON_METRICS_TOKEN" not in env, "UPSIGNON_METRICS_TOKEN without metrics.token"
    else:
        var = env.get("UPSIGNON_METRICS_TOKEN")
        assert var, "UPSIGNON_METRICS_TOKEN missing from the server container"
        assert set(var) == {"name", "valueFrom"}, f"UPSIGNON_METRICS_TOKEN is not from a Secret: {var}"
        ref = var["valueFrom"]["secretKeyRef"]
        assert {k: ref[k] for k in ("name", "key")} == token, f"UPSIGNON_METRICS_TOKEN from {ref}"
        assert not ref.get("optional"), "a missing metrics token Secret must stop the pod"
        names = [e["name"] for e in container(dep)["env"]]
        assert names.count("UPSIGNON_METRICS_TOKEN") == 1, "UPSIGNON_METRICS_TOKEN set twice"
    for w in workloads(m):
        if w is dep:
            continue
        c = container(w)
        where = f"{w['kind']} {w['metadata']['name']}"
        assert "UPSIGNON_METRICS_TOKEN" not in env_map(c), f"{where} gets the metrics token"
        if token:
            refs = [e.get("valueFrom", {}).get("secretKeyRef", {}).get("name") for e in c.get("env", [])]
            refs += [src.get("secretRef", {}).get("name") for src in c.get("envFrom", [])]
            assert token["name"] not in refs, f"{where} reads the metrics token Secret"


def test_no_unexpected_kinds(m, expect, ctx):
    allowed = {"ConfigMap", "Service", "ServiceAccount", "Deployment", "Job"}
    allowed |= {k for k, flag in (("PodDisruptionBudget", "pdb"), ("Ingress", "ingress"),
                                  ("CronJob", "cronjob"), ("ServiceMonitor", "servicemonitor"),
                                  ("Secret", "inline_secret"), ("NetworkPolicy", "networkpolicy"))
                if expect[flag]}
    kinds = {d["kind"] for d in m.docs}
    assert kinds == allowed, f"kinds {sorted(kinds)} != expected {sorted(allowed)}"
    assert len(m.of_kind("Job")) == 2 and all(hook_events(j) for j in m.of_kind("Job")), \
        "exactly two Jobs, both hooks"


TESTS = [v for k, v in sorted(globals().items()) if k.startswith("test_") and callable(v)]


# ---------------------------------------------------------------- main


def print_kinds(files: list[Manifests]) -> None:
    for m in files:
        counts = Counter()
        for d in m.docs:
            suffix = " (hook: " + ",".join(hook_events(d)) + ")" if hook_events(d) else ""
            counts[d["kind"] + suffix] += 1
        listing = ", ".join(f"{k} x{n}" if n > 1 else k for k, n in sorted(counts.items()))
        print(f"ci/{m.name}.yaml: {listing}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rendered", type=Path, required=True, help="directory of <name>.yaml")
    parser.add_argument("--repo", type=Path, required=True, help="repository root")
    parser.add_argument("--kinds", action="store_true", help="only print the kinds per file")
    args = parser.parse_args()

    files = []
    for name in EXPECTED:
        path = args.rendered / f"{name}.yaml"
        if not path.is_file():
            print(f"FAIL missing rendered file {path} (is helm/upsignon/ci/{name}.yaml there?)")
            return 1
        files.append(Manifests(name, path))
    extra = {p.stem for p in args.rendered.glob("*.yaml") if "." not in p.stem} - set(EXPECTED)
    if extra:
        print(f"FAIL rendered files without expectations in test_chart.py: {sorted(extra)}")
        return 1

    if args.kinds:
        print_kinds(files)
        return 0

    ctx = {
        "known_keys": known_config_keys(args.repo),
        "replicas": lambda m: m.deployment()["spec"]["replicas"],
    }
    failures = 0
    for m in files:
        for test in TESTS:
            label = f"{m.name}: {test.__name__}"
            try:
                test(m, EXPECTED[m.name], ctx)
            except Exception as error:  # noqa: BLE001 - report every kind of failure
                failures += 1
                kind = "" if isinstance(error, AssertionError) else f"{type(error).__name__}: "
                print(f"FAIL {label}: {kind}{error}")
                if not isinstance(error, AssertionError):
                    traceback.print_exc()
            else:
                print(f"ok   {label}")
    total = len(files) * len(TESTS)
    print(f"\n{total - failures} passed, {failures} failed ({len(TESTS)} tests x {len(files)} values files)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
