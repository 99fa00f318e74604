/* SPDX-License-Identifier: Apache-2.0 */
/* negotiated: command line, start-up order, signals, shutdown. */
#include "config/config.h"

#include "cli/cli_args.h"
#include "cli/cli_explain.h"
#include "cli/cli_revoke.h"
#include "cli/cli_token.h"
#include "config/dev.h"
#include "core/log.h"
#include "core/log_batch.h"
#include "process/daemon.h"
#include "edge/access_log.h"
#include "edge/listen.h"
#include "http/http.h"
#include "process/reload.h"
#include "process/reload_ask.h"
#include "http/admin_http.h"
#include "negotiate/close_user.h"
#include "negotiate/live_connections.h"
#include "revoke/admin_socket.h"
#include "revoke/revocations.h"
#include "revoke/state_file.h"
#include "runtime/runtime.h"
#include "runtime/snapshot.h"
#include "net/rest_http.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/negotiated/negotiated.conf"

struct options {
	const char *config;
	const char *listen;
	const char *credentials_dir;
	bool dev, check, reload, verbose, list_keys, print_config;
};

static const char usage[] =
	"usage: negotiated [-c FILE] [--listen ADDR] [--dev] [--check-config] [--reload]\n"
	"                  [--credentials-dir DIR] [-v] [--version] [--help]\n"
	"       negotiated token --help\n"
	"       negotiated explain --help\n"
	"       negotiated revoke --help\n"
	"  -c, --config FILE    configuration file (default " DEFAULT_CONFIG ")\n"
	"  -l, --listen ADDR    HOST:PORT, [IPV6]:PORT or unix:/PATH, instead of [server] listen\n"
	"      --dev            embedded development configuration (anonymous, one hub 'chat')\n"
	"      --print-config   with --dev: print that configuration as a starting file and exit\n"
	"      --check-config   check the configuration and exit: 0 valid, 1 invalid\n"
	"      --reload         have $MAINPID reload (SIGHUP) and exit 1 if its file does not "
	"load\n"
	"                       (systemd's ExecReload=)\n"
	"      --credentials-dir DIR  where connection_string_credential files are, instead of\n"
	"                       $CREDENTIALS_DIRECTORY (to check a unit's configuration outside "
	"it)\n"
	"  -v, --verbose        debug logging\n"
	"      --version        print the version and exit\n"
	"      --help           print this help and exit\n"
	"SIGHUP reloads the configuration; under systemd, sockets passed by socket activation\n"
	"(LISTEN_FDS) are served instead of [server] listen.\n";

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{"config", required_argument, NULL, 'c'},
		{"listen", required_argument, NULL, 'l'},
		{"dev", no_argument, NULL, 'd'},
		{"check-config", no_argument, NULL, 'k'},
		{"reload", no_argument, NULL, 'r'},
		{"credentials-dir", required_argument, NULL, 'C'},
		{"verbose", no_argument, NULL, 'v'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{"list-config-keys", no_argument, NULL, 'K'},
		{"print-config", no_argument, NULL, 'P'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:l:vVh", longs, NULL)) != -1) {
		switch (opt) {
		case 'c': o->config = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'd': o->dev = true; break;
		case 'k': o->check = true; break;
		case 'r': o->reload = true; break;
		case 'C': o->credentials_dir = optarg; break;
		case 'K': o->list_keys = true; break; /* hidden: the man page test reads it */
		case 'P': o->print_config = true; break;
		case 'v': o->verbose = true; break;
		case 'V': puts(PACKAGE_STRING); exit(0);
		case 'h': fputs(usage, stdout); exit(0);
		default:
			fprintf(stderr,
				"negotiated: unknown option or missing value: '%.*s' (see "
				"--help)\n",
				cli_shown_length(argv[optind - 1]), argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc || (o->dev && o->config) || (o->print_config && !o->dev)) {
		const char *why = "--print-config prints the --dev configuration: give --dev";
		if (optind < argc)
			why = "unexpected argument";
		else if (o->dev && o->config)
			why = "--dev and --config exclude each other";
		fprintf(stderr, "negotiated: %s (see --help)\n", why);
		return -1;
	}
	return 0;
}

static int open_listener(const char *spec, struct listen_addr *addr)
{
	char err[256];
	int fd = -1;
	if (listen_parse(spec, addr, err, sizeof err) == 0)
		fd = listen_open(addr, 128, err, sizeof err);
	if (fd < 0)
		log_error("listen %s: %s", spec, err);
	return fd;
}

/* The signals main() takes; every thread blocks them, so no handler ever runs. */
static sigset_t stop_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	return set;
}

static uint64_t monotonic_usec(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000;
}

/* The next signal (who sent it in *info); with a watchdog, pings it every `interval` µs while
 * waiting. */
static int next_signal(uint64_t interval, uint64_t *next_ping, siginfo_t *info)
{
	sigset_t set = stop_signals();
	for (;;) {
		int sig;
		if (!interval) {
			if ((sig = sigwaitinfo(&set, info)) > 0)
				return sig;
			continue;
		}
		uint64_t now = monotonic_usec();
		if (now >= *next_ping) {
			daemon_notify_watchdog();
			*next_ping = now + interval;
		}
		uint64_t wait = *next_ping - now;
		struct timespec timeout = {(time_t)(wait / 1000000u),
					   (long)(wait % 1000000u) * 1000};
		if ((sig = sigtimedwait(&set, info, &timeout)) > 0)
			return sig;
	}
}

static void wait_for_stop(const struct reload_context *ctx)
{
	uint64_t interval = daemon_watchdog_interval(), next_ping = 0;
	siginfo_t info;
	while (next_signal(interval, &next_ping, &info) == SIGHUP) {
		reload_answer(&info, reload(ctx));
		log_batch_flush(); /* what the old configuration logged, and the reload's own lines
				    */
	}
}

static void block_signals(void)
{
	sigset_t set = stop_signals();
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts, so all inherit it */
	signal(SIGPIPE, SIG_IGN);
}

/* The sockets to serve: systemd's HTTP ones, else --listen or [server] listen. Returns how many,
 * or -1. */
static int listeners(const struct options *o, const struct runtime *rt,
		     const struct daemon_sockets *passed, int fds[DAEMON_MAX_LISTEN_FDS],
		     struct listen_addr *own, const char **shown)
{
	if (passed->n_http) {
		*shown = "the sockets systemd passed";
		memcpy(fds, passed->http, (size_t)passed->n_http * sizeof *fds);
		return passed->n_http;
	}
	*shown = o->listen ? o->listen : rt->cfg->server.listen;
	fds[0] = open_listener(*shown, own);
	return fds[0] < 0 ? -1 : 1;
}

/* A socket systemd passed stays open and listening (its queue is the next process's): never
 * shut down or closed here. */
static void stop_all(struct http_server **servers, int n, bool passed)
{
	for (int i = 0; i < n; i++) {
		int fd = http_stop(servers[i]);
		if (fd >= 0 && !passed)
			close(fd);
	}
}

static int serve(struct runtime *rt, const struct options *o, const struct daemon_sockets *passed,
		 struct reload_context *ctx)
{
	struct listen_addr own = {0};
	struct http_server *servers[DAEMON_MAX_LISTEN_FDS];
	int fds[DAEMON_MAX_LISTEN_FDS], started = 0;
	const char *shown;
	int n = listeners(o, rt, passed, fds, &own, &shown);
	if (n < 0)
		return 1;
	ctx->listen_fixed = o->listen || !own.len;
	reload_context_init(ctx, rt);
	if (log_batch_start() < 0)
		log_warning("cannot start the log flusher: every line is written on its own");
	for (; started < n && (servers[started] = http_start(&rt->cfg->server, fds[started]));
	     started++)
		;
	bool passed_on = !own.len;
	for (int i = started; i < n && !passed_on; i++) /* those http_start did not take over */
		close(fds[i]);
	if (started == n) {
		log_info("listening on %s with %u threads, %zu hubs", shown,
			 rt->cfg->server.threads, rt->n_hubs);
		daemon_notify_ready();
		wait_for_stop(ctx);
		daemon_notify_stopping();
		log_info("stopping");
	}
	stop_all(servers, started, passed_on);
	log_batch_stop(); /* every line of every request answered, before the process ends */
	if (own.unix_path[0])
		unlink(own.unix_path);
	return started == n ? 0 : 1;
}

/* --reload: the running daemon is $MAINPID, as systemd sets it for ExecReload=. */
static int reload_main_pid(void)
{
	const char *text = getenv("MAINPID");
	char *end = NULL;
	long pid = text ? strtol(text, &end, 10) : 0;
	if (!text || *end || pid <= 1) {
		fprintf(stderr, "negotiated: --reload: MAINPID is not set to the daemon's PID "
				"(systemd sets it for "
				"ExecReload=)\n");
		return 1;
	}
	return reload_ask(pid);
}

/* The first run, before any configuration: what to do next, not only what is missing. */
static void no_configuration(void)
{
	fputs("negotiated: no configuration at " DEFAULT_CONFIG ".\n"
	      "  To try it on this machine:  negotiated --dev   (anonymous callers, one hub "
	      "'chat')\n"
	      "  To start a file from that:  negotiated --dev --print-config > negotiated.conf\n"
	      "  To use a file:              negotiated -c FILE   (check it first: --check-config "
	      "-c FILE)\n"
	      "  The keys are in negotiated.conf(5); negotiated --help lists the options.\n",
	      stderr);
}

/* The process's revocation list, from [server] state_directory's file when one is set: NULL with
 * "PATH:LINE: what" in err (a bad file stops the start: entries must not be dropped silently). */
static struct revocations *revocations_start(const struct config_server *s, char *err,
					     size_t err_len)
{
	char path[4096];
	struct revocations *list = revocations_new();
	if (!list) {
		snprintf(err, err_len, "revocation list: out of memory");
		return NULL;
	}
	if (!s->state_directory)
		return list;
	if (access(s->state_directory, W_OK | X_OK) < 0) {
		snprintf(err, err_len, "state_directory: %s: %s", s->state_directory,
			 strerror(errno));
		revocations_free(list);
		return NULL;
	}
	if (snprintf(path, sizeof path, "%s/%s", s->state_directory, STATE_FILE_NAME) >=
		    (int)sizeof path ||
	    revocations_persist(list, path) < 0) {
		snprintf(err, err_len, "state_directory: the path is too long");
		revocations_free(list);
		return NULL;
	}
	if (state_file_load(list, path, time(NULL), err, err_len) < 0) {
		revocations_free(list);
		return NULL;
	}
	log_info("revocation list: %zu entries from %s", revocations_count(list), path);
	return list;
}

/* The operator's ways in: [server] admin_socket and admin_listen, each when set. */
struct admin {
	struct admin_socket *socket;
	struct admin_http *http;
};

/* systemd's admin socket (negotiated-admin.socket) wins over [server] admin_socket: its file's
 * owner/group/mode decide who may connect, so admin_socket's path and admin_group are not used. */
static struct admin_socket *admin_adopt(const struct config_server *s, int fd,
					struct revocations *list, char *err, size_t err_len)
{
	if (s->admin_socket)
		log_warning("admin_socket = %s is not bound: systemd passed the admin socket",
			    s->admin_socket);
	if (s->admin_group)
		log_warning(
			"admin_group = %s is not used: the socket file systemd made decides who "
			"may connect (SocketGroup= in negotiated-admin.socket)",
			s->admin_group);
	struct admin_socket *adopted = admin_socket_adopt(fd, list, err, err_len);
	if (adopted)
		log_info("admin socket: the one systemd passed (negotiated-admin.socket)");
	return adopted;
}

static int admin_start(const struct config_server *s, struct revocations *list, int passed_fd,
		       struct admin *out, char *err, size_t err_len)
{
	if (passed_fd >= 0 && !(out->socket = admin_adopt(s, passed_fd, list, err, err_len)))
		return -1;
	if (passed_fd < 0 && s->admin_socket &&
	    !(out->socket =
		      admin_socket_start(s->admin_socket, s->admin_group, list, err, err_len)))
		return -1;
	if (s->admin_listen && !(out->http = admin_http_start(s->admin_listen, s->admin_token_file,
							      list, err, err_len))) {
		admin_socket_stop(out->socket);
		return -1;
	}
	if (s->admin_listen)
		log_info("admin API listening on %s", s->admin_listen);
	return 0;
}

static const char *config_path(const struct options *o)
{
	if (o->dev)
		return NULL;
	return o->config ? o->config : DEFAULT_CONFIG;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	/* no core file or same-user ptrace of the access keys, outside systemd's LimitCORE= too */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	log_init();
	if (argc > 1 && strcmp(argv[1], "token") == 0)
		return cli_token(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "explain") == 0)
		return cli_explain(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "revoke") == 0)
		return cli_revoke(argc - 1, argv + 1);
	if (parse_options(argc, argv, &o) < 0)
		return 2;
	if (o.reload)
		return reload_main_pid();
	if (o.list_keys) {
		config_list_keys(stdout);
		return 0;
	}
	if (o.print_config) {
		dev_config_print(stdout);
		return 0;
	}
	if (!o.dev && !o.config && access(DEFAULT_CONFIG, F_OK) < 0 && errno == ENOENT) {
		no_configuration();
		return 1;
	}
	block_signals(); /* libcurl is loaded by the configuration that needs it (net/curl_lib.h) */
	if (o.credentials_dir && setenv("CREDENTIALS_DIRECTORY", o.credentials_dir, 1) < 0) {
		perror("negotiated: --credentials-dir");
		return 1;
	}
	access_log_dry_run(o.check); /* a check creates no file */
	char err[PARSER_ERRORS_TEXT];
	struct reload_context ctx = {.path = config_path(&o), .verbose = o.verbose};
	struct runtime *rt = reload_build(&ctx, err, sizeof err);
	if (rt && !(ctx.revocations = revocations_start(&rt->cfg->server, err, sizeof err))) {
		runtime_release(rt);
		rt = NULL;
	}
	if (!rt) {
		for (const char *line = err;
		     *line;) { /* one error a line, each with the program's name */
			size_t len = strcspn(line, "\n");
			fprintf(stderr, "negotiated: %.*s\n", (int)len, line);
			line += len + (line[len] == '\n');
		}
		rest_http_cleanup();
		return 1;
	}
	if (o.check) {
		printf("%s: configuration OK\n", ctx.path ? ctx.path : "<dev>");
		runtime_release(rt);
		revocations_free(ctx.revocations);
		rest_http_cleanup();
		return 0;
	}
	log_set_level(o.verbose ? LOG_LEVEL_DEBUG : rt->cfg->server.log_level);
	if (runtime_share_revocations(rt, ctx.revocations, err, sizeof err) < 0) {
		fprintf(stderr, "negotiated: %s\n", err);
		runtime_release(rt);
		revocations_free(ctx.revocations);
		rest_http_cleanup();
		return 1;
	}
	if (close_user_start() == 0) /* --close and close_on_revoke: the service's REST API */
		revocations_observe_close(ctx.revocations, close_user_observe, NULL);
	struct admin admin = {0};
	struct daemon_sockets passed;
	if (daemon_listen_fds(&passed, err, sizeof err) < 0 ||
	    admin_start(&rt->cfg->server, ctx.revocations, passed.admin, &admin, err, sizeof err) <
		    0) {
		fprintf(stderr, "negotiated: %s\n", err);
		close_user_stop();
		runtime_release(rt);
		revocations_free(ctx.revocations);
		rest_http_cleanup();
		return 1;
	}
	snapshot_publish(rt); /* rt stays valid here: only this thread publishes */
	int rc = serve(rt, &o, &passed, &ctx);
	admin_socket_stop(admin.socket);
	admin_http_stop(admin.http);
	close_user_stop(); /* after the admin threads: no revocation is set any more */
	snapshot_shutdown();
	revocations_free(ctx.revocations); /* after the last request and the admin thread */
	live_connections_free();
	reload_context_clear(&ctx);
	rest_http_cleanup();
	return rc;
}
