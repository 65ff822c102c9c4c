#!/usr/bin/env bash
# dovecot.sh - a private Dovecot 2.3 POP3 server for the inetkit POP3 tests.
#
#   dovecot.sh start DIR [PID]      start a Dovecot that lives entirely in DIR;
#                                   with PID, it is stopped when that process ends
#   dovecot.sh stop DIR             stop the Dovecot started in DIR (by its own PID file)
#   dovecot.sh fill DIR USER [small] write the test messages into USER's maildir
#                                   ("small": without the 50 MiB message)
#
# start: makes the test PKI (tests/tls/make-pki.sh) in DIR/pki, writes
# DIR/dovecot.conf and DIR/passwd, and starts dovecot listening on 127.0.0.1
# only, on two free high ports: POP3 with STLS, and POP3 over implicit TLS.
# It writes DIR/ports ("plain=N" and "tls=N", one a line). Everything the
# server writes goes below DIR: base_dir DIR/run (master.pid, sockets),
# state_dir DIR/state, log DIR/dovecot.log, mail DIR/mail/USER/Maildir.
# Nothing goes to syslog and the system's dovecot is neither used nor touched.
#
# Users (password "<name>-pass", stored {PLAIN} so that every mechanism works:
# USER/PASS, APOP, LOGIN, PLAIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256):
#   alice, bob, carol, dave, and "dörte" (UTF-8 name, password "dörte-päss").
#
# Runs as the current user. As root, the helper processes use Debian's
# dovecot/dovenull users and mail is owned by nobody (Dovecot never gives mail
# access to uid 0); as a normal user, everything runs as that user.
#
# fill: writes the messages below into DIR/mail/USER/Maildir/new and
# DIR/USER.manifest, one line per message in the order Dovecot numbers them:
#   NUMBER SIZE SHA256 NAME LISTSIZE
# SIZE and SHA256 are of the message exactly as Dovecot serves it in RETR
# (CR LF line ends, dot-stuffing undone, the CR LF before the terminating
# dot included); LISTSIZE is the size LIST reports (SIZE, except for the
# message whose file lacks its final line end: 2 less). Run it before the
# first POP3 session of that user (Dovecot numbers new files when it first
# sees them, in the order of their names). Takes well under a second, the
# 50 MiB message included.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR | stop DIR | fill DIR USER [small]" >&2
    exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
[ -n "$dir" ] || usage
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)

USERS="alice bob carol dave"
UTF8_USER=$'d\xc3\xb6rte'
UTF8_PASS=$'d\xc3\xb6rte-p\xc3\xa4ss'

# ---- helpers -------------------------------------------------------------------------

# shellcheck source=../support/daemon-lib.sh
. "$here/../support/daemon-lib.sh" # ports_in_use, pick_port, alive

master_pid() { # the PID from DIR/run/master.pid, if that process is a dovecot
    local pidfile=$dir/run/master.pid pid
    [ -f "$pidfile" ] || return 1
    pid=$(head -n1 "$pidfile" 2>/dev/null || true)
    case $pid in '' | *[!0-9]*) return 1 ;; esac
    alive "$pid" || return 1
    # Only a dovecot master whose PID file is ours: never signal anything else.
    local exe
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    case $exe in */dovecot*) ;; *) return 1 ;; esac
    echo "$pid"
}

# Waits until the server on port greets ("+OK"); 0 when it did.
wait_greeting() {
    local port=$1 line
    for _ in $(seq 1 100); do
        if exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
            line=
            IFS= read -r -t 2 line <&3 || true
            exec 3<&- 3>&-
            case $line in '+OK'*) return 0 ;; esac
        fi
        sleep 0.05
    done
    return 1
}

write_config() { # write_config PLAIN_PORT TLS_PORT
    local plain=$1 tls=$2 me mygroup internal internal_group login mailuser mailgroup uid gid
    me=$(id -un)
    mygroup=$(id -gn)
    if [ "$(id -u)" -eq 0 ]; then
        internal=dovecot
        login=dovenull
        getent passwd "$internal" >/dev/null || internal=nobody
        getent passwd "$login" >/dev/null || login=nobody
        internal_group=$(id -gn "$internal")
        mailuser=nobody
        uid=$(id -u "$mailuser")
        gid=$(id -g "$mailuser")
        mailgroup=$(getent group "$gid" | cut -d: -f1)
        [ -n "$mailgroup" ] || mailgroup=$gid
    else
        internal=$me
        internal_group=$mygroup
        login=$me
        mailuser=$me
        mailgroup=$mygroup
        uid=$(id -u)
        gid=$(id -g)
    fi

    {
        for u in $USERS; do
            printf '%s:{PLAIN}%s-pass:%s:%s::%s/mail/%s::\n' "$u" "$u" "$uid" "$gid" "$dir" "$u"
        done
        printf '%s:{PLAIN}%s:%s:%s::%s/mail/utf8user::\n' "$UTF8_USER" "$UTF8_PASS" "$uid" "$gid" "$dir"
    } >"$dir/passwd"
    chmod 644 "$dir/passwd"

    local nonroot_block=
    if [ "$(id -u)" -ne 0 ]; then
        # Without root nothing can change user: every service runs as us.
        nonroot_block="
service auth-worker {
  user = \$default_internal_user
}"
    fi

    cat >"$dir/dovecot.conf" <<EOF
# Written by tests/pop/dovecot.sh for the inetkit POP3 tests. Private to $dir.
instance_name = inetkit-pop-test-$$
base_dir = $dir/run
state_dir = $dir/state
protocols = pop3
listen = 127.0.0.1

log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
debug_log_path = $dir/dovecot.log
syslog_facility = local7
auth_verbose = yes
auth_verbose_passwords = no
auth_debug = no
verbose_ssl = no

default_internal_user = $internal
default_internal_group = $internal_group
default_login_user = $login
first_valid_uid = $uid
last_valid_uid = 0
first_valid_gid = 0
mail_privileged_group =

ssl = yes
ssl_cert = <$dir/pki/server.pem
ssl_key = <$dir/pki/server.key
ssl_min_protocol = TLSv1.2
ssl_dh =

disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 scram-sha-1 scram-sha-256 apop
# No slowing down of failed logins (the tests fail some on purpose): no
# delay, and no per-IP penalty (anvil's penalty socket is closed below).
auth_failure_delay = 0
# Any character in user names (the default set has no 8-bit ones).
auth_username_chars =
auth_cache_size = 0
login_trusted_networks =
login_greeting = inetkit test POP3 server ready.
mail_max_userip_connections = 200
shutdown_clients = yes

passdb {
  driver = passwd-file
  args = scheme=PLAIN $dir/passwd
}
userdb {
  driver = passwd-file
  args = $dir/passwd
}

mail_location = maildir:~/Maildir
mail_uid = $mailuser
mail_gid = $mailgroup
mail_fsync = never
pop3_uidl_format = %08Xv%08Xu
pop3_no_flag_updates = yes
pop3_fast_size_lookups = yes

service pop3-login {
  chroot =
  user = \$default_login_user
  inet_listener pop3 {
    address = 127.0.0.1
    port = $plain
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $tls
    ssl = yes
  }
}
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  chroot =
}
service submission-login {
  chroot =
}
service stats {
  unix_listener stats-reader {
    mode = 0600
  }
  unix_listener stats-writer {
    mode = 0666
  }
}$nonroot_block
EOF
    chmod 644 "$dir/dovecot.conf"

    mkdir -p "$dir/mail"
    if [ "$(id -u)" -eq 0 ]; then chown "$uid:$gid" "$dir/mail"; fi
}

# ---- start ---------------------------------------------------------------------------

# A process's start time (field 22 of /proc/PID/stat), so that a reused PID is
# not taken for it; empty when the process is gone or a zombie.
start_time() {
    awk '{ sub(/^.*\) /, ""); if ($1 != "Z") print $20 }' "/proc/$1/stat" 2>/dev/null || true
}

# Runs `dovecot.sh watch DIR PID START` in its own session, detached from
# every descriptor of the caller.
start_watcher() {
    local born
    born=$(start_time "$1")
    [ -n "$born" ] || return 0
    setsid bash "$here/dovecot.sh" watch "$dir" "$1" "$born" </dev/null >/dev/null 2>&1 &
}

# watch: once process PID (started at START) is gone - a test binary killed by
# a timeout, or crashed - stops this dovecot and removes DIR (unless
# INETKIT_KEEP_POP is set); ends by itself when the dovecot is stopped in the
# normal way (its PID file goes).
do_watch() {
    local pid=$1 born=$2
    while [ -f "$dir/run/master.pid" ]; do
        if [ "$(start_time "$pid")" != "$born" ]; then
            do_stop
            if [ -z "${INETKIT_KEEP_POP:-}" ] && [ -f "$dir/dovecot.conf" ]; then
                rm -rf "$dir"
            fi
            return 0
        fi
        sleep 1
    done
}

do_start() {
    command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || {
        echo "dovecot.sh: dovecot is not installed (apt-get install dovecot-core dovecot-pop3d)" >&2
        exit 1
    }
    local dovecot_bin
    dovecot_bin=$(command -v dovecot 2>/dev/null || echo /usr/sbin/dovecot)
    [ -x /usr/lib/dovecot/pop3 ] || {
        echo "dovecot.sh: dovecot's pop3 service is missing (apt-get install dovecot-pop3d)" >&2
        exit 1
    }
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if master_pid >/dev/null; then
        echo "dovecot.sh: a dovecot already runs in $dir" >&2
        exit 1
    fi
    # Unix socket paths are limited to 108 bytes; base_dir's longest is ~40 more.
    if [ ${#dir} -gt 60 ]; then
        echo "dovecot.sh: $dir is too long for dovecot's sockets (at most 60 characters)" >&2
        exit 1
    fi
    # Anyone must be able to reach DIR: the mail and login users are not us when root.
    chmod 755 "$dir"
    mkdir -p "$dir/run" "$dir/state"
    sh "$source_dir/tests/tls/make-pki.sh" "$dir/pki"
    chmod 755 "$dir/pki"
    # Dovecot reads the key as root (or as us) before it drops privileges.

    local attempt plain tls out
    for attempt in 1 2 3 4 5 6 7 8; do
        plain=$(pick_port)
        tls=$(pick_port "$plain")
        write_config "$plain" "$tls"
        : >"$dir/dovecot.log"
        # Output to a file: the daemon keeps the descriptors it was started with.
        if "$dovecot_bin" -c "$dir/dovecot.conf" >"$dir/start.log" 2>&1 </dev/null; then
            if wait_greeting "$plain"; then
                printf 'plain=%s\ntls=%s\n' "$plain" "$tls" >"$dir/ports"
                [ -z "$watch" ] || start_watcher "$watch"
                return 0
            fi
            echo "dovecot.sh: dovecot started but did not greet on port $plain" >&2
            tail -n 20 "$dir/dovecot.log" >&2 || true
            do_stop
            exit 1
        fi
        out=$(cat "$dir/start.log" "$dir/dovecot.log" 2>/dev/null || true)
        case $out in
        *'in use'*) continue ;; # lost a race for the port: try two others
        esac
        echo "dovecot.sh: dovecot failed to start (attempt $attempt):" >&2
        cat "$dir/start.log" >&2 || true
        tail -n 20 "$dir/dovecot.log" >&2 || true
        exit 1
    done
    echo "dovecot.sh: no free ports after $attempt attempts" >&2
    exit 1
}

# ---- stop ----------------------------------------------------------------------------

do_stop() {
    local pid
    [ -d "$dir" ] || return 0
    pid=$(master_pid) || {
        rm -f "$dir/ports"
        return 0
    }
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        alive "$pid" || break
        sleep 0.05
    done
    if alive "$pid"; then
        echo "dovecot.sh: dovecot $pid did not stop; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/ports"
    return 0
}

# ---- fill ----------------------------------------------------------------------------

# The messages, each written as it is served (CR LF); the maildir copy has LF
# line ends (as a real maildir does) except where the name says "crlf".
do_fill() {
    local user=$1 small=${2:-}
    dir=$(cd "$dir" && pwd)
    local home=$dir/mail/$user
    [ "$user" = "$UTF8_USER" ] && home=$dir/mail/utf8user
    local md=$home/Maildir
    local work=$dir/.fill-$user
    rm -rf "$work"
    mkdir -p "$md/new" "$md/cur" "$md/tmp" "$work"
    local manifest=$dir/$user.manifest
    : >"$manifest.tmp"

    local -a names=()
    # Each message is written in its served form to $work/NAME, then listed with add NAME.
    add() { names+=("$1"); }
    hdr() { # hdr SUBJECT
        printf 'From: Sender <sender@example.org>\r\nTo: %s@example.org\r\nSubject: %s\r\n' "$user" "$1"
        printf 'Date: Mon, 1 Jan 2024 12:00:00 +0000\r\nMessage-ID: <%s.%s@example.org>\r\nMIME-Version: 1.0\r\n' "$1" "$user"
    }
    lines() { # lines COUNT TEXT...: the texts repeated, COUNT lines in all (yes dies of SIGPIPE)
        local count=$1
        shift
        { yes "$@" 2>/dev/null || true; } | head -n "$count"
    }

    # 1: plain and short
    { hdr simple; printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\nHello %s.\r\nThis is a simple message.\r\n' "$user"; } >"$work/simple"
    add simple
    # 2: dots at line start: "." alone, "..", ".x", and a final line "."
    { hdr dots; printf 'Content-Type: text/plain\r\n\r\n.\r\n..\r\n.x\r\n...three\r\n. space\r\nmiddle . dot\r\n.\r\n'; } >"$work/dots"
    add dots
    # 3, 4: 8-bit bytes: Latin-1 and UTF-8
    { hdr latin1; printf 'Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
      printf 'Gr\xfc\xdfe aus K\xf6ln, \xe9t\xe9 \xe0 la pla\xe7a \xa9 \xff\xfe\x80\x81\r\n'; } >"$work/latin1"
    add latin1
    { hdr utf8; printf 'Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
      printf 'Gr\xc3\xbc\xc3\x9fe \xe2\x82\xac \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x93\xac\r\n.\xc3\xa9 dot then UTF-8\r\n'; } >"$work/utf8"
    add utf8
    # 5: lines longer than 998 octets (3000, and 1501 starting with a dot)
    { hdr longline; printf 'Content-Type: text/plain\r\n\r\n'
      head -c 3000 /dev/zero | tr '\0' 'L'; printf '\r\n'
      printf '.'; head -c 1500 /dev/zero | tr '\0' 'D'; printf '\r\nshort\r\n'; } >"$work/longline"
    add longline
    # 6: an empty body (headers and the blank line only)
    { hdr emptybody; printf '\r\n'; } >"$work/emptybody"
    add emptybody
    # 7: no final line end in the file: Dovecot adds CR LF before the dot
    { hdr nofinalcrlf; printf 'Content-Type: text/plain\r\n\r\nfirst line\r\nlast line without a line end\r\n'; } >"$work/nofinalcrlf"
    add nofinalcrlf
    # 8: 10 KB, stored with CR LF in the maildir file too
    { hdr tenkb-crlf; printf 'Content-Type: text/plain\r\n\r\n'
      lines 128 $'0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ .,;:!?-+*/=\r'; } >"$work/tenkb-crlf"
    add tenkb-crlf
    # 9: 50 MiB of body lines (80 octets each), every other one starting with a dot
    if [ "$small" != small ]; then
        { hdr big; printf 'Content-Type: text/plain\r\n\r\n'
          lines 655360 $'.big line of the fifty mebibyte message 0123456789 abcdefghijklmnopqrstuvwxyz\r\nBIG line of the fifty mebibyte message 0123456789 abcdefghijklmnopqrstuvwxyz\r'
        } >"$work/big"
        add big
    fi

    local n=0 name base served stored size vsize sha now
    now=$(date +%s)
    for name in "${names[@]}"; do
        n=$((n + 1))
        served=$work/$name
        stored=$work/$name.stored
        case $name in
        tenkb-crlf) cp "$served" "$stored" ;;
        nofinalcrlf) tr -d '\r' <"$served" | head -c -1 >"$stored" ;; # drop the last LF
        *) tr -d '\r' <"$served" >"$stored" ;;
        esac
        size=$(stat -c %s "$served")
        # What Dovecot counts for LIST: the file with CR LF line ends (it adds
        # the final CR LF of nofinalcrlf only when sending).
        vsize=$size
        [ "$name" != nofinalcrlf ] || vsize=$((size - 2))
        sha=$(sha256sum "$served" | cut -d' ' -f1)
        # The maildir name orders the messages (Dovecot sorts new files by time)
        # and carries the sizes, so Dovecot need not read 50 MiB to learn them.
        base="$((now + n)).M${n}P$$.inetkit-test,S=$(stat -c %s "$stored"),W=$vsize"
        mv "$stored" "$md/new/$base"
        printf '%d %s %s %s %s\n' "$n" "$size" "$sha" "$name" "$vsize" >>"$manifest.tmp"
    done
    rm -rf "$work"
    if [ "$(id -u)" -eq 0 ]; then
        chown -R "$(stat -c %u:%g "$dir/mail")" "$home"
    fi
    mv "$manifest.tmp" "$manifest"
}

case $cmd in
start)
    watch=${3:-}
    case $watch in *[!0-9]*) usage ;; esac
    do_start
    ;;
stop) do_stop ;;
watch) # internal: see start_watcher
    [ $# -eq 4 ] || usage
    do_watch "$3" "$4"
    ;;
fill)
    [ $# -ge 3 ] || usage
    do_fill "$3" "${4:-}"
    ;;
*) usage ;;
esac
