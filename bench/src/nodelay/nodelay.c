/* TCP_NODELAY on every socket the process accepts: LD_PRELOAD'ed into `spin up` (and the
 * `spin trigger http` it starts) by `hexaspin-bench spin-http` to measure what Spin's HTTP
 * trigger would do with the one-line change `stream.set_nodelay(true)` on accepted connections.
 * Built by the bench with the C compiler on PATH; never shipped. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static void set_nodelay(int fd) {
    if (fd >= 0) {
        int one = 1;
        /* Not a TCP socket (a Unix socket): the call fails and nothing changes. */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
}

int accept(int fd, struct sockaddr *addr, socklen_t *len) {
    static int (*real)(int, struct sockaddr *, socklen_t *);
    if (!real) real = dlsym(RTLD_NEXT, "accept");
    int accepted = real(fd, addr, len);
    set_nodelay(accepted);
    return accepted;
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    static int (*real)(int, struct sockaddr *, socklen_t *, int);
    if (!real) real = dlsym(RTLD_NEXT, "accept4");
    int accepted = real(fd, addr, len, flags);
    set_nodelay(accepted);
    return accepted;
}
