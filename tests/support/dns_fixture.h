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

/* Include this header first. */
#include "fixture_lib.h" /* first: it sets _GNU_SOURCE */

#include <unistd.h>

/* ---- the Knot + unbound fixture --------------------------------------------------------- */

static char dns_dir_[512];
static unsigned knot_port_, unbound_port_;
static int knot_ipv6_;
static char knot_[64], unbound_[64]; /* "127.0.0.1:PORT" */

/* Runs `bash tests/mx/dns.sh ARGS...` and returns its exit status (-1 if it did not exit). */
static inline int dns_fixture_script_(const char *a1, const char *a2, const char *a3) {
    const char *args[] = {a1, a2, a3, NULL};
    return fixture_script("tests/mx/dns.sh", args);
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
    else fixture_remove_tree(dns_dir_);
    dns_dir_[0] = '\0';
}

static inline int dns_fixture_start(void) {
    if (*fixture_source_dir() == '\0') {
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
