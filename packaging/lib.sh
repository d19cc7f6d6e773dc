# Shell helpers shared by packaging/build-deb.sh, packaging/build-rpm.sh and
# packaging/check-packages.sh. Sourced, never run. Bash.
#
# Environment:
#   UPSIGNON_BIN           the release binary to package
#                          (default: <repo>/target/release/upsignon; when it is
#                          missing, `cargo build --release --locked -p upsignon`)
#   UPSIGNON_PKG_VERSION   package version (default: [workspace.package] version
#                          of Cargo.toml); check-packages.sh sets a higher one to
#                          simulate an upgrade and a downgrade
#   UPSIGNON_DEB_REVISION  Debian revision (default 1)
#   UPSIGNON_RPM_RELEASE   RPM release (default 1)
#   UPSIGNON_PACKAGING_OUT where packages go (default <repo>/target/packaging)
#   UPSIGNON_REQUIRE_SUBCOMMANDS=1
#                          turn the missing-subcommand fallback below into an
#                          error (set it once every release binary has them)

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACKAGING_OUT=${UPSIGNON_PACKAGING_OUT:-$REPO_ROOT/target/packaging}

pkg_log() { printf '%s\n' "$*" >&2; }
pkg_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# The [workspace.package] version of Cargo.toml.
workspace_version() {
    awk '
        /^\[/ { in_section = ($0 == "[workspace.package]") ; next }
        in_section && /^version[ \t]*=/ {
            gsub(/^version[ \t]*=[ \t]*"|".*$/, ""); print; exit
        }' "$REPO_ROOT/Cargo.toml"
}

package_version() {
    local v=${UPSIGNON_PKG_VERSION:-$(workspace_version)}
    [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+([.~+][0-9A-Za-z.]+)?$ ]] \
        || pkg_die "package version '$v' is not like 1.2.3 (from Cargo.toml or UPSIGNON_PKG_VERSION)"
    printf '%s\n' "$v"
}

# The binary to package, as an absolute path; builds it when missing.
resolve_binary() {
    local bin=${UPSIGNON_BIN:-$REPO_ROOT/target/release/upsignon}
    if [[ ! -x $bin ]]; then
        [[ -z ${UPSIGNON_BIN:-} ]] || pkg_die "UPSIGNON_BIN=$bin is not an executable file"
        pkg_log "no release binary at $bin: cargo build --release --locked -p upsignon"
        (cd "$REPO_ROOT" && cargo build --release --locked -p upsignon) >&2
    fi
    [[ -x $bin ]] || pkg_die "no binary at $bin after the build"
    file_is_elf "$bin" || pkg_die "$bin is not an ELF executable"
    printf '%s\n' "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
}

file_is_elf() { [[ $(head -c 4 "$1" | od -An -c | tr -d ' ') == '177ELF' ]]; }

# The highest GLIBC_x.y symbol version the binary needs: the minimum glibc.
glibc_requirement() {
    local out
    if command -v objdump >/dev/null; then
        out=$(objdump -T "$1")
    else
        out=$(readelf --dyn-syms --wide "$1")
    fi
    grep -o 'GLIBC_[0-9][0-9.]*' <<<"$out" | sed 's/^GLIBC_//' | sort -Vu | tail -n 1
}

# Shared libraries the binary loads (NEEDED entries).
needed_libraries() {
    readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}

# A reproducible timestamp: the last commit, else now.
source_date_epoch() {
    if [[ -n ${SOURCE_DATE_EPOCH:-} ]]; then
        printf '%s\n' "$SOURCE_DATE_EPOCH"
    else
        git -C "$REPO_ROOT" log -1 --format=%ct 2>/dev/null || date +%s
    fi
}

# --- TEMPORARY FALLBACK: subcommands the binary does not have yet ------------
#
# `upsignon completions`, `manpage` and `doctor` are being added to the binary.
# Until every binary the packages are built from has them, a missing one is a
# loud warning and the step degrades (a man page made from --help, no
# completion files, no doctor run). When it is present, any failure is an
# error. Remove this block, and its callers' else branches, once the release
# binary has them all; until then UPSIGNON_REQUIRE_SUBCOMMANDS=1 makes it fatal.
has_subcommand() { "$1" "$2" --help >/dev/null 2>&1; }

missing_subcommand_fallback() {
    local subcommand=$1 consequence=$2
    if [[ ${UPSIGNON_REQUIRE_SUBCOMMANDS:-0} == 1 ]]; then
        pkg_die "the binary has no \`upsignon $subcommand\` (UPSIGNON_REQUIRE_SUBCOMMANDS=1)"
    fi
    {
        printf '\n'
        printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n'
        printf '!!! WARNING (missing-subcommand fallback): this binary has no\n'
        printf '!!!   `upsignon %s`: %s\n' "$subcommand" "$consequence"
        printf '!!! Rebuild from a tree that has it; see packaging/lib.sh.\n'
        printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n'
    } >&2
}

# A man page from `upsignon --help`, for a binary without `upsignon manpage`.
fallback_manpage() {
    local bin=$1 version=$2
    printf '.TH UPSIGNON 1 "" "upsignon %s" "User Commands"\n' "$version"
    printf '.SH NAME\nupsignon \\- self-hosted server for the UpSignOn PRO password manager\n'
    printf '.SH SYNOPSIS\n.B upsignon\n[\\fIOPTIONS\\fR] \\fICOMMAND\\fR\n'
    printf '.SH DESCRIPTION\n.nf\n'
    "$bin" --help | sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
    printf '.fi\n'
    printf '.SH FILES\n/etc/upsignon/upsignon.toml, /var/lib/upsignon, /var/backups/upsignon\n'
    printf '.SH SEE ALSO\n.BR systemctl (1),\n.BR journalctl (1)\n'
}
# --- end of the temporary fallback ------------------------------------------

# Generated files every package ships, written to DIR:
#   upsignon.1.gz, and when the binary can make them: upsignon.bash,
#   _upsignon (zsh), upsignon.fish. Prints "completions=yes|no".
generate_assets() {
    local bin=$1 version=$2 dir=$3
    mkdir -p "$dir"
    if has_subcommand "$bin" manpage; then
        "$bin" manpage >"$dir/upsignon.1"
    else
        missing_subcommand_fallback manpage "the man page is made from --help instead"
        fallback_manpage "$bin" "$version" >"$dir/upsignon.1"
    fi
    [[ -s $dir/upsignon.1 ]] || pkg_die "empty man page"
    gzip -9n -f "$dir/upsignon.1"
    rm -f "$dir/upsignon.bash" "$dir/_upsignon" "$dir/upsignon.fish"
    if has_subcommand "$bin" completions; then
        "$bin" completions bash >"$dir/upsignon.bash"
        "$bin" completions zsh >"$dir/_upsignon"
        "$bin" completions fish >"$dir/upsignon.fish"
        local f
        for f in upsignon.bash _upsignon upsignon.fish; do
            [[ -s $dir/$f ]] || pkg_die "upsignon completions wrote an empty $f"
        done
        echo completions=yes
    else
        missing_subcommand_fallback completions "the packages ship no shell completions"
        echo completions=no
    fi
}

human_size() { numfmt --to=iec-i --suffix=B "$(stat -c %s "$1")"; }

# --- documentation -----------------------------------------------------------
#
# Both packages ship the documentation in /usr/share/doc/upsignon laid out as
# in the repository, so that README.md's links (docs/PAGE.md, SECURITY.md, ...)
# and the links between pages resolve on the installed system. The changelog
# is added by each build script (changelog.gz in the .deb, CHANGELOG.md in the
# .rpm).
PACKAGE_DOC_FILES=(README.md SECURITY.md ARCHITECTURE.md)
# docs/PAGE.md: every page README.md links to. stage_docs fails when a shipped
# page links to a file that is not shipped, so a page missing here shows up at
# build time rather than as a dead link on a server.
PACKAGE_DOC_PAGES=(install-linux install configuration migrations backups rollback standby
                   console observability client-api data-inventory kubernetes)
# Directories of docs/ shipped whole (images of console.md).
PACKAGE_DOC_DIRS=(screenshots)
# Links that point into the source tree (not documentation): never shipped,
# left as they are.
PACKAGE_DOC_SOURCE_LINKS=(../benches/README.md ../helm/upsignon)

# Copies the documentation into DIR (created) with modes 0644/0755, then
# checks its relative links.
stage_docs() {
    local dir=$1 f page sub
    install -d -m 0755 "$dir/docs"
    for f in "${PACKAGE_DOC_FILES[@]}"; do
        install -m 0644 "$REPO_ROOT/$f" "$dir/$f"
    done
    for page in "${PACKAGE_DOC_PAGES[@]}"; do
        install -m 0644 "$REPO_ROOT/docs/$page.md" "$dir/docs/$page.md"
    done
    for sub in "${PACKAGE_DOC_DIRS[@]}"; do
        install -d -m 0755 "$dir/docs/$sub"
        for f in "$REPO_ROOT/docs/$sub"/*; do
            [[ -f $f ]] && install -m 0644 "$f" "$dir/docs/$sub/"
        done
    done
    check_doc_links "$dir"
}

# Fails when a relative Markdown link ([text](target) or ![alt](target)) of a
# .md file under DIR names a file that is not under DIR. External links
# (scheme:), anchors within the page and PACKAGE_DOC_SOURCE_LINKS are skipped.
check_doc_links() {
    local dir=$1 md target path broken=0
    while IFS= read -r -d '' md; do
        while IFS= read -r target; do
            target=${target#](}
            target=${target%)}
            target=${target%%#*}
            [[ -z $target || $target =~ ^[a-zA-Z][a-zA-Z0-9+.-]*: ]] && continue
            [[ " ${PACKAGE_DOC_SOURCE_LINKS[*]} " == *" $target "* ]] && continue
            path="$(dirname "$md")/$target"
            if [[ ! -e $path ]]; then
                pkg_log "broken link in ${md#"$dir"/}: $target (not shipped: add it to PACKAGE_DOC_* in packaging/lib.sh)"
                broken=1
            fi
        done < <(grep -oE '\]\([^) ]+\)' "$md" || true)
    done < <(find "$dir" -name '*.md' -print0)
    ((broken == 0)) || pkg_die "the packaged documentation has broken links"
}
