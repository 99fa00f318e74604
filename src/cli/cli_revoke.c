/* SPDX-License-Identifier: Apache-2.0 */
/* `negotiated revoke`: asks the running daemon, over its admin socket, to revoke a user, lift a
 * revocation or list them (src/revoke/admin_ops.c does the work; this only speaks the protocol). */
#include "cli/cli_revoke.h"

#include "cli/cli_args.h"
#include "config/config.h"
#include "revoke/admin_ops.h"
#include "revoke/admin_socket.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ADMIN_SOCKET "/run/negotiated/admin.sock"
#define MAX_ANSWER (64u << 20) /* a list at the cap of 100,000 entries fits */

static const char COMMAND[] = "revoke";

static const char usage[] =
	"usage: negotiated revoke [--socket PATH | -c FILE] --user ID [--hub HUB] [--for "
	"DURATION]\n"
	"                         [--reason TEXT] [--issued-before TIME|now] [--close]\n"
	"       negotiated revoke [--socket PATH | -c FILE] --list [--json]\n"
	"       negotiated revoke [--socket PATH | -c FILE] --lift --user ID [--hub HUB]\n"
	"Asks the running daemon (its [server] admin_socket) to refuse a user's /negotiate, to "
	"lift\n"
	"that, or to list the revocations. Only root or a member of [server] admin_group may.\n"
	"  --socket PATH        the admin socket (default: -c FILE's admin_socket, else\n"
	"                       " DEFAULT_ADMIN_SOCKET ")\n"
	"  -c, --config FILE    read admin_socket from this configuration\n"
	"  --user ID            the user id, as authentication sets it\n"
	"  --hub HUB            only this hub (default: every hub)\n"
	"  --for DURATION       expires after 90s, 15m, 12h, 7d (default: until lifted)\n"
	"  --reason TEXT        why, for the audit trail and --list (never shown to the user)\n"
	"  --issued-before T    refuse only the user's tokens issued before T (now, seconds since\n"
	"                       1970 or YYYY-MM-DDTHH:MM:SSZ) at the connect gate; new ones are "
	"issued\n"
	"  --close              also close the user's open connections (needs the connect gate)\n"
	"  --list               print the revocations in force\n"
	"  --lift               remove the user's revocation (every hub's unless --hub)\n"
	"  --json               print the daemon's answer as it came\n";

struct revoke_args {
	const char *socket, *config, *user, *hub, *duration, *reason, *issued_before;
	bool close, list, lift, json;
};

static int parse_option(int opt, struct revoke_args *a)
{
	switch (opt) {
	case 's': a->socket = optarg; return 0;
	case 'c': a->config = optarg; return 0;
	case 'u': a->user = optarg; return 0;
	case 'H': a->hub = optarg; return 0;
	case 'f': a->duration = optarg; return 0;
	case 'r': a->reason = optarg; return 0;
	case 'i': a->issued_before = optarg; return 0;
	case 'C': a->close = true; return 0;
	case 'l': a->list = true; return 0;
	case 'L': a->lift = true; return 0;
	case 'j': a->json = true; return 0;
	case 'h': fputs(usage, stdout); return 1;
	default: return 2;
	}
}

static int parse_args(int argc, char **argv, struct revoke_args *a)
{
	static const struct option options[] = {
		{"socket", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"user", required_argument, NULL, 'u'},
		{"hub", required_argument, NULL, 'H'},
		{"for", required_argument, NULL, 'f'},
		{"reason", required_argument, NULL, 'r'},
		{"issued-before", required_argument, NULL, 'i'},
		{"close", no_argument, NULL, 'C'},
		{"list", no_argument, NULL, 'l'},
		{"lift", no_argument, NULL, 'L'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt, rc;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:", options, NULL)) != -1)
		if (opt == '?')
			return cli_usage_error(COMMAND, "unknown option or missing value: '%.*s'",
					       cli_shown_length(argv[optind - 1]),
					       argv[optind - 1]);
		else if ((rc = parse_option(opt, a)) != 0)
			return rc;
	if (optind < argc)
		return cli_usage_error(COMMAND, "unexpected argument '%.*s'",
				       cli_shown_length(argv[optind]), argv[optind]);
	return 0;
}

/* The combinations the usage allows: 0, or 2 after saying what is wrong. */
static int check_args(const struct revoke_args *a)
{
	long long seconds;
	time_t t;
	bool setting = a->duration || a->reason || a->issued_before || a->close;
	if (a->socket && a->config)
		return cli_usage_error(COMMAND, "--socket and --config exclude each other");
	if (a->list && a->lift)
		return cli_usage_error(COMMAND, "--list and --lift exclude each other");
	if (a->list && (a->user || a->hub || setting))
		return cli_usage_error(COMMAND, "--list takes no other option but --socket, -c "
						"and --json");
	if (!a->list && !a->user)
		return cli_usage_error(COMMAND, "--user ID is required (or --list)");
	if (a->lift && setting)
		return cli_usage_error(COMMAND, "--lift takes only --user and --hub");
	if (a->duration && admin_duration_parse(a->duration, &seconds) < 0)
		return cli_usage_error(COMMAND, "--for: a duration such as 90s, 15m, 12h or 7d "
						"(at most 10 years)");
	if (a->issued_before && admin_time_parse(a->issued_before, 1, &t) < 0)
		return cli_usage_error(COMMAND, "--issued-before: now, seconds since 1970 or "
						"YYYY-MM-DDTHH:MM:SSZ");
	return 0;
}

/* The request line for the daemon, or NULL when out of memory. */
static char *request_text(const struct revoke_args *a)
{
	const char *op = "revoke";
	if (a->list)
		op = "list";
	else if (a->lift)
		op = "lift";
	json_t *req = json_pack("{s:s}", "op", op);
	if (req && a->user)
		json_object_set_new(req, "user", json_string(a->user));
	if (req && a->hub)
		json_object_set_new(req, "hub", json_string(a->hub));
	if (req && a->duration)
		json_object_set_new(req, "for", json_string(a->duration));
	if (req && a->reason)
		json_object_set_new(req, "reason", json_string(a->reason));
	if (req && a->issued_before)
		json_object_set_new(req, "issued_before", json_string(a->issued_before));
	if (req && a->close)
		json_object_set_new(req, "close", json_true());
	char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	return text;
}

/* The socket: --socket, -c FILE's admin_socket, or the package's. NULL after saying why. */
static char *socket_path(const struct revoke_args *a)
{
	char err[4608];
	if (a->socket || !a->config)
		return strdup(a->socket ? a->socket : DEFAULT_ADMIN_SOCKET);
	struct config *cfg = config_load_file(a->config, err, sizeof err);
	if (!cfg) {
		fprintf(stderr, "negotiated: revoke: %s\n", err);
		return NULL;
	}
	char *path = cfg->server.admin_socket ? strdup(cfg->server.admin_socket) : NULL;
	if (!cfg->server.admin_socket)
		fprintf(stderr, "negotiated: revoke: %s sets no [server] admin_socket\n",
			a->config);
	config_free(cfg);
	return path;
}

static int connect_to(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct timeval timeout = {ADMIN_SOCKET_TIMEOUT_MS / 1000 + 5, 0};
	if (strlen(path) >= sizeof addr.sun_path) {
		fprintf(stderr, "negotiated: revoke: the socket path is too long\n");
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
		return fd;
	}
	if (errno == EACCES || errno == EPERM)
		fprintf(stderr,
			"negotiated: revoke: permission denied on %s: only root and members of "
			"the socket's group may use it ([server] admin_group, or SocketGroup= "
			"of negotiated-admin.socket in the package)\n",
			path);
	else
		fprintf(stderr,
			"negotiated: revoke: cannot connect to %s: %s (is the daemon running "
			"with [server] admin_socket, or negotiated-admin.socket?)\n",
			path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The daemon's answer line (NUL-terminated), or NULL after saying why. A send that fails is
 * not the end: a daemon that refuses the peer answers before it reads, then closes. */
static char *exchange(int fd, const char *request)
{
	size_t len = 0, cap = 65536;
	char *answer = malloc(cap);
	int sent = send(fd, request, strlen(request), MSG_NOSIGNAL) < 0 ||
				   send(fd, "\n", 1, MSG_NOSIGNAL) < 0
			   ? errno
			   : 0;
	if (!answer) {
		fprintf(stderr, "negotiated: revoke: out of memory\n");
		return NULL;
	}
	for (ssize_t n = 1; n > 0;) {
		char *bigger = len + 1 < cap || cap >= MAX_ANSWER ? NULL : realloc(answer, cap * 2);
		if (len + 1 == cap && !bigger) {
			fprintf(stderr, "negotiated: revoke: the answer is too large\n");
			free(answer);
			return NULL;
		}
		if (bigger)
			answer = bigger, cap *= 2;
		if ((n = recv(fd, answer + len, cap - len - 1, 0)) > 0)
			len += (size_t)n;
	}
	answer[len] = '\0';
	if (len == 0) {
		fprintf(stderr, "negotiated: revoke: no answer from the daemon%s%s\n",
			sent ? ": " : "", sent ? strerror(sent) : "");
		free(answer);
		return NULL;
	}
	return answer;
}

static const char *when(time_t t, char *out, size_t size)
{
	struct tm tm;
	if (!t)
		return "-";
	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

static void print_entry(json_t *e)
{
	char a[32], b[32], c[32];
	const char *hub = json_string_value(json_object_get(e, "hub"));
	printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", json_string_value(json_object_get(e, "user")),
	       hub && *hub ? hub : "*",
	       when((time_t)json_integer_value(json_object_get(e, "expires_at")), a, sizeof a),
	       when((time_t)json_integer_value(json_object_get(e, "issued_before")), b, sizeof b),
	       when((time_t)json_integer_value(json_object_get(e, "set_at")), c, sizeof c),
	       json_string_value(json_object_get(e, "by")),
	       json_string_value(json_object_get(e, "reason")));
}

/* The answer for a person: 0 when the daemon did it, 1 otherwise. */
static int print_answer(const struct revoke_args *a, json_t *answer)
{
	size_t i;
	json_t *e;
	if (!json_is_true(json_object_get(answer, "ok"))) {
		const char *error = json_string_value(json_object_get(answer, "error"));
		fprintf(stderr, "negotiated: revoke: %s\n", error ? error : "the daemon refused");
		return 1;
	}
	if (a->list) {
		puts("USER\tHUB\tEXPIRES\tISSUED_BEFORE\tSET_AT\tBY\tREASON");
		json_array_foreach(json_object_get(answer, "entries"), i, e) print_entry(e);
	} else if (a->lift) {
		printf("lifted %lld revocation(s) of %s\n",
		       (long long)json_integer_value(json_object_get(answer, "lifted")), a->user);
	} else {
		printf("revoked %s on %s%s\n", a->user, a->hub ? "hub " : "every hub",
		       a->hub ? a->hub : "");
	}
	return 0;
}

static int talk(const struct revoke_args *a, const char *path)
{
	char *request = request_text(a), *text = NULL;
	int fd = request ? connect_to(path) : -1, rc = 1;
	if (fd >= 0)
		text = exchange(fd, request);
	json_t *answer = text ? json_loads(text, 0, NULL) : NULL;
	if (text && !answer)
		fprintf(stderr, "negotiated: revoke: the daemon's answer is not JSON\n");
	if (answer && a->json) {
		fputs(text, stdout);
		rc = json_is_true(json_object_get(answer, "ok")) ? 0 : 1;
	} else if (answer) {
		rc = print_answer(a, answer);
	}
	json_decref(answer);
	free(text);
	free(request);
	if (fd >= 0)
		close(fd);
	return rc;
}

int cli_revoke(int argc, char **argv)
{
	struct revoke_args a = {0};
	int rc = parse_args(argc, argv, &a);
	if (rc == 0)
		rc = check_args(&a);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	char *path = socket_path(&a);
	if (!path)
		return 1;
	rc = talk(&a, path);
	free(path);
	return rc;
}
