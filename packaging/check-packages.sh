#!/usr/bin/env bash
# Builds the .deb and the .rpm from the release binary and checks them: what
# CI runs after `cargo build --release`. Debian 12, as root, non-interactive.
#
#   sudo bash packaging/check-packages.sh
#
# It installs what it lacks (lintian, rpm, rpmlint, ...), lints both packages,
# rates the systemd unit, installs the .deb on this machine, runs the server
# from it as user upsignon, upgrades and downgrades it (the downgrade must
# revert a migration "a newer release applied"; a failing pre-upgrade backup
# must stop an upgrade), removes and purges it. It installs the .rpm into a
# scratch root, then on this host with rpm's own database in a temporary
# directory (so its scriptlets run: install, upgrade, downgrade, erase). It
# leaves no package, user or process behind. It refuses to run where upsignon is already installed, unless
# CI=true (a throw-away machine) or UPSIGNON_CHECK_REPLACE_INSTALLED=1.
#
# Environment: see packaging/lib.sh (UPSIGNON_BIN, UPSIGNON_REQUIRE_SUBCOMMANDS).
# systemd is not PID 1 in CI, so nothing is started with systemctl: the server
# is run directly, the way the unit's ExecStart runs it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
exec </dev/null
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

started=$SECONDS
step() { printf '\n== %s (%ss)\n' "$*" "$((SECONDS - started))"; }
ok() { printf '   ok: %s\n' "$*"; }
fail() { printf '\nFAILED: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || fail "run as root (it installs and purges the package)"
command -v dpkg >/dev/null || fail "needs Debian or Ubuntu (dpkg)"

work=$(mktemp -d /tmp/upsignon-check-packages.XXXXXX)
SERVE_PID=""
we_installed=0
rpm_installed=0
rpmdb="$work/rpmdb"
rpm_state_existed=0
[[ -d /var/lib/rpm-state ]] && rpm_state_existed=1
cleanup() {
    local rc=$?
    if [[ -n $SERVE_PID ]] && kill -0 "$SERVE_PID" 2>/dev/null; then
        kill -TERM "$SERVE_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$SERVE_PID" 2>/dev/null || true
    fi
    rm -f /run/upsignon-check-backup-fail /usr/bin/upsignon.check-real
    if ((we_installed)) && dpkg-query -W -f='${Status}' upsignon 2>/dev/null | grep -qv 'not-installed'; then
        echo "cleanup: purging the upsignon package this check installed" >&2
        timeout 120 dpkg --purge upsignon >/dev/null 2>&1 || true
    fi
    if ((rpm_installed)); then
        echo "cleanup: erasing the upsignon rpm this check installed" >&2
        timeout 120 rpm --dbpath "$rpmdb" -e --nodeps upsignon >/dev/null 2>&1 || true
        remove_leftovers
    fi
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT

# What an rpm erase leaves (rpm has no purge).
remove_leftovers() {
    rm -rf /var/lib/upsignon /var/backups/upsignon /etc/upsignon /var/lib/rpm-state/upsignon
    ((rpm_state_existed)) || rmdir /var/lib/rpm-state 2>/dev/null || true
    userdel upsignon 2>/dev/null || true
    groupdel upsignon 2>/dev/null || true
}

as_upsignon() { (cd / && setpriv --reuid=upsignon --regid=upsignon --init-groups --reset-env "$@"); }

# "MODE OWNER:GROUP" of a path.
mode_of() { stat -c '%a %U:%G' "$1"; }
expect_mode() {
    local got
    got=$(mode_of "$1") || fail "$1 is missing"
    [[ $got == "$2" ]] || fail "$1 is $got, expected $2"
    ok "$1 $got"
}
# The documentation under DIR (a package's /usr/share/doc/upsignon): every
# file of PACKAGE_DOC_* (packaging/lib.sh) present, every relative link
# resolving.
expect_docs() { # DIR LABEL
    local dir=$1 label=$2 f
    for f in "${PACKAGE_DOC_FILES[@]}" "${PACKAGE_DOC_PAGES[@]/#/docs/}"; do
        [[ $f == */* && $f != *.md ]] && f="$f.md"
        [[ -s $dir/$f ]] || fail "$label: $dir/$f missing"
    done
    check_doc_links "$dir"
    ok "$label docs: ${#PACKAGE_DOC_FILES[@]} files and ${#PACKAGE_DOC_PAGES[@]} pages of docs/, every relative link resolves"
}
expect_output() { # FILE TEXT
    grep -qF -- "$2" "$1" || { cat "$1"; fail "the output above lacks: $2"; }
    ok "said: $2"
}

free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    fail "no free port found"
}

# Runs `upsignon serve` from the package, as the unit does (user upsignon,
# default config), on a free loopback port; waits for /health/ready (20 s at
# most), then stops it with SIGTERM and expects a clean exit.
serve_briefly() {
    local port body log="$work/serve.log" deadline rc
    port=$(free_port)
    # No subshell: setpriv execs env, which execs upsignon, so $! is the
    # server itself and SIGTERM reaches it. umask 077 as the unit's UMask=.
    local saved_umask
    saved_umask=$(umask)
    umask 077
    setpriv --reuid=upsignon --regid=upsignon --init-groups --reset-env \
        env --chdir=/ "UPSIGNON_LISTEN=127.0.0.1:$port" /usr/bin/upsignon serve >"$log" 2>&1 &
    SERVE_PID=$!
    umask "$saved_umask"
    deadline=$((SECONDS + 20))
    until body=$(curl -sk --max-time 2 "https://127.0.0.1:$port/health/ready") \
        && [[ $body == *'"status":"ready"'* ]]; do
        if ! kill -0 "$SERVE_PID" 2>/dev/null; then
            cat "$log"
            SERVE_PID=""
            fail "upsignon serve exited before it was ready"
        fi
        if ((SECONDS >= deadline)); then
            tail -n 20 "$log"
            fail "not ready within 20 s on port $port (last answer: ${body:-none})"
        fi
        sleep 0.2
    done
    ok "https://127.0.0.1:$port/health/ready: $body"
    kill -TERM "$SERVE_PID"
    for _ in $(seq 1 200); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.2; done
    rc=0
    wait "$SERVE_PID" || rc=$?
    SERVE_PID=""
    ((rc == 0)) || { tail -n 20 "$log"; fail "upsignon serve exited with $rc after SIGTERM"; }
    ok "stopped cleanly on SIGTERM"
}

step "tools"
missing=()
command -v lintian >/dev/null || missing+=(lintian)
command -v rpmbuild >/dev/null || missing+=(rpm)
command -v rpmlint >/dev/null || missing+=(rpmlint)
command -v systemd-analyze >/dev/null || missing+=(systemd)
command -v deb-systemd-helper >/dev/null || missing+=(init-system-helpers)
command -v objdump >/dev/null || missing+=(binutils)
command -v curl >/dev/null || missing+=(curl)
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v setpriv >/dev/null || missing+=(util-linux)
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    timeout 300 apt-get update -qq
    timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if dpkg-query -W -f='${Status}' upsignon 2>/dev/null | grep -q 'install ok' \
    || getent passwd upsignon >/dev/null || [[ -e /var/lib/upsignon ]]; then
    if [[ ${CI:-} == true || ${UPSIGNON_CHECK_REPLACE_INSTALLED:-0} == 1 ]]; then
        echo "an earlier upsignon install is here: purging it first"
        timeout 120 dpkg --purge upsignon >/dev/null 2>&1 || true
        userdel upsignon 2>/dev/null || true
        groupdel upsignon 2>/dev/null || true
        rm -rf /var/lib/upsignon /var/backups/upsignon /etc/upsignon
    else
        fail "upsignon (package, user or /var/lib/upsignon) is already on this machine; this check would purge it. Run it on a scratch machine, or set UPSIGNON_CHECK_REPLACE_INSTALLED=1"
    fi
fi
ok "lintian $(lintian --version | awk '{print $2}'), $(rpm --version), rpmlint $(rpmlint --version 2>/dev/null | tail -n 1), systemd-analyze $(systemd-analyze --version | awk 'NR==1 {print $2}')"

step "the binary"
bin=$(resolve_binary)
version=$(package_version)
bin_version=$("$bin" --version)
[[ $bin_version == "upsignon $version" ]] || fail "$bin --version says '$bin_version', Cargo.toml says $version"
glibc=$(glibc_requirement "$bin")
echo "   $bin: $bin_version"
echo "   needs: $(needed_libraries "$bin" | tr '\n' ' ')"
echo "   highest GLIBC_ symbol version: $glibc (Debian 12+, Ubuntu 22.04+, RHEL 9+; glibc 2.28 of RHEL 8 is too old)"
for sub in completions manpage doctor install backup; do
    if has_subcommand "$bin" "$sub"; then echo "   has: upsignon $sub"; else echo "   lacks: upsignon $sub"; fi
done

step "build the .deb"
deb=$(bash "$REPO_ROOT/packaging/build-deb.sh")
deb_version="$version-${UPSIGNON_DEB_REVISION:-1}"
dpkg-deb --info "$deb" | sed -n '/Package:/,/Description:/p'
dpkg-deb --contents "$deb" | awk '{print "   " $1, $2, $NF}'

dpkg-deb -x "$deb" "$work/deb-contents"
expect_docs "$work/deb-contents/usr/share/doc/upsignon" ".deb"

step "build the .rpm"
rpm_file=$(bash "$REPO_ROOT/packaging/build-rpm.sh")

step "lintian (errors fail; warnings and info are listed)"
lintian_rc=0
timeout 300 lintian --fail-on error --display-info "$deb" >"$work/lintian-raw.txt" 2>&1 || lintian_rc=$?
grep -v 'running with root privileges' "$work/lintian-raw.txt" >"$work/lintian.txt" || true
cat "$work/lintian.txt"
((lintian_rc == 0)) || fail "lintian exited $lintian_rc (errors above)"
grep -q '^E:' "$work/lintian.txt" && fail "lintian found errors"
echo "   lintian: $(grep -c '^W:' "$work/lintian.txt" || true) warning(s), $(grep -c '^I:' "$work/lintian.txt" || true) info, 0 errors (overrides with reasons: deb/lintian-overrides)"

step "rpmlint (errors fail; warnings are listed)"
timeout 300 rpmlint -c "$REPO_ROOT/rpm/rpmlint.toml" "$rpm_file" | tee "$work/rpmlint.txt" || fail "rpmlint found errors"

step "rpm queries"
rpm -qpi "$rpm_file"
echo "--- files"
rpm -qplv "$rpm_file"
echo "--- requires"
# Captured first: grep -q ending a pipe early would SIGPIPE rpm under pipefail.
requires=$(rpm -qpR "$rpm_file")
grep -v '^rpmlib(' <<<"$requires" | sort -u | tr '\n' ' '
echo
grep -q '^libpq.so.5()(64bit)' <<<"$requires" || fail "the rpm does not require libpq.so.5"
grep -qF "libc.so.6(GLIBC_$glibc)(64bit)" <<<"$requires" || fail "the rpm does not require GLIBC_$glibc"
echo "--- scriptlets"
rpm -qp --scripts "$rpm_file" >"$work/rpm-scripts.txt"
grep -E '^[a-z]+ scriptlet' "$work/rpm-scripts.txt"
for needed in upsignon_ensure_user upsignon_pre_upgrade_backup upsignon_schema_after_version_change 'systemctl try-restart'; do
    grep -q "$needed" "$work/rpm-scripts.txt" || fail "the rpm scriptlets lack $needed"
done
echo "--- config files"
rpm -qp --configfiles "$rpm_file" | tee "$work/rpm-config.txt"
grep -qx /etc/upsignon/upsignon.toml "$work/rpm-config.txt" || fail "upsignon.toml is not a config file of the rpm"
file_flags=$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm_file")
grep -qx 'cn /etc/upsignon/upsignon.toml' <<<"$file_flags" || fail "upsignon.toml is not %config(noreplace)"
ok "upsignon.toml is %config(noreplace)"
rpm -K --nosignature "$rpm_file"

step "rpm into a scratch root (--nodeps --noscripts)"
rpm_root="$work/rpm-root"
mkdir -p "$rpm_root"
rpm --root "$rpm_root" --initdb
timeout 120 rpm --root "$rpm_root" --nodeps --noscripts -ivh "$rpm_file" 2>&1 | grep -v 'does not exist - using root' || true
rpm --root "$rpm_root" -q upsignon >/dev/null || fail "the rpm did not install into the scratch root"
got=$("$rpm_root/usr/bin/upsignon" --version)
[[ $got == "upsignon $version" ]] || fail "scratch-root binary says '$got'"
ok "$rpm_root/usr/bin/upsignon --version: $got"
[[ $(stat -c %a "$rpm_root/etc/upsignon/upsignon.toml") == 640 ]] || fail "rpm upsignon.toml mode"
[[ $(stat -c %a "$rpm_root/var/lib/upsignon") == 750 ]] || fail "rpm /var/lib/upsignon mode"
[[ $(stat -c %a "$rpm_root/var/backups/upsignon") == 700 ]] || fail "rpm /var/backups/upsignon mode"
[[ -f $rpm_root/usr/lib/systemd/system/upsignon.service ]] || fail "rpm unit missing"
ok "modes 640 / 750 / 700, unit in /usr/lib/systemd/system"
expect_docs "$rpm_root/usr/share/doc/upsignon" ".rpm"

step "dpkg -i (fresh install)"
we_installed=1
timeout 120 dpkg -i "$deb" 2>&1 | tee "$work/install.txt"
dpkg-query -W -f='${Status}\n' upsignon | grep -q 'install ok installed' || fail "not installed"
expect_output "$work/install.txt" "installed, not started (it is not configured yet)"
got=$(upsignon --version)
[[ $got == "upsignon $version" ]] || fail "upsignon --version says '$got'"
ok "upsignon --version: $got"
IFS=: read -r _ _ uid _ _ home shell < <(getent passwd upsignon) || fail "no user upsignon"
((uid < 1000)) || fail "upsignon is not a system user (uid $uid)"
[[ $home == /var/lib/upsignon ]] || fail "upsignon's home is $home"
[[ $shell == */nologin || $shell == /bin/false ]] || fail "upsignon's shell is $shell"
ok "system user upsignon (uid $uid, home $home, shell $shell)"
expect_mode /usr/bin/upsignon "755 root:root"
expect_mode /etc/upsignon "750 root:upsignon"
expect_mode /etc/upsignon/upsignon.toml "640 root:upsignon"
expect_mode /var/lib/upsignon "750 upsignon:upsignon"
expect_mode /var/backups/upsignon "700 upsignon:upsignon"
expect_mode /lib/systemd/system/upsignon.service "644 root:root"
if grep -rqs 'path-exclude=*/usr/share/man' /etc/dpkg/dpkg.cfg.d/; then
    echo "   (dpkg excludes /usr/share/man on this machine: man page not checked on disk)"
else
    expect_mode /usr/share/man/man1/upsignon.1.gz "644 root:root"
fi
[[ -L /etc/systemd/system/multi-user.target.wants/upsignon.service ]] || fail "the unit is not enabled"
ok "unit enabled (multi-user.target.wants), not started"
if [[ -f /usr/share/bash-completion/completions/upsignon ]]; then
    bash -n /usr/share/bash-completion/completions/upsignon || fail "the bash completion does not parse"
    ok "bash completion parses"
fi
as_upsignon /usr/bin/upsignon config show >"$work/config.txt" || fail "config show as upsignon failed"
expect_output "$work/config.txt" 'state_dir = "/var/lib/upsignon"'

step "systemd unit: verify and security rating"
unit=/lib/systemd/system/upsignon.service
verify_rc=0
systemd-analyze verify "$unit" >"$work/verify.txt" 2>&1 || verify_rc=$?
cat "$work/verify.txt"
((verify_rc == 0)) || fail "systemd-analyze verify failed"
grep -q 'upsignon.service' "$work/verify.txt" && fail "systemd-analyze verify complains about upsignon.service"
ok "systemd-analyze verify $unit: clean"
systemd-analyze security --offline=true --no-pager "$unit" >"$work/security.txt" 2>&1 || true
grep -E '^✗' "$work/security.txt" || true
score_line=$(grep 'Overall exposure level' "$work/security.txt") || { cat "$work/security.txt"; fail "no exposure score"; }
echo "   $score_line"
score=$(sed -E 's/.*: ([0-9.]+).*/\1/' <<<"$score_line")
awk -v s="$score" 'BEGIN { exit !(s < 3) }' || fail "exposure $score is 3 or more (must be below 3, OK)"
ok "exposure $score < 3"

step "upsignon doctor on the fresh, unconfigured install"
if has_subcommand /usr/bin/upsignon doctor; then
    doctor_rc=0
    timeout 60 upsignon doctor >"$work/doctor.txt" 2>&1 || doctor_rc=$?
    cat "$work/doctor.txt"
    ((doctor_rc == 0)) || fail "upsignon doctor exits $doctor_rc on a fresh install (expected WARNs only, exit 0)"
    ok "doctor: no FAIL"
else
    missing_subcommand_fallback doctor "the installed package is not checked by upsignon doctor"
fi

step "upsignon serve from the package, as user upsignon, default SQLite config"
serve_briefly
expect_mode /var/lib/upsignon/upsignon.db "600 upsignon:upsignon"
expect_mode /var/lib/upsignon/tls "700 upsignon:upsignon"
as_upsignon /usr/bin/upsignon migrate status | tee "$work/status.txt"

step "upgrade and downgrade (a second .deb, higher version, same binary)"
IFS=. read -r major minor patch <<<"${version%%[~+]*}"
higher="$major.$minor.$((patch + 1))"
higher_deb=$(UPSIGNON_PKG_VERSION=$higher UPSIGNON_PACKAGING_OUT="$work/higher" \
    bash "$REPO_ROOT/packaging/build-deb.sh" 2>"$work/higher-build.txt") \
    || { cat "$work/higher-build.txt"; fail "building the $higher .deb failed"; }
echo "   built $(basename "$higher_deb") from the same binary"
higher_version="$higher-${UPSIGNON_DEB_REVISION:-1}"
# The pre-upgrade backup logic of preinst, with a stand-in `upsignon backup`
# (the real one, when the binary has it, is exercised by the rpm step below):
# the stand-in answers `backup --help`, writes a file for `backup --out FILE`,
# or fails while $backup_fail_flag exists; every other command goes to the
# real binary.
backup_fail_flag=/run/upsignon-check-backup-fail
install_backup_stand_in() {
    cp -f /usr/bin/upsignon /usr/bin/upsignon.check-real
    cat >/usr/bin/upsignon <<'STANDIN'
#!/bin/sh
# Stand-in written by packaging/check-packages.sh; the next dpkg -i replaces it.
if [ "$1" = backup ]; then
    [ "$2" = --help ] && exit 0
    if [ -e /run/upsignon-check-backup-fail ]; then
        echo "stand-in upsignon backup: failing on purpose" >&2
        exit 1
    fi
    [ "$2" = --out ] && [ -n "$3" ] && echo "stand-in backup" >"$3" && exit 0
    exit 2
fi
exec /usr/bin/upsignon.check-real "$@"
STANDIN
    chmod 0755 /usr/bin/upsignon
}

# Packages ship no backup key; `upsignon install` makes one, or by hand:
give_backup_key() {
    rm -f /etc/upsignon/backup.key
    /usr/bin/upsignon backup keygen /etc/upsignon/backup.key >/dev/null
    chown root:upsignon /etc/upsignon/backup.key
    grep -q '^backup_key_file' /etc/upsignon/upsignon.toml \
        || echo 'backup_key_file = "/etc/upsignon/backup.key"' >>/etc/upsignon/upsignon.toml
}
give_backup_key
ok "backup key made with upsignon backup keygen"

install_backup_stand_in
touch "$backup_fail_flag"
upgrade_rc=0
timeout 300 dpkg -i "$higher_deb" >"$work/upgrade-refused.txt" 2>&1 || upgrade_rc=$?
cat "$work/upgrade-refused.txt"
((upgrade_rc != 0)) || fail "dpkg -i went on although the pre-upgrade backup failed"
dpkg-query -W -f='${Version} ${Status}' upsignon | grep -qx "$deb_version install ok installed" \
    || fail "after the refused upgrade, upsignon is not $deb_version installed: $(dpkg-query -W -f='${Version} ${Status}' upsignon)"
expect_output "$work/upgrade-refused.txt" "The upgrade is stopped and nothing was changed"
ok "a failing pre-upgrade backup stops the upgrade; $deb_version stays installed"

rm -f "$backup_fail_flag"
timeout 300 dpkg -i "$higher_deb" 2>&1 | tee "$work/upgrade.txt"
dpkg-query -W -f='${Version}' upsignon | grep -qx "$higher_version" || fail "the upgrade to $higher_version did not happen"
backup_file="/var/backups/upsignon/pre-upgrade-$deb_version-to-$higher_version.upsignon-backup"
expect_mode "$backup_file" "$(stat -c %a "$backup_file" 2>/dev/null) upsignon:upsignon"
ok "pre-upgrade backup written by the installed binary, as user upsignon"
expect_output "$work/upgrade.txt" "upgrade from $deb_version to $higher_version: applying the new migrations"
expect_output "$work/upgrade.txt" "schema in step with upsignon $higher_version"

# What the newer release would have done: apply a migration this binary does
# not know, recording its down script in the ledger.
now_ms=$(($(date +%s) * 1000))
as_upsignon sqlite3 /var/lib/upsignon/upsignon.db \
    "CREATE TABLE package_downgrade_probe (id INTEGER PRIMARY KEY);
     INSERT INTO upsignon_schema_ledger (version, name, checksum, down_sql, irreversible, applied_by, applied_at)
     VALUES ('9000', 'package_downgrade_probe', 'sha256:probe', 'DROP TABLE package_downgrade_probe;', 0, '$higher', $now_ms);"
as_upsignon /usr/bin/upsignon migrate status >"$work/ahead.txt" || true
grep -E '^9000 .*ahead' "$work/ahead.txt" || { cat "$work/ahead.txt"; fail "the probe migration is not 'ahead'"; }
ok "schema ahead of the binary, as after a newer release"

# Downgrade, with the backup failing but skipped on purpose.
install_backup_stand_in
touch "$backup_fail_flag"
UPSIGNON_SKIP_PRE_UPGRADE_BACKUP=1 timeout 300 dpkg -i "$deb" 2>&1 | tee "$work/downgrade.txt"
rm -f "$backup_fail_flag" /usr/bin/upsignon.check-real
dpkg-query -W -f='${Version}' upsignon | grep -qx "$deb_version" || fail "the downgrade to $deb_version did not happen"
expect_output "$work/downgrade.txt" "UPSIGNON_SKIP_PRE_UPGRADE_BACKUP=1: no pre-upgrade backup taken"
expect_output "$work/downgrade.txt" "downgrade from $higher_version to $deb_version: reverting the migrations"
expect_output "$work/downgrade.txt" "schema in step with upsignon $deb_version"
as_upsignon /usr/bin/upsignon migrate status >"$work/after.txt"
grep -q '^9000 ' "$work/after.txt" && { cat "$work/after.txt"; fail "migration 9000 is still there after the downgrade"; }
[[ -z $(sqlite3 /var/lib/upsignon/upsignon.db "SELECT name FROM sqlite_master WHERE name = 'package_downgrade_probe'") ]] \
    || fail "the probe table survived the downgrade"
ok "postinst ran migrate sync: migration 9000 reverted from its stored down script"
serve_briefly

step "dpkg -r (data kept)"
timeout 120 dpkg -r upsignon 2>&1 | tee "$work/remove.txt"
[[ ! -e /usr/bin/upsignon ]] || fail "/usr/bin/upsignon is still there"
[[ -f /var/lib/upsignon/upsignon.db ]] || fail "remove deleted the database"
[[ -d /var/backups/upsignon ]] || fail "remove deleted the backups directory"
[[ -f /etc/upsignon/upsignon.toml ]] || fail "remove deleted the config"
getent passwd upsignon >/dev/null || fail "remove deleted the user"
[[ $(readlink /etc/systemd/system/upsignon.service) == /dev/null ]] || fail "the unit is not masked after remove"
ok "binary gone; database, backups, config and user kept; unit masked"

step "dpkg --purge (data removed)"
timeout 120 dpkg --purge upsignon 2>&1 | tee "$work/purge.txt"
we_installed=0
for gone in /var/lib/upsignon /var/backups/upsignon /etc/upsignon \
    /etc/systemd/system/upsignon.service /etc/systemd/system/multi-user.target.wants/upsignon.service; do
    [[ ! -e $gone && ! -L $gone ]] || fail "$gone is still there after purge"
done
! getent passwd upsignon >/dev/null || fail "the user upsignon is still there"
! getent group upsignon >/dev/null || fail "the group upsignon is still there"
dpkg-query -W -f='${Status}' upsignon 2>/dev/null | grep -q 'not-installed' \
    || ! dpkg-query -W upsignon >/dev/null 2>&1 || fail "dpkg still knows upsignon"
ok "database, backups, config, user, group and enablement removed"

step "rpm scriptlets on this host: install, upgrade, downgrade, erase"
# rpm with its own database in the work directory and --nodeps (the RHEL
# library packages are not in it): the scriptlets run for real, with rpm's
# order and $1 counts, on the files rpm installs here.
rpm_release=${UPSIGNON_RPM_RELEASE:-1}
rpm --dbpath "$rpmdb" --initdb
rpm_installed=1
timeout 120 rpm --dbpath "$rpmdb" -ivh --nodeps "$rpm_file" >"$work/rpm-install.txt" 2>&1 \
    || { cat "$work/rpm-install.txt"; fail "rpm -i failed"; }
grep -v 'use Alien\|know what you are doing' "$work/rpm-install.txt"
expect_output "$work/rpm-install.txt" "installed, not started (it is not configured yet)"
if has_subcommand /usr/bin/upsignon backup; then
    give_backup_key
fi
expect_mode /etc/upsignon/upsignon.toml "640 root:upsignon"
expect_mode /var/lib/upsignon "750 upsignon:upsignon"
expect_mode /var/backups/upsignon "700 upsignon:upsignon"
expect_mode /usr/lib/systemd/system/upsignon.service "644 root:root"
serve_briefly
rpm_had_backup=0
has_subcommand /usr/bin/upsignon backup && rpm_had_backup=1
higher_rpm=$(UPSIGNON_PKG_VERSION=$higher UPSIGNON_PACKAGING_OUT="$work/higher-rpm" \
    bash "$REPO_ROOT/packaging/build-rpm.sh" 2>"$work/higher-rpm-build.txt") \
    || { cat "$work/higher-rpm-build.txt"; fail "building the $higher .rpm failed"; }
timeout 300 rpm --dbpath "$rpmdb" -Uvh --nodeps "$higher_rpm" >"$work/rpm-upgrade.txt" 2>&1 \
    || { cat "$work/rpm-upgrade.txt"; fail "rpm -U to $higher failed"; }
grep -v 'use Alien\|know what you are doing' "$work/rpm-upgrade.txt"
if ((rpm_had_backup)); then
    # The real `upsignon backup` of the installed binary.
    ls -l "/var/backups/upsignon/pre-upgrade-$version-$rpm_release-to-$higher-$rpm_release.upsignon-backup" \
        || fail "no pre-upgrade backup from the real upsignon backup"
    ok "pre-upgrade backup taken by the installed binary's upsignon backup"
else
    expect_output "$work/rpm-upgrade.txt" "cannot take backups yet"
fi
expect_output "$work/rpm-upgrade.txt" "upgrade from $version-$rpm_release to $higher-$rpm_release: applying the new migrations"
expect_output "$work/rpm-upgrade.txt" "schema in step with upsignon $higher-$rpm_release"
as_upsignon sqlite3 /var/lib/upsignon/upsignon.db \
    "CREATE TABLE package_downgrade_probe (id INTEGER PRIMARY KEY);
     INSERT INTO upsignon_schema_ledger (version, name, checksum, down_sql, irreversible, applied_by, applied_at)
     VALUES ('9000', 'package_downgrade_probe', 'sha256:probe', 'DROP TABLE package_downgrade_probe;', 0, '$higher', $now_ms);"
timeout 300 rpm --dbpath "$rpmdb" -Uvh --nodeps --oldpackage "$rpm_file" >"$work/rpm-downgrade.txt" 2>&1 \
    || { cat "$work/rpm-downgrade.txt"; fail "rpm -U --oldpackage to $version failed"; }
grep -v 'use Alien\|know what you are doing' "$work/rpm-downgrade.txt"
expect_output "$work/rpm-downgrade.txt" "downgrade from $higher-$rpm_release to $version-$rpm_release: reverting the migrations"
as_upsignon /usr/bin/upsignon migrate status >"$work/rpm-after.txt"
grep -q '^9000 ' "$work/rpm-after.txt" && { cat "$work/rpm-after.txt"; fail "migration 9000 is still there after the rpm downgrade"; }
ok "%posttrans ran migrate sync: migration 9000 reverted"
[[ ! -e /var/lib/rpm-state/upsignon ]] || fail "/var/lib/rpm-state/upsignon left behind"
serve_briefly
timeout 120 rpm --dbpath "$rpmdb" -e --nodeps upsignon 2>&1 | grep -v 'use Alien\|know what you are doing' | tee "$work/rpm-erase.txt"
[[ ! -e /usr/bin/upsignon ]] || fail "/usr/bin/upsignon is still there after rpm -e"
[[ -f /var/lib/upsignon/upsignon.db ]] || fail "rpm -e deleted the database"
ok "rpm -e: binary gone, database kept (an unedited upsignon.toml goes, as rpm does; an edited one stays as .rpmsave)"
rpm_installed=0
remove_leftovers

step "sizes"
for f in "$deb" "$rpm_file"; do
    printf '   %-60s %s\n' "$(basename "$f")" "$(human_size "$f")"
done
printf '   %-60s %s KiB\n' "installed (.deb Installed-Size)" "$(dpkg-deb -f "$deb" Installed-Size)"
echo "   glibc >= $glibc; lintian: $(grep -c '^W:' "$work/lintian.txt" || true) W / 0 E; rpmlint: $(grep -c ': W: ' "$work/rpmlint.txt" || true) W / 0 E; exposure $score"

step "packages checked in $((SECONDS - started))s"
