/*
 * dns_fixture.h - the Knot + unbound DNS fixture of tests/mx/dns.sh for the C
 * suites (the zone is documented at the top of that script).
 *
 * dns_fixture_start makes a temporary directory, starts an authoritative Knot
 * for mx.test and an unbound stub in front of it on free loopback ports (the
 * script is given our PID, so both stop if this binary dies), and fills in:
 *   knot_port_, unbound_port_   their ports
 *   knot_, unbound_             "127.0.0.1:PORT", ready for MxSetDnsServer
 *   knot_ipv6_                  1 when Knot also listens on ::1
 *   dns_dir_                    the directory (logs, zone)
 * dns_fixture_stop stops both by their PID files and removes the directory
 * (kept with INETKIT_KEEP_DNS=1). tests/mx/dns.sh is found through the
 * environment variable INETKIT_SOURCE_DIR, else the macro of that name.
 */
#ifndef INETKIT_DNS_FIXTURE_H
#define INETKIT_DNS_FIXTURE_H

/* Include this header first: mkdtemp and nftw want _GNU_SOURCE before any system header. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef INETKIT_SOURCE_DIR
#define INETKIT_SOURCE_DIR ""
#endif
#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

extern char **environ;

/* ---- the Knot + unbound fixture --------------------------------------------------------- */

static char dns_dir_[512];
static unsigned knot_port_, unbound_port_;
static int knot_ipv6_;
static char knot_[64], unbound_[64]; /* "127.0.0.1:PORT" */

static inline const char *dns_fixture_source_dir_(void) {
    const char *source = getenv("INETKIT_SOURCE_DIR");
    if (source == NULL || *source == '\0') source = INETKIT_SOURCE_DIR;
    return source;
}

/* Runs `bash tests/mx/dns.sh ARGS...` and returns its exit status (-1 if it did not exit). */
static inline int dns_fixture_script_(const char *a1, const char *a2, const char *a3) {
    char script[PATH_MAX];
    snprintf(script, sizeof script, "%s/tests/mx/dns.sh", dns_fixture_source_dir_());
    char *argv[] = {(char *)"bash", script, (char *)a1, (char *)a2, (char *)a3, NULL};
    posix_spawnattr_t attr;
    sigset_t pipe_only;
    posix_spawnattr_init(&attr);
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &pipe_only);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawnp(&pid, "bash", NULL, &attr, argv, environ);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        fprintf(stderr, "dns_fixture: cannot run bash: %s\n", strerror(rc));
        return -1;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline int dns_fixture_remove_entry_(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb; (void)type; (void)ftw;
    return remove(path);
}

static inline unsigned dns_fixture_number_(const char *name) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dns_dir_, name);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    unsigned v = 0;
    if (fscanf(f, "%u", &v) != 1) v = 0;
    fclose(f);
    return v;
}

static inline void dns_fixture_stop(void) {
    if (dns_dir_[0] == '\0') return;
    dns_fixture_script_("stop", dns_dir_, NULL);
    if (getenv("INETKIT_KEEP_DNS") != NULL) fprintf(stderr, "dns_fixture: DNS fixture kept in %s\n", dns_dir_);
    else nftw(dns_dir_, dns_fixture_remove_entry_, 16, FTW_DEPTH | FTW_PHYS);
    dns_dir_[0] = '\0';
}

static inline int dns_fixture_start(void) {
    if (*dns_fixture_source_dir_() == '\0') {
        fprintf(stderr, "dns_fixture: set INETKIT_SOURCE_DIR to the repository root\n");
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || *tmp == '\0' || strlen(tmp) > 40) tmp = "/tmp";
    snprintf(dns_dir_, sizeof dns_dir_, "%s/inetkit-dns-XXXXXX", tmp);
    if (mkdtemp(dns_dir_) == NULL) {
        fprintf(stderr, "dns_fixture: mkdtemp %s: %s\n", dns_dir_, strerror(errno));
        dns_dir_[0] = '\0';
        return -1;
    }
    char me[32];
    snprintf(me, sizeof me, "%ld", (long)getpid());
    if (dns_fixture_script_("start", dns_dir_, me) != 0) {
        fprintf(stderr, "dns_fixture: dns.sh start %s failed\n", dns_dir_);
        dns_fixture_stop();
        return -1;
    }
    knot_port_ = dns_fixture_number_("knot.port");
    unbound_port_ = dns_fixture_number_("unbound.port");
    knot_ipv6_ = (int)dns_fixture_number_("knot.ipv6");
    if (knot_port_ == 0 || unbound_port_ == 0) {
        fprintf(stderr, "dns_fixture: no ports in %s\n", dns_dir_);
        dns_fixture_stop();
        return -1;
    }
    snprintf(knot_, sizeof knot_, "127.0.0.1:%u", knot_port_);
    snprintf(unbound_, sizeof unbound_, "127.0.0.1:%u", unbound_port_);
    return 0;
}

#endif
