/* SPDX-License-Identifier: Apache-2.0 */
/* systemd's protocols without libsystemd: NOTIFY_SOCKET (path and abstract), WATCHDOG_USEC/PID,
 * LISTEN_PID/FDS (whose process, garbled values, unset afterwards), the listening-socket check. */
#include "process/sd_protocol.h"
#include "tap.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A datagram socket bound to name (a path, or @abstract); its fd. */
static int bound(const char *name)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	memcpy(addr.sun_path, name, len);
	if (name[0] == '@')
		addr.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	unlink(name[0] == '/' ? name : "");
	bind(fd, (struct sockaddr *)&addr,
	     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	return fd;
}

static void check_notify(const char *name)
{
	char got[64] = "";
	int fd = bound(name);
	setenv("NOTIFY_SOCKET", name, 1);
	ok(sd_protocol_notify("READY=1\nSTATUS=serving") == 1, "notify to %s: sent",
	   name[0] == '@' ? "@abstract" : "a path");
	ssize_t n = recv(fd, got, sizeof got - 1, MSG_DONTWAIT);
	is_str(n > 0 ? got : NULL, "READY=1\nSTATUS=serving",
	       "notify to %s: the datagram holds the state",
	       name[0] == '@' ? "@abstract" : "a path");
	close(fd);
}

static void set_pid(const char *name, pid_t pid)
{
	char text[16];
	snprintf(text, sizeof text, "%d", (int)pid);
	setenv(name, text, 1);
}

static void check_watchdog(void)
{
	uint64_t usec = 0;
	unsetenv("WATCHDOG_USEC"), unsetenv("WATCHDOG_PID");
	ok(sd_protocol_watchdog(&usec) == 0, "no WATCHDOG_USEC: no watchdog");
	setenv("WATCHDOG_USEC", "30000000", 1);
	ok(sd_protocol_watchdog(&usec) == 1 && usec == 30000000,
	   "WATCHDOG_USEC=30000000 without WATCHDOG_PID: 30 s");
	set_pid("WATCHDOG_PID", getpid());
	ok(sd_protocol_watchdog(&usec) == 1, "WATCHDOG_PID is this process: a watchdog");
	set_pid("WATCHDOG_PID", getpid() + 1);
	ok(sd_protocol_watchdog(&usec) == 0, "WATCHDOG_PID is another process: none");
	unsetenv("WATCHDOG_PID");
	setenv("WATCHDOG_USEC", "30s", 1);
	ok(sd_protocol_watchdog(&usec) == 0, "WATCHDOG_USEC=30s is not a number: none");
}

static int listen_fds(const char *fds, pid_t pid)
{
	setenv("LISTEN_FDS", fds, 1);
	set_pid("LISTEN_PID", pid);
	return sd_protocol_listen_fds(NULL, 0);
}

/* LISTEN_FDNAMES: copied, bounded, and looked up by position (negotiated-admin.socket's "admin").
 */
static void check_fd_names(void)
{
	char names[32], small[8];
	setenv("LISTEN_FDNAMES", "negotiated.socket:admin", 1);
	ok(listen_fds("0", getpid()) == 0, "LISTEN_FDS=0 with names: none");
	ok(!getenv("LISTEN_FDNAMES"), "LISTEN_FDNAMES is unset afterwards");
	setenv("LISTEN_FDNAMES", "negotiated.socket:admin", 1);
	setenv("LISTEN_FDS", "0", 1);
	set_pid("LISTEN_PID", getpid());
	ok(sd_protocol_listen_fds(names, sizeof names) == 0 && strcmp(names, "") == 0,
	   "no socket: no names");
	ok(!sd_protocol_fd_named("negotiated.socket:admin", 0, "admin") &&
		   sd_protocol_fd_named("negotiated.socket:admin", 1, "admin") &&
		   !sd_protocol_fd_named("negotiated.socket:admin", 2, "admin"),
	   "the second of 'negotiated.socket:admin' is named admin, the first and a third not");
	ok(!sd_protocol_fd_named("administrator", 0, "admin") &&
		   !sd_protocol_fd_named("", 0, "admin") &&
		   sd_protocol_fd_named("admin", 0, "admin"),
	   "a name is compared whole");
	int s = socket(AF_UNIX, SOCK_STREAM, 0), fd = dup2(s, 3);
	setenv("LISTEN_FDNAMES", "negotiated.socket", 1);
	setenv("LISTEN_FDS", "1", 1);
	set_pid("LISTEN_PID", getpid());
	ok(fd == 3 && sd_protocol_listen_fds(names, sizeof names) == 1 &&
		   strcmp(names, "negotiated.socket") == 0,
	   "one fd: its name is copied");
	setenv("LISTEN_FDNAMES", "negotiated.socket", 1);
	setenv("LISTEN_FDS", "1", 1);
	set_pid("LISTEN_PID", getpid());
	ok(sd_protocol_listen_fds(small, sizeof small) == -1,
	   "names longer than the buffer: garbled, not cut");
	close(3), close(s);
}

static void check_listen_fds(void)
{
	ok(listen_fds("1", getpid() + 1) == 0, "LISTEN_PID of another process: no socket is ours");
	ok(!getenv("LISTEN_FDS") && !getenv("LISTEN_PID"), "LISTEN_* are unset afterwards");
	ok(listen_fds("x", getpid()) == -1, "LISTEN_FDS=x: garbled");
	ok(listen_fds("0", getpid()) == 0, "LISTEN_FDS=0: none");
	unsetenv("LISTEN_PID");
	ok(sd_protocol_listen_fds(NULL, 0) == 0, "no LISTEN_PID: none");
	check_fd_names();
	int s = socket(AF_INET, SOCK_STREAM, 0), fd = dup2(s, 3);
	ok(fd == 3 && listen_fds("1", getpid()) == 1 && (fcntl(3, F_GETFD) & FD_CLOEXEC),
	   "fd 3 passed: 1, close-on-exec");
	ok(!sd_protocol_is_listening_stream(3), "a stream socket that does not listen is refused");
	listen(3, 1);
	ok(sd_protocol_is_listening_stream(3), "a listening stream socket is accepted");
	int file = open("/dev/null", O_RDONLY);
	ok(!sd_protocol_is_listening_stream(file), "a file that is no socket is refused");
	close(file);
	close(3), close(s);
}

int main(void)
{
	char path[64];
	snprintf(path, sizeof path, "/tmp/ngd-sd-test-%d.sock", (int)getpid());
	unsetenv("NOTIFY_SOCKET");
	ok(sd_protocol_notify("READY=1") == 0, "no NOTIFY_SOCKET: nothing sent");
	setenv("NOTIFY_SOCKET", "relative.sock", 1);
	ok(sd_protocol_notify("READY=1") == -1, "a relative NOTIFY_SOCKET is refused");
	check_notify(path);
	unlink(path);
	snprintf(path, sizeof path, "@ngd-sd-test-%d", (int)getpid());
	check_notify(path);
	check_watchdog();
	check_listen_fds();
	return tap_done();
}
