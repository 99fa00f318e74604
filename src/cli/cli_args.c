/* SPDX-License-Identifier: Apache-2.0 */
/* The subcommands' argument handling, so that `token` and `explain` speak alike. */
#include "cli/cli_args.h"

#include <stdarg.h>
#include <stdio.h>

int cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "negotiated: %s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see negotiated %s --help)\n", command);
	return 2;
}

int cli_add_item(const char *command, const char **items, size_t *n, size_t max, const char *value,
		 bool (*valid)(const char *), const char *what)
{
	if (!valid(value))
		return cli_usage_error(command, "invalid %s '%.80s'", what, value);
	if (*n == max)
		return cli_usage_error(command, "more than %zu values for %s", max, what);
	items[(*n)++] = value;
	return 0;
}

int cli_getopt(const char *command, int argc, char **argv, const struct option *options,
	       int (*parse_option)(int opt, void *args), void *args)
{
	int opt, rc;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1)
		if (opt == '?')
			return cli_usage_error(command, "unknown option or missing value: '%s'", argv[optind - 1]);
		else if ((rc = parse_option(opt, args)) != 0)
			return rc;
	if (optind < argc)
		return cli_usage_error(command, "unexpected argument '%s'", argv[optind]);
	return 0;
}
