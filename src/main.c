/* negotiated: command line, start-up order, signals, shutdown. */
#include "config.h"

#include "cli_explain.h"
#include "cli_token.h"
#include "dev.h"
#include "http.h"
#include "listen.h"
#include "log.h"
#include "runtime.h"

#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/negotiated/negotiated.conf"

struct options {
	const char *config;
	const char *listen;
	bool dev, check, verbose;
};

static const char usage[] =
	"usage: negotiated [-c FILE] [--listen ADDR] [--dev] [--check-config] [-v] [--version] [--help]\n"
	"       negotiated token --help\n"
	"       negotiated explain --help\n"
	"  -c, --config FILE    configuration file (default " DEFAULT_CONFIG ")\n"
	"  -l, --listen ADDR    HOST:PORT, [IPV6]:PORT or unix:/PATH, instead of [server] listen\n"
	"      --dev            embedded development configuration (anonymous, one hub 'demo')\n"
	"      --check-config   check the configuration and exit: 0 valid, 1 invalid\n"
	"  -v, --verbose        debug logging\n";

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longs[] = {
		{"config", required_argument, NULL, 'c'}, {"listen", required_argument, NULL, 'l'},
		{"dev", no_argument, NULL, 'd'},	  {"check-config", no_argument, NULL, 'k'},
		{"verbose", no_argument, NULL, 'v'},	  {"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	int opt;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "c:l:vVh", longs, NULL)) != -1) {
		switch (opt) {
		case 'c': o->config = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'd': o->dev = true; break;
		case 'k': o->check = true; break;
		case 'v': o->verbose = true; break;
		case 'V': puts(PACKAGE_STRING); exit(0);
		case 'h': fputs(usage, stdout); exit(0);
		default:
			fprintf(stderr, "negotiated: unknown option or missing value: '%s' (see --help)\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc || (o->dev && o->config)) {
		fprintf(stderr, "negotiated: %s (see --help)\n",
			optind < argc ? "unexpected argument" : "--dev and --config exclude each other");
		return -1;
	}
	return 0;
}

static struct runtime *load(const struct options *o)
{
	char err[640];
	struct config *cfg = o->dev ? dev_config_load(err, sizeof err)
				    : config_load_file(o->config ? o->config : DEFAULT_CONFIG, err, sizeof err);
	struct runtime *rt = cfg ? runtime_build(cfg, err, sizeof err) : NULL;
	if (!rt)
		fprintf(stderr, "negotiated: %s\n", err);
	return rt;
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

static void wait_for_stop(void)
{
	sigset_t set = stop_signals();
	int sig;
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			return;
		log_warning("SIGHUP: reloading is not implemented yet; restart to apply a new configuration");
	}
}

static void block_signals(void)
{
	sigset_t set = stop_signals();
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* before any thread starts, so all inherit it */
	signal(SIGPIPE, SIG_IGN);
}

static int serve(struct runtime *rt, const struct options *o)
{
	struct listen_addr addr;
	const char *spec = o->listen ? o->listen : rt->cfg->server.listen;
	int fd = open_listener(spec, &addr);
	if (fd < 0)
		return 1;
	struct http_server *srv = http_start(rt, fd);
	if (!srv) {
		close(fd);
		return 1;
	}
	log_info("listening on %s with %u threads, %zu hubs", spec, rt->cfg->server.threads, rt->n_hubs);
	wait_for_stop();
	log_info("stopping");
	http_stop(srv);
	if (addr.unix_path[0])
		unlink(addr.unix_path);
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {0};
	log_init();
	if (argc > 1 && strcmp(argv[1], "token") == 0)
		return cli_token(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "explain") == 0)
		return cli_explain(argc - 1, argv + 1);
	if (parse_options(argc, argv, &o) < 0)
		return 2;
	block_signals();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) { /* once, before any thread: it is not thread-safe */
		fprintf(stderr, "negotiated: cannot initialise libcurl\n");
		return 1;
	}
	struct runtime *rt = load(&o);
	if (!rt) {
		curl_global_cleanup();
		return 1;
	}
	if (o.check) {
		printf("%s: configuration OK\n", o.dev ? "<dev>" : o.config ? o.config : DEFAULT_CONFIG);
		runtime_free(rt);
		curl_global_cleanup();
		return 0;
	}
	log_set_level(o.verbose ? LOG_LEVEL_DEBUG : rt->cfg->server.log_level);
	int rc = serve(rt, &o);
	runtime_free(rt);
	curl_global_cleanup();
	return rc;
}
