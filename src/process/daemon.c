/* SPDX-License-Identifier: Apache-2.0 */
/* sd_notify states, the watchdog and socket activation, through systemd's protocols
 * (sd_protocol.h). */
#include "process/daemon.h"

#include "process/sd_protocol.h"

#include <fcntl.h>
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

int daemon_listen_fds(int fds[DAEMON_MAX_LISTEN_FDS], char *err, size_t err_len)
{
	int n = sd_protocol_listen_fds(); /* unsets LISTEN_* so that nothing we start inherits them
					   */
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
		int fd = SD_PROTOCOL_LISTEN_FDS_START + i;
		if (!sd_protocol_is_listening_stream(fd)) {
			snprintf(err, err_len, "LISTEN_FDS: fd %d is not a listening stream socket",
				 fd);
			return -1;
		}
		int flags = fcntl(fd, F_GETFL);
		if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) <
					 0) { /* libmicrohttpd's accept loop needs it */
			snprintf(err, err_len, "LISTEN_FDS: fd %d: cannot make it non-blocking",
				 fd);
			return -1;
		}
		fds[i] = fd;
	}
	return n;
}
