/*
 * fixture_lib.h - what the C fixture headers (pop_test.h, dns_fixture.h)
 * share: the repository root, running a fixture script, removing a scratch
 * directory. Include it first (it sets _GNU_SOURCE for mkdtemp and nftw).
 */
#ifndef INETKIT_FIXTURE_LIB_H
#define INETKIT_FIXTURE_LIB_H

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

#ifndef INETKIT_SOURCE_DIR
#define INETKIT_SOURCE_DIR ""
#endif
#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

extern char **environ;

/* The repository root: $INETKIT_SOURCE_DIR, else the macro the build sets. */
static inline const char *fixture_source_dir(void) {
    const char *source = getenv("INETKIT_SOURCE_DIR");
    if (source == NULL || *source == '\0') source = INETKIT_SOURCE_DIR;
    return source;
}

/* Runs `bash ROOT/SCRIPT ARGS...` (args ends with NULL, at most 6) and
   returns its exit status, -1 if it did not exit. */
static inline int fixture_script(const char *script, const char *const args[]) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", fixture_source_dir(), script);
    char *argv[9] = {(char *)"bash", path};
    for (int i = 0; i < 6 && args[i] != NULL; ++i) argv[i + 2] = (char *)args[i];
    /* The scripts' pipes (yes | head) need SIGPIPE's default action, whatever ours is. */
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
        fprintf(stderr, "%s: cannot run bash: %s\n", script, strerror(rc));
        return -1;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline int fixture_remove_entry_(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb; (void)type; (void)ftw;
    return remove(path);
}

/* Removes a directory tree (a fixture's or a test's own scratch directory). */
static inline void fixture_remove_tree(const char *path) { nftw(path, fixture_remove_entry_, 16, FTW_DEPTH | FTW_PHYS); }

#endif
