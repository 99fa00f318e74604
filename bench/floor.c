/* SPDX-License-Identifier: Apache-2.0 */
/* The floor of bench/run: bare libmicrohttpd started the way src/http/http.c starts it (same
 * flags, limits and per-connection memory), answering every request with a JSON body of the
 * given length and the headers negotiated sends with a token. What negotiated costs above this
 * row is its own work, not the HTTP layer's or the kernel's.
 * Usage: floor PORT BODY_BYTES (runs until SIGTERM or SIGINT). */
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY 65536

static char body[MAX_BODY];
static size_t body_len;
static atomic_ulong served;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	char request_id[33];
	(void)cls, (void)url, (void)method, (void)version, (void)upload;
	if (*upload_size) { /* a body is read and dropped, as negotiated reads a POST's */
		*upload_size = 0;
		return MHD_YES;
	}
	if (!*state) { /* the first call carries only the head, as in http.c */
		*state = conn;
		return MHD_YES;
	}
	snprintf(request_id, sizeof request_id, "%016lx%016lx", 0x8068901c3b0b9598UL,
		 atomic_fetch_add(&served, 1));
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(body_len, body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
	MHD_add_response_header(resp, "X-Request-Id", request_id);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void fill_body(size_t len)
{
	memset(body, 'x', len);
	memcpy(body, "{\"token\":\"", 10);
	memcpy(body + len - 2, "\"}", 2);
	body_len = len;
}

int main(int argc, char **argv)
{
	long port = argc == 3 ? strtol(argv[1], NULL, 10) : 0,
	     len = argc == 3 ? strtol(argv[2], NULL, 10) : 0;
	if (port <= 0 || port > 65535 || len < 12 || len > MAX_BODY) {
		fprintf(stderr, "usage: floor PORT BODY_BYTES (12 to %d)\n", MAX_BODY);
		return 2;
	}
	fill_body((size_t)len);
	/* http.c's defaults: 4096-byte URL, 8192-byte headers, 160 query args and 100 headers of 64
	 */
	size_t memory = 4096 + 8192 + 2048 + (160 + 100) * 64;
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
			MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC,
		(uint16_t)port, NULL, NULL, on_request, NULL, MHD_OPTION_CONNECTION_LIMIT, 1000u,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "floor: cannot start libmicrohttpd on port %ld\n", port);
		return 1;
	}
	int sig;
	sigwait(&stop, &sig);
	MHD_stop_daemon(d);
	return 0;
}
