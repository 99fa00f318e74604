/* SPDX-License-Identifier: Apache-2.0 */
/* What the subcommands (token, explain) share: one wording of argument errors, repeatable list
 * options, and the getopt loop. */
#ifndef NGD_CLI_ARGS_H
#define NGD_CLI_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/* How much of a command-line argument an error may show: never past its first '=' (an unknown
 * --connection_string=VALUE), at most 64 bytes. */
int cli_shown_length(const char *arg);
/* Prints "negotiated: COMMAND: message (see negotiated COMMAND --help)"; returns 2. */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends a validated value to a list of at most max; 0, or 2 after saying what was wrong. */
int cli_add_item(const char *command, const char **items, size_t *n, size_t max, const char *value,
		 bool (*valid)(const char *), const char *what);
/* Runs getopt_long over argv[1..]; parse_option returns 0 to go on, or the exit status to stop
 * with (1 after --help, 2 after an error). Stray arguments are an error. */
int cli_getopt(const char *command, int argc, char **argv, const struct option *options,
	       int (*parse_option)(int opt, void *args), void *args);

/* Where a secret given to a subcommand comes from: never its value on the command line, which
 * ps, /proc/PID/cmdline and shell history show. Exactly one field is set. */
struct cli_secret_source {
	const char *file;	/* a path, or "-" for standard input */
	const char *env;	/* an environment variable's name */
	const char *credential; /* a name in $CREDENTIALS_DIRECTORY (systemd LoadCredential=) */
};

/* Reads the secret (at most max_bytes, final line ends trimmed); the caller frees it with
 * secret_free(). NULL after saying on stderr what was wrong (a file others can read is refused),
 * never the value. `what` names it in messages, e.g. "a connection string". */
char *cli_read_secret(const char *command, const struct cli_secret_source *src, size_t max_bytes,
		      const char *what);

#endif
