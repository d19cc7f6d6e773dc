# Shell functions shared by the .deb maintainer scripts (deb/preinst,
# deb/postinst, deb/prerm, deb/postrm) and the .rpm scriptlets
# (rpm/upsignon.spec). A maintainer script cannot source a file of its own
# package (preinst runs before anything is unpacked), so the build scripts
# paste this file where a script has the line `#UPSIGNON_FUNCTIONS#`
# (packaging/build-deb.sh, packaging/build-rpm.sh).
#
# POSIX sh, no bashisms: dash runs the .deb scripts. Every function is safe to
# run twice. Messages start with "upsignon:" so they stand out in apt/dnf
# output.

UPSIGNON_BIN=/usr/bin/upsignon
UPSIGNON_USER=upsignon
UPSIGNON_GROUP=upsignon
UPSIGNON_STATE_DIR=/var/lib/upsignon
UPSIGNON_BACKUP_DIR=/var/backups/upsignon
UPSIGNON_CONFIG_DIR=/etc/upsignon
UPSIGNON_CONFIG_FILE=/etc/upsignon/upsignon.toml
UPSIGNON_UNIT=upsignon.service

upsignon_note() {
    echo "upsignon: $*"
}

upsignon_warn() {
    echo "upsignon: WARNING: $*" >&2
}

# Whether version $1 sorts before $2 (rpm scriptlets; the .deb uses
# dpkg --compare-versions). Versions are like 1.2.3 or 1.2.3-1.
upsignon_version_lt() {
    [ "$1" != "$2" ] && [ "$({ echo "$1"; echo "$2"; } | sort -V | head -n 1)" = "$1" ]
}

upsignon_systemd_running() {
    [ -d /run/systemd/system ]
}

# --- the system account and the directories (operations.md) -----------------

upsignon_ensure_user() {
    if ! getent group "$UPSIGNON_GROUP" >/dev/null 2>&1; then
        groupadd --system "$UPSIGNON_GROUP"
    fi
    if ! getent passwd "$UPSIGNON_USER" >/dev/null 2>&1; then
        nologin=/usr/sbin/nologin
        [ -x "$nologin" ] || nologin=/sbin/nologin
        [ -x "$nologin" ] || nologin=/bin/false
        useradd --system --gid "$UPSIGNON_GROUP" --home-dir "$UPSIGNON_STATE_DIR" \
            --no-create-home --shell "$nologin" --comment "UpSignOn PRO server" \
            "$UPSIGNON_USER"
        upsignon_note "created the system user $UPSIGNON_USER"
    fi
}

# Sets owner and mode, unless the sysadmin registered a dpkg-statoverride for
# the path (then theirs wins).
upsignon_set_owner_mode() {
    if command -v dpkg-statoverride >/dev/null 2>&1 \
        && dpkg-statoverride --list "$3" >/dev/null 2>&1; then
        return 0
    fi
    chown "$1" "$3"
    chmod "$2" "$3"
}

# The state and backup directories (created here, not shipped, so that
# removing the package keeps them), the config directory and file readable
# by the service's group only. Enforced on every configure, as
# `upsignon install` does.
upsignon_ensure_dirs() {
    [ -d "$UPSIGNON_STATE_DIR" ] || mkdir -p "$UPSIGNON_STATE_DIR"
    upsignon_set_owner_mode "$UPSIGNON_USER:$UPSIGNON_GROUP" 0750 "$UPSIGNON_STATE_DIR"
    [ -d "$UPSIGNON_BACKUP_DIR" ] || mkdir -p "$UPSIGNON_BACKUP_DIR"
    upsignon_set_owner_mode "$UPSIGNON_USER:$UPSIGNON_GROUP" 0700 "$UPSIGNON_BACKUP_DIR"
    if [ -d "$UPSIGNON_CONFIG_DIR" ]; then
        upsignon_set_owner_mode "root:$UPSIGNON_GROUP" 0750 "$UPSIGNON_CONFIG_DIR"
    fi
    if [ -f "$UPSIGNON_CONFIG_FILE" ]; then
        upsignon_set_owner_mode "root:$UPSIGNON_GROUP" 0640 "$UPSIGNON_CONFIG_FILE"
    fi
}

# --- running the binary as the service user ----------------------------------

# Runs a command as user upsignon, with a clean environment (HOME, USER,
# PATH from the account), from /, with the service's umask (UMask=0077), so
# it reads the same config and state as the service and what it creates is
# private. setpriv (util-linux) opens no PAM session; runuser is the
# fallback.
upsignon_as_service_user() {
    if command -v setpriv >/dev/null 2>&1; then
        (cd / && umask 077 && setpriv --reuid="$UPSIGNON_USER" --regid="$UPSIGNON_GROUP" \
            --init-groups --reset-env -- "$@")
    else
        (cd / && umask 077 && runuser -u "$UPSIGNON_USER" -- "$@")
    fi
}

# Whether the installed binary has a subcommand (releases add them).
upsignon_has_subcommand() {
    [ -x "$UPSIGNON_BIN" ] && "$UPSIGNON_BIN" "$1" --help >/dev/null 2>&1
}

# Finds out, without changing anything, whether a database is configured and
# there. Sets:
#   UPSIGNON_DB: exists | absent (SQLite file not created yet) |
#                unreachable (PostgreSQL did not answer) | unknown (the
#                config does not load, or no binary or user yet)
#   UPSIGNON_DB_DETAIL: the SQLite path, or the reason
#   UPSIGNON_MIGRATE_ON_START: true | false
#   UPSIGNON_CONF_BACKUP_DIR: backup_dir from the config, or the default
#   UPSIGNON_CONF_BACKUP_KEY: backup_key_file from the config, or empty
upsignon_probe_database() {
    UPSIGNON_DB=unknown
    UPSIGNON_DB_DETAIL=""
    UPSIGNON_MIGRATE_ON_START=true
    UPSIGNON_CONF_BACKUP_DIR=$UPSIGNON_BACKUP_DIR
    UPSIGNON_CONF_BACKUP_KEY=""
    if [ ! -x "$UPSIGNON_BIN" ] || ! getent passwd "$UPSIGNON_USER" >/dev/null 2>&1; then
        UPSIGNON_DB_DETAIL="$UPSIGNON_BIN or user $UPSIGNON_USER missing"
        return 0
    fi
    if ! upsignon_show=$(upsignon_as_service_user "$UPSIGNON_BIN" config show 2>&1); then
        UPSIGNON_DB_DETAIL=$(echo "$upsignon_show" | tail -n 1)
        return 0
    fi
    upsignon_value() {
        echo "$upsignon_show" | sed -n "s/^$1 = \"\{0,1\}\([^\"]*\)\"\{0,1\}\$/\1/p" | head -n 1
    }
    upsignon_url=$(upsignon_value database_url)
    [ "$(upsignon_value migrate_on_start)" = false ] && UPSIGNON_MIGRATE_ON_START=false
    upsignon_dir=$(upsignon_value backup_dir)
    [ -n "$upsignon_dir" ] && UPSIGNON_CONF_BACKUP_DIR=$upsignon_dir
    UPSIGNON_CONF_BACKUP_KEY=$(upsignon_value backup_key_file)
    case "$upsignon_url" in
        sqlite://*)
            UPSIGNON_DB_DETAIL=$(echo "$upsignon_url" | sed 's|^sqlite://||; s|?.*$||')
            if [ -f "$UPSIGNON_DB_DETAIL" ]; then UPSIGNON_DB=exists; else UPSIGNON_DB=absent; fi
            ;;
        *)
            # PostgreSQL: `migrate status` connects and changes nothing.
            if upsignon_reason=$(upsignon_as_service_user "$UPSIGNON_BIN" migrate status 2>&1); then
                UPSIGNON_DB=exists
            else
                UPSIGNON_DB=unreachable
                UPSIGNON_DB_DETAIL=$(echo "$upsignon_reason" | tail -n 1)
            fi
            ;;
    esac
}

# --- schema changes on upgrade and downgrade ---------------------------------

# $1: the version that was installed before, $2: this package's version,
# $3: "upgrade" or "downgrade". Never fails: a package must install even when
# the database is down; the server then refuses to start and says why, and
# this prints the command to run.
upsignon_schema_after_version_change() {
    upsignon_probe_database
    if [ "$3" = downgrade ]; then
        # The older binary cannot serve a schema a newer release moved ahead.
        # The database keeps the down script of every migration it applied
        # (the schema ledger), so this binary can revert them: migrate sync.
        upsignon_cmd=sync
        upsignon_why="downgrade from $1 to $2: reverting the migrations $1 applied, from the down scripts kept in the database"
    else
        upsignon_cmd=up
        upsignon_why="upgrade from $1 to $2: applying the new migrations"
    fi
    case "$UPSIGNON_DB" in
        absent)
            upsignon_note "no database yet ($UPSIGNON_DB_DETAIL): no migration to run"
            return 0
            ;;
        unknown)
            upsignon_warn "cannot read the configuration ($UPSIGNON_DB_DETAIL); after fixing it, run: sudo -u $UPSIGNON_USER $UPSIGNON_BIN migrate $upsignon_cmd"
            return 0
            ;;
        unreachable)
            upsignon_warn "the database did not answer ($UPSIGNON_DB_DETAIL); when it is back, run: sudo -u $UPSIGNON_USER $UPSIGNON_BIN migrate $upsignon_cmd"
            return 0
            ;;
    esac
    if [ "$UPSIGNON_MIGRATE_ON_START" = false ]; then
        upsignon_note "migrate_on_start = false: the schema is left alone; run: sudo -u $UPSIGNON_USER $UPSIGNON_BIN migrate $upsignon_cmd"
        return 0
    fi
    upsignon_note "$upsignon_why (upsignon migrate $upsignon_cmd, as user $UPSIGNON_USER)"
    if upsignon_as_service_user "$UPSIGNON_BIN" migrate "$upsignon_cmd"; then
        upsignon_note "schema in step with upsignon $2"
    else
        upsignon_warn "upsignon migrate $upsignon_cmd failed: the server will not start until the schema matches. Fix the cause above, then run: sudo -u $UPSIGNON_USER $UPSIGNON_BIN migrate $upsignon_cmd"
        upsignon_warn "a backup taken before the version change, if any, is in $UPSIGNON_CONF_BACKUP_DIR (pre-upgrade-*)"
    fi
    return 0
}

# --- the pre-upgrade backup, with the binary still installed -----------------

# $1: installed version, $2: this package's version. Returns non-zero to
# abort the upgrade, unless UPSIGNON_SKIP_PRE_UPGRADE_BACKUP=1.
upsignon_pre_upgrade_backup() {
    [ -x "$UPSIGNON_BIN" ] || return 0
    if ! upsignon_has_subcommand backup; then
        upsignon_note "the installed upsignon $1 cannot take backups yet: no pre-upgrade backup (later upgrades take one)"
        return 0
    fi
    if [ "${UPSIGNON_SKIP_PRE_UPGRADE_BACKUP:-0}" = 1 ]; then
        upsignon_warn "UPSIGNON_SKIP_PRE_UPGRADE_BACKUP=1: no pre-upgrade backup taken"
        return 0
    fi
    if ! getent passwd "$UPSIGNON_USER" >/dev/null 2>&1; then
        upsignon_note "no user $UPSIGNON_USER, so no server data: no pre-upgrade backup needed"
        return 0
    fi
    upsignon_probe_database
    case "$UPSIGNON_DB" in
        absent)
            upsignon_note "no database yet: no pre-upgrade backup needed"
            return 0
            ;;
        exists) ;;
        *)
            upsignon_backup_failed "the database cannot be read ($UPSIGNON_DB_DETAIL)"
            return 1
            ;;
    esac
    if [ -z "$UPSIGNON_CONF_BACKUP_KEY" ]; then
        # Backups are encrypted to backup_key_file; without one there is
        # nothing to encrypt to. The schema ledger still makes the upgrade
        # reversible (`upsignon rollback`, or installing the older package).
        upsignon_warn "no backup_key_file in the config: no pre-upgrade backup taken (run \`sudo upsignon install\` to create a key)"
        return 0
    fi
    upsignon_out="$UPSIGNON_CONF_BACKUP_DIR/pre-upgrade-$1-to-$2.upsignon-backup"
    upsignon_n=1
    while [ -e "$upsignon_out" ]; do
        upsignon_out="$UPSIGNON_CONF_BACKUP_DIR/pre-upgrade-$1-to-$2.$upsignon_n.upsignon-backup"
        upsignon_n=$((upsignon_n + 1))
    done
    if [ ! -d "$UPSIGNON_CONF_BACKUP_DIR" ]; then
        mkdir -p "$UPSIGNON_CONF_BACKUP_DIR"
        chown "$UPSIGNON_USER:$UPSIGNON_GROUP" "$UPSIGNON_CONF_BACKUP_DIR"
        chmod 0700 "$UPSIGNON_CONF_BACKUP_DIR"
    fi
    upsignon_note "pre-upgrade backup: $upsignon_out"
    if upsignon_as_service_user "$UPSIGNON_BIN" backup --out "$upsignon_out"; then
        upsignon_note "pre-upgrade backup written: $upsignon_out"
        return 0
    fi
    upsignon_backup_failed "upsignon backup --out $upsignon_out failed (see above)"
    return 1
}

upsignon_backup_failed() {
    upsignon_warn "$1."
    upsignon_warn "The upgrade is stopped and nothing was changed: the installed version keeps running."
    upsignon_warn "Fix the cause (try: sudo upsignon doctor), or, to upgrade without a backup, run the same command again with UPSIGNON_SKIP_PRE_UPGRADE_BACKUP=1 in its environment, e.g.: sudo UPSIGNON_SKIP_PRE_UPGRADE_BACKUP=1 apt-get install upsignon"
}

# --- what to tell the sysadmin after a first install -------------------------

upsignon_first_install_message() {
    if upsignon_has_subcommand install; then
        upsignon_note "installed, not started (it is not configured yet). Run \`sudo upsignon install\` to configure and start it."
    else
        upsignon_note "installed, not started (it is not configured yet). Edit $UPSIGNON_CONFIG_FILE, then run: sudo systemctl start $UPSIGNON_UNIT"
    fi
}
