#!/usr/bin/env bash
# Builds target/packaging/upsignon_<version>-<revision>_amd64.deb from a
# prebuilt release binary with dpkg-deb (no cargo-deb). See packaging/lib.sh
# for the environment variables (UPSIGNON_BIN, UPSIGNON_PKG_VERSION, ...).
#
#   bash packaging/build-deb.sh
#
# Layout (operations.md): /usr/bin/upsignon 0755, /etc/upsignon/upsignon.toml
# 0640 (conffile; group upsignon set by postinst), the unit in
# /lib/systemd/system, man page, completions, docs. /var/lib/upsignon and
# /var/backups/upsignon are made by postinst, not shipped, so that removing
# the package keeps them.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v dpkg-deb >/dev/null || pkg_die "dpkg-deb not found (Debian/Ubuntu only)"

bin=$(resolve_binary)
upstream_version=$(package_version)
revision=${UPSIGNON_DEB_REVISION:-1}
version="$upstream_version-$revision"
glibc=$(glibc_requirement "$bin")
[[ -n $glibc ]] || pkg_die "cannot find the GLIBC_ versions $bin needs (objdump/readelf)"
for lib in $(needed_libraries "$bin"); do
    case $lib in
        libc.so.6 | libm.so.6 | libgcc_s.so.1 | libpq.so.5 | ld-linux-x86-64.so.2) ;;
        *) pkg_die "$bin needs $lib, which the control file does not depend on: add it to deb/control.in" ;;
    esac
done
export SOURCE_DATE_EPOCH
SOURCE_DATE_EPOCH=$(source_date_epoch)

root="$PACKAGING_OUT/deb-root"
assets="$PACKAGING_OUT/assets"
out="$PACKAGING_OUT/upsignon_${version}_amd64.deb"
pkg_log "building $out from $bin (glibc >= $glibc)"

rm -rf "$root"
mkdir -p "$root/DEBIAN"
umask 022
install -D -m 0755 "$bin" "$root/usr/bin/upsignon"
install -d -m 0755 "$root/etc/upsignon"
install -m 0640 "$REPO_ROOT/packaging/upsignon.toml" "$root/etc/upsignon/upsignon.toml"
install -D -m 0644 "$REPO_ROOT/packaging/systemd/upsignon.service" \
    "$root/lib/systemd/system/upsignon.service"

completions=$(generate_assets "$root/usr/bin/upsignon" "$upstream_version" "$assets")
install -D -m 0644 "$assets/upsignon.1.gz" "$root/usr/share/man/man1/upsignon.1.gz"
if [[ $completions == completions=yes ]]; then
    install -D -m 0644 "$assets/upsignon.bash" "$root/usr/share/bash-completion/completions/upsignon"
    install -D -m 0644 "$assets/_upsignon" "$root/usr/share/zsh/vendor-completions/_upsignon"
    install -D -m 0644 "$assets/upsignon.fish" "$root/usr/share/fish/vendor_completions.d/upsignon.fish"
fi

doc="$root/usr/share/doc/upsignon"
install -d -m 0755 "$doc"
install -m 0644 "$REPO_ROOT/deb/copyright" "$doc/copyright"
install -D -m 0644 "$REPO_ROOT/deb/lintian-overrides" "$root/usr/share/lintian/overrides/upsignon"
# README.md, SECURITY.md, ARCHITECTURE.md and docs/ as in the repository, so
# that their links resolve (packaging/lib.sh, stage_docs).
stage_docs "$doc"
gzip -9n <"$REPO_ROOT/CHANGELOG.md" >"$doc/changelog.gz"

# The Debian changelog must name this version: a build of another version
# (UPSIGNON_PKG_VERSION, or Cargo.toml moved on) gets an entry of its own.
changelog_top=$(sed -n '1s/^upsignon (\([^)]*\)).*/\1/p' "$REPO_ROOT/deb/changelog")
{
    if [[ $changelog_top != "$version" ]]; then
        pkg_log "note: deb/changelog starts at $changelog_top, not $version: adding a generated entry (add a real one to deb/changelog for a release)"
        printf 'upsignon (%s) stable; urgency=medium\n\n' "$version"
        printf '  * Build of upsignon %s.\n\n' "$upstream_version"
        printf ' -- UpSignOn <packaging@upsignon.eu>  %s\n\n' \
            "$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
    fi
    cat "$REPO_ROOT/deb/changelog"
} | gzip -9n >"$doc/changelog.Debian.gz"
chmod 0644 "$doc"/*.gz

# Maintainer scripts: the shared functions pasted in, the version filled in.
for script in preinst postinst prerm postrm; do
    awk -v functions="$REPO_ROOT/deb/maintscript-functions.sh" '
        $0 == "#UPSIGNON_FUNCTIONS#" { while ((getline line < functions) > 0) print line; next }
        { print }' "$REPO_ROOT/deb/$script" \
        | sed "s/@DEB_VERSION@/$version/g" >"$root/DEBIAN/$script"
    chmod 0755 "$root/DEBIAN/$script"
    sh -n "$root/DEBIAN/$script" || pkg_die "syntax error in $script"
done
install -m 0644 "$REPO_ROOT/deb/conffiles" "$root/DEBIAN/conffiles"

# md5sums of every shipped file but the conffiles (dpkg tracks those itself).
(
    cd "$root"
    find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort \
        | grep -vxF -f <(sed 's|^/||' DEBIAN/conffiles) \
        | xargs -d '\n' md5sum >DEBIAN/md5sums
)
chmod 0644 "$root/DEBIAN/md5sums"

installed_size=$(du -s -k --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@DEB_VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
    -e "s/@GLIBC_MIN@/$glibc/" "$REPO_ROOT/deb/control.in" >"$root/DEBIAN/control"
if grep -q '@[A-Z_]*@' "$root/DEBIAN/control"; then
    pkg_die "unfilled placeholder in DEBIAN/control"
fi

# Everything root:root in the archive; postinst gives /etc/upsignon and the
# conffile to group upsignon once the group exists.
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
rm -f "$out"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
dpkg-deb --info "$out" >/dev/null

printf '%s\n' "$out"
pkg_log "built $out ($(human_size "$out"), Installed-Size ${installed_size} KiB, Depends libc6 >= $glibc)"
