/* sd_notify, the watchdog and socket activation through libsystemd, when built with it. */
#include "daemon.h"

#include <stdio.h>
#include <time.h>

#ifdef HAVE_SYSTEMD
#include <fcntl.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

void daemon_notify_ready(void)
{
	sd_notify(0, "READY=1\nSTATUS=serving");
}

void daemon_notify_reloading(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	unsigned long long usec = (unsigned long long)now.tv_sec * 1000000ULL + (unsigned long long)now.tv_nsec / 1000;
	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu", usec);
}

void daemon_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void daemon_notify_watchdog(void)
{
	sd_notify(0, "WATCHDOG=1");
}

uint64_t daemon_watchdog_interval(void)
{
	uint64_t usec = 0;
	return sd_watchdog_enabled(0, &usec) > 0 ? usec / 2 : 0;
}

int daemon_listen_fds(int fds[DAEMON_MAX_LISTEN_FDS], char *err, size_t err_len)
{
	int n = sd_listen_fds(1); /* unsets LISTEN_* so that nothing we start inherits them */
	if (n < 0)
		return snprintf(err, err_len, "LISTEN_FDS: cannot take the passed sockets"), -1;
	if (n > DAEMON_MAX_LISTEN_FDS)
		return snprintf(err, err_len, "LISTEN_FDS: %d sockets passed, at most %d are served", n,
				DAEMON_MAX_LISTEN_FDS),
		       -1;
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0)
			return snprintf(err, err_len, "LISTEN_FDS: fd %d is not a listening stream socket", fd), -1;
		int flags = fcntl(fd, F_GETFL);
		if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) /* libmicrohttpd's accept loop needs it */
			return snprintf(err, err_len, "LISTEN_FDS: fd %d: cannot make it non-blocking", fd), -1;
		fds[i] = fd;
	}
	return n;
}

#else

void daemon_notify_ready(void)
{
}

void daemon_notify_reloading(void)
{
}

void daemon_notify_stopping(void)
{
}

void daemon_notify_watchdog(void)
{
}

uint64_t daemon_watchdog_interval(void)
{
	return 0;
}

int daemon_listen_fds(int fds[DAEMON_MAX_LISTEN_FDS], char *err, size_t err_len)
{
	(void)fds, (void)err, (void)err_len;
	return 0;
}

#endif
