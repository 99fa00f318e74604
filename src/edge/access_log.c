/* SPDX-License-Identifier: Apache-2.0 */
/* The access log: a line per request, written with one write(2) so threads never interleave. */
#include "edge/access_log.h"

#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SHOWN_PATH 200 /* bytes of the path kept in a line */

static bool dry_run;

void access_log_dry_run(bool on)
{
	dry_run = on;
}

/* A missing file could be created: its directory is writable. */
static int creatable(const char *spec)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof dir, "%s", spec) >= (int)sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return access(dirname(dir), W_OK | X_OK);
}

int access_log_open(const char *spec, struct access_log *out, char *err, size_t err_len)
{
	*out = (struct access_log){-1, false};
	if (!spec)
		return 0;
	if (strcmp(spec, "stderr") == 0) {
		out->fd = STDERR_FILENO;
		return 0;
	}
	int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | (dry_run ? 0 : O_CREAT);
	int fd = open(spec, flags, 0640);
	if (fd < 0 && dry_run && errno == ENOENT && creatable(spec) == 0)
		return 0;
	if (fd < 0) {
		snprintf(err, err_len, "cannot open '%.200s' for appending: %s", spec,
			 strerror(errno));
		return -1;
	}
	*out = (struct access_log){fd, true};
	return 0;
}

void access_log_close(struct access_log *log)
{
	if (log->owned && log->fd >= 0)
		close(log->fd);
	*log = (struct access_log){-1, false};
}

/* A path or method as the client sent it, but safe to parse: no controls, spaces, quotes or
 * non-ASCII. */
static void shown_path(const char *text, char *out, size_t out_len)
{
	size_t i = 0;
	for (; text[i] && i < out_len - 4; i++) {
		unsigned char c = (unsigned char)text[i];
		out[i] = c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' ? '?' : (char)c;
	}
	if (text[i])
		strcpy(out + i, "..."); /* cut short */
	else
		strcpy(out + i, i ? "" : "-");
}

void access_log_write(const struct access_log *log, const struct ngd_request *req, unsigned status,
		      size_t bytes, uint64_t duration_ns)
{
	char line[512], path[SHOWN_PATH + 4], method[20];
	struct timespec now;
	if (log->fd < 0)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	shown_path(req->path, path, sizeof path);
	shown_path(req->method, method, sizeof method);
	int n = snprintf(line, sizeof line, "%s.%03ldZ %s %s %s %u %zu %.6f %s\n",
			 log_utc_second(now.tv_sec), now.tv_nsec / 1000000, req->client_addr,
			 method, path, status, bytes, (double)duration_ns / 1e9,
			 req->request_id[0] ? req->request_id : "-");
	if (n >= (int)sizeof line)
		n = (int)sizeof line - 1, line[n - 1] = '\n';
	if (log->fd == STDERR_FILENO)
		log_raw_line(line, (size_t)n); /* in order with the log lines that share stderr */
	else
		(void)!write(log->fd, line, (size_t)n);
}
