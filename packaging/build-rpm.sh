#!/usr/bin/env bash
# Builds target/packaging/upsignon-<version>-<release>.x86_64.rpm from a
# prebuilt release binary with `rpmbuild -bb` (Debian: apt-get install rpm).
# See packaging/lib.sh for the environment variables (UPSIGNON_BIN, ...).
#
#   bash packaging/build-rpm.sh
#
# Same layout as the .deb, RHEL places: the unit in /usr/lib/systemd/system,
# zsh completions in /usr/share/zsh/site-functions. rpm owns
# /var/lib/upsignon and /var/backups/upsignon (%dir with modes): erasing the
# package leaves them when they hold files.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v rpmbuild >/dev/null || pkg_die "rpmbuild not found (Debian: apt-get install rpm)"

bin=$(resolve_binary)
version=$(package_version)
release=${UPSIGNON_RPM_RELEASE:-1}
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH=$(source_date_epoch)

topdir="$PACKAGING_OUT/rpmbuild"
assets="$PACKAGING_OUT/assets"
rpm_name="upsignon-$version-$release.x86_64.rpm"
out="$PACKAGING_OUT/$rpm_name"
pkg_log "building $out from $bin (glibc >= $(glibc_requirement "$bin"))"

rm -rf "$topdir"
mkdir -p "$topdir"/{SOURCES,SPECS,BUILD,RPMS,SRPMS,BUILDROOT}
sources="$topdir/SOURCES"
install -m 0755 "$bin" "$sources/upsignon"
completions=$(generate_assets "$sources/upsignon" "$version" "$assets")
cp "$assets/upsignon.1.gz" "$sources/"
with_completions=0
if [[ $completions == completions=yes ]]; then
    cp "$assets/upsignon.bash" "$assets/_upsignon" "$assets/upsignon.fish" "$sources/"
    with_completions=1
fi
cp "$REPO_ROOT/packaging/systemd/upsignon.service" "$REPO_ROOT/packaging/upsignon.toml" "$sources/"
cp "$REPO_ROOT/deb/copyright" "$sources/COPYRIGHT"
cp "$REPO_ROOT/CHANGELOG.md" "$sources/"
# The documentation as in the repository (packaging/lib.sh, stage_docs), in
# one reproducible tarball that %prep unpacks for %doc.
stage_docs "$topdir/docs"
tar -C "$topdir/docs" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime="@$SOURCE_DATE_EPOCH" -cf "$sources/upsignon-docs.tar" .

# The scriptlets get the shared functions (% doubled: rpm expands macros in
# scriptlet bodies).
spec="$topdir/SPECS/upsignon.spec"
awk -v functions="$REPO_ROOT/deb/maintscript-functions.sh" '
    $0 == "#UPSIGNON_FUNCTIONS#" {
        while ((getline line < functions) > 0) { gsub(/%/, "%%", line); print line }
        close(functions); next
    }
    { print }' "$REPO_ROOT/rpm/upsignon.spec" >"$spec"

rpmbuild -bb --quiet \
    --define "_topdir $topdir" \
    --define "upsignon_version $version" \
    --define "upsignon_release $release" \
    --define "with_completions $with_completions" \
    --define "_binary_payload w19.zstdio" \
    --define "use_source_date_epoch_as_buildtime 1" \
    --define "clamp_mtime_to_source_date_epoch 1" \
    --target x86_64 \
    "$spec" >&2

built="$topdir/RPMS/x86_64/$rpm_name"
[[ -f $built ]] || pkg_die "rpmbuild did not produce $built"
mv -f "$built" "$out"

# Every scriptlet must at least parse as sh.
scripts=$(mktemp -d)
rpm -qp --qf '[%{FILENAMES}\n]' "$out" >/dev/null
for tag in PREIN POSTIN PREUN POSTUN POSTTRANS; do
    rpm -qp --qf "%{$tag}\n" "$out" >"$scripts/$tag"
    sh -n "$scripts/$tag" || pkg_die "the $tag scriptlet does not parse as sh"
done
rm -rf "$scripts"

printf '%s\n' "$out"
pkg_log "built $out ($(human_size "$out"))"
