/* SPDX-License-Identifier: Apache-2.0 */
/* The subcommands' argument handling, so that `token` and `explain` speak alike. */
#include "cli/cli_args.h"

#include "core/file.h"
#include "core/secret.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

int cli_shown_length(const char *arg)
{
	size_t len = strcspn(arg, "=");
	return len > 64 ? 64 : (int)len;
}

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
			return cli_usage_error(command, "unknown option or missing value: '%.*s'",
					       cli_shown_length(argv[optind - 1]),
					       argv[optind - 1]);
		else if ((rc = parse_option(opt, args)) != 0)
			return rc;
	if (optind < argc)
		return cli_usage_error(command, "unexpected argument '%.*s'",
				       cli_shown_length(argv[optind]), argv[optind]);
	return 0;
}

/* Standard input, up to max_bytes: more is an error, not a secret cut short. */
static char *read_stdin(size_t max_bytes, size_t *len, char *err, size_t err_len)
{
	char *text = malloc(max_bytes + 2);
	ssize_t n = 0;
	*len = 0;
	if (!text) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	while (*len <= max_bytes && (n = read(STDIN_FILENO, text + *len, max_bytes + 1 - *len)) > 0)
		*len += (size_t)n;
	if (n < 0 || *len > max_bytes || memchr(text, '\0', *len)) {
		snprintf(err, err_len, "%s",
			 n < 0 ? "cannot read standard input"
			       : "standard input is too long or binary");
		explicit_bzero(text, *len);
		free(text);
		return NULL;
	}
	text[*len] = '\0';
	return text;
}

static char *read_source(const struct cli_secret_source *src, size_t max_bytes, const char *what,
			 char *err, size_t err_len)
{
	size_t len = 0;
	char *path = NULL, *text = NULL;
	if (src->env) {
		if (!(text = secret_from_env(src->env)))
			snprintf(err, err_len, "environment variable %s is not set", src->env);
		return text;
	}
	if (src->file && strcmp(src->file, "-") == 0)
		return read_stdin(max_bytes, &len, err, err_len);
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	if (src->credential && (!dir || !*dir)) {
		snprintf(err, err_len, "CREDENTIALS_DIRECTORY is not set");
		return NULL;
	}
	if (src->credential && asprintf(&path, "%s/%s", dir, src->credential) < 0) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	const char *file = path ? path : src->file;
	if (file_check_private(file, what, err, err_len) == 0)
		text = file_read(file, max_bytes, &len, err, err_len);
	free(path);
	return text;
}

char *cli_read_secret(const char *command, const struct cli_secret_source *src, size_t max_bytes,
		      const char *what)
{
	char err[600];
	char *text = read_source(src, max_bytes, what, err, sizeof err);
	if (!text) {
		cli_usage_error(command, "%s", err);
		return NULL;
	}
	size_t len = strlen(text);
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (len)
		return text;
	secret_free(text);
	cli_usage_error(command, "%s is empty", what);
	return NULL;
}
