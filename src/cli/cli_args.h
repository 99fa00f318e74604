/* SPDX-License-Identifier: Apache-2.0 */
/* What the subcommands (token, explain) share: one wording of argument errors, repeatable list
 * options, and the getopt loop. */
#ifndef NGD_CLI_ARGS_H
#define NGD_CLI_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/* Prints "negotiated: COMMAND: message (see negotiated COMMAND --help)"; returns 2. */
int cli_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a validated value to a list of at most max; 0, or 2 after saying what was wrong. */
int cli_add_item(const char *command, const char **items, size_t *n, size_t max, const char *value,
		 bool (*valid)(const char *), const char *what);
/* Runs getopt_long over argv[1..]; parse_option returns 0 to go on, or the exit status to stop
 * with (1 after --help, 2 after an error). Stray arguments are an error. */
int cli_getopt(const char *command, int argc, char **argv, const struct option *options,
	       int (*parse_option)(int opt, void *args), void *args);

#endif
