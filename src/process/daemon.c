/* SPDX-License-Identifier: Apache-2.0 */
/* sd_notify states, the watchdog and socket activation, through systemd's protocols
 * (sd_protocol.h). */
#include "process/daemon.h"

#include "process/sd_protocol.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

void daemon_notify_ready(void)
{
	sd_protocol_notify("READY=1\nSTATUS=serving");
}

void daemon_notify_reloading(void)
{
	struct timespec now;
	char state[96];
	clock_gettime(CLOCK_MONOTONIC, &now);
	unsigned long long usec = (unsigned long long)now.tv_sec * 1000000ULL +
				  (unsigned long long)now.tv_nsec / 1000;
	snprintf(state, sizeof state, "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu", usec);
	sd_protocol_notify(state);
}

void daemon_notify_stopping(void)
{
	sd_protocol_notify("STOPPING=1\nSTATUS=stopping");
}

void daemon_notify_watchdog(void)
{
	sd_protocol_notify("WATCHDOG=1");
}

uint64_t daemon_watchdog_interval(void)
{
	uint64_t usec = 0;
	return sd_protocol_watchdog(&usec) > 0 ? usec / 2 : 0;
}

/* One passed fd into out: the admin socket by its name, else an HTTP listener. */
static int take_fd(struct daemon_sockets *out, int fd, bool admin, char *err, size_t err_len)
{
	if (!sd_protocol_is_listening_stream(fd)) {
		snprintf(err, err_len, "LISTEN_FDS: fd %d is not a listening stream socket", fd);
		return -1;
	}
	if (admin && out->admin >= 0) {
		snprintf(err, err_len, "LISTEN_FDNAMES: more than one socket is named '%s'",
			 DAEMON_ADMIN_FD_NAME);
		return -1;
	}
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) { /* the accept loops need it */
		snprintf(err, err_len, "LISTEN_FDS: fd %d: cannot make it non-blocking", fd);
		return -1;
	}
	if (admin)
		out->admin = fd;
	else
		out->http[out->n_http++] = fd;
	return 0;
}

int daemon_listen_fds(struct daemon_sockets *out, char *err, size_t err_len)
{
	char names[4096];
	int n = sd_protocol_listen_fds(names, sizeof names); /* unsets LISTEN_* so that nothing we
								  start inherits them */
	out->n_http = 0;
	out->admin = -1;
	if (n < 0) {
		snprintf(err, err_len, "LISTEN_FDS: cannot take the passed sockets");
		return -1;
	}
	if (n > DAEMON_MAX_LISTEN_FDS) {
		snprintf(err, err_len, "LISTEN_FDS: %d sockets passed, at most %d are served", n,
			 DAEMON_MAX_LISTEN_FDS);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		bool admin = sd_protocol_fd_named(names, i, DAEMON_ADMIN_FD_NAME);
		if (take_fd(out, SD_PROTOCOL_LISTEN_FDS_START + i, admin, err, err_len) < 0)
			return -1;
	}
	return n;
}
