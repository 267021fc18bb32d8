/* Crash-test shim, loaded with LD_PRELOAD into the crash tests' fork server only.
 *
 * Every call that changes a file (write, pwrite, fsync, ftruncate, rename, unlink...) is a
 * "point". A child armed with crash_start(k) kills itself with SIGKILL just before its
 * k-th point: the calls before it happened, that one and the rest never do — what a
 * process killed at that instant leaves on disk (the page cache survives SIGKILL, so
 * every completed write counts). crash_start(0) only counts; with log=1 each point's
 * call and file are kept for crash_point(i). Not armed (the server, pytest): no effect.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_LOG 20000
#define ENTRY 1024

static int counting = 0;
static int logging = 0;
static long points = 0;
static long kill_at = 0;
static char entries[MAX_LOG][ENTRY];

void crash_start(long at, int log) {
    points = 0;
    kill_at = at;
    logging = log;
    counting = 1;
}

long crash_stop(void) {
    counting = 0;
    return points;
}

long crash_points(void) { return points; }

const char *crash_point(long i) {
    return (i >= 1 && i <= points && i <= MAX_LOG) ? entries[i - 1] : "";
}

static void point(const char *call, int fd, const char *path) {
    if (!counting) return;
    points++;
    if (logging && points <= MAX_LOG) {
        char target[ENTRY - 24] = "";
        if (path != NULL) {
            snprintf(target, sizeof target, "%s", path);
        } else if (fd >= 0) {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
            ssize_t n = readlink(link, target, sizeof target - 1);
            target[n > 0 ? n : 0] = '\0';
        }
        snprintf(entries[points - 1], ENTRY, "%s %s", call, target);
    }
    if (points == kill_at) {
        kill(getpid(), SIGKILL);
        for (;;) pause();
    }
}

#define REAL(name) \
    static __typeof__(name) *real_##name = NULL; \
    if (real_##name == NULL) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buf, size_t n) {
    REAL(write);
    point("write", fd, NULL);
    return real_write(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec *iov, int count) {
    REAL(writev);
    point("writev", fd, NULL);
    return real_writev(fd, iov, count);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset) {
    REAL(pwrite);
    point("pwrite", fd, NULL);
    return real_pwrite(fd, buf, n, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t offset) {
    REAL(pwrite64);
    point("pwrite", fd, NULL);
    return real_pwrite64(fd, buf, n, offset);
}

int fsync(int fd) {
    REAL(fsync);
    point("fsync", fd, NULL);
    return real_fsync(fd);
}

int fdatasync(int fd) {
    REAL(fdatasync);
    point("fdatasync", fd, NULL);
    return real_fdatasync(fd);
}

int ftruncate(int fd, off_t length) {
    REAL(ftruncate);
    point("ftruncate", fd, NULL);
    return real_ftruncate(fd, length);
}

int ftruncate64(int fd, off64_t length) {
    REAL(ftruncate64);
    point("ftruncate", fd, NULL);
    return real_ftruncate64(fd, length);
}

int rename(const char *old, const char *new) {
    REAL(rename);
    point("rename", -1, new);
    return real_rename(old, new);
}

int renameat(int olddir, const char *old, int newdir, const char *new) {
    REAL(renameat);
    point("rename", -1, new);
    return real_renameat(olddir, old, newdir, new);
}

int unlink(const char *path) {
    REAL(unlink);
    point("unlink", -1, path);
    return real_unlink(path);
}

int unlinkat(int dir, const char *path, int flags) {
    REAL(unlinkat);
    point("unlink", -1, path);
    return real_unlinkat(dir, path, flags);
}
