/* SPDX-License-Identifier: Apache-2.0 */
/* NOTIFY_SOCKET datagrams and LISTEN_FDS parsing, as sd_notify(3) and sd_listen_fds(3) specify. */
#include "process/sd_protocol.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int sd_protocol_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t len = path ? strlen(path) : 0;
	if (!len)
		return 0;
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof addr.sun_path)
		return -1;
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0'; /* an abstract name: its length, not a NUL, ends it */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	socklen_t addr_len =
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
	ssize_t sent =
		sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
	close(fd);
	return sent == (ssize_t)strlen(state) ? 1 : -1;
}

/* A whole decimal number from 1 to max, or 0. */
static unsigned long long env_number(const char *name, unsigned long long max)
{
	const char *text = getenv(name);
	char *end = NULL;
	if (!text || *text < '0' || *text > '9')
		return 0;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	return errno || *end || v > max ? 0 : v;
}

static bool for_this_process(const char *pid_name, bool unset_means_yes)
{
	if (!getenv(pid_name))
		return unset_means_yes;
	return env_number(pid_name, INT_MAX) == (unsigned long long)getpid();
}

int sd_protocol_watchdog(uint64_t *usec)
{
	unsigned long long v = env_number("WATCHDOG_USEC", UINT64_MAX - 1);
	if (!v || !for_this_process("WATCHDOG_PID", true))
		return 0;
	*usec = v;
	return 1;
}

/* LISTEN_FDNAMES into names, "" when unset: 0, or -1 when it does not fit. */
static int copy_names(char *names, size_t names_size)
{
	const char *text = getenv("LISTEN_FDNAMES");
	size_t len = text ? strlen(text) : 0;
	if (!names)
		return 0;
	if (len >= names_size)
		return -1;
	memcpy(names, text ? text : "", len + 1);
	return 0;
}

int sd_protocol_listen_fds(char *names, size_t names_size)
{
	int n = 0;
	if (names && names_size)
		names[0] = '\0';
	if (getenv("LISTEN_FDS") && for_this_process("LISTEN_PID", false)) {
		unsigned long long count =
			env_number("LISTEN_FDS", INT_MAX - SD_PROTOCOL_LISTEN_FDS_START);
		n = (int)count;
		if (!count && strcmp(getenv("LISTEN_FDS"), "0") != 0)
			n = -1; /* not a number: no socket is taken */
		if (n > 0 && copy_names(names, names_size) < 0)
			n = -1;
		for (int fd = SD_PROTOCOL_LISTEN_FDS_START;
		     n > 0 && fd < SD_PROTOCOL_LISTEN_FDS_START + n; fd++) {
			int flags = fcntl(fd, F_GETFD);
			if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
				n = -1;
		}
	}
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return n;
}

int sd_protocol_fd_named(const char *names, int i, const char *want)
{
	size_t want_len = strlen(want);
	for (; i > 0 && names; i--) {
		names = strchr(names, ':');
		names = names ? names + 1 : NULL;
	}
	return names && strncmp(names, want, want_len) == 0 &&
	       (names[want_len] == ':' || names[want_len] == '\0');
}

int sd_protocol_is_listening_stream(int fd)
{
	struct stat st;
	int type = 0, listening = 0;
	socklen_t len = sizeof type, len2 = sizeof listening;
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		return 0;
	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len2) == 0 && listening;
}
