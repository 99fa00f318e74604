/* SPDX-License-Identifier: Apache-2.0 */
/* The state file of the revocation list: JSON lines through jansson, strict on read (a member
 * unknown, missing or of the wrong type names the line), atomic on write. */
#include "revoke/state_file.h"

#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STR_(x) #x
#define STR(x) STR_(x)

static const char *const members[] = {"user",	"hub",	      "reason",	      "by",
				      "set_at", "expires_at", "issued_before"};

/* A string member into out[size]: 0, or -1 when it is not a string or too long. */
static int copy_string(json_t *obj, const char *name, char *out, size_t size, bool required)
{
	json_t *v = json_object_get(obj, name);
	out[0] = '\0';
	if (!v)
		return required ? -1 : 0;
	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int copy_time(json_t *obj, const char *name, time_t *out, bool required)
{
	json_t *v = json_object_get(obj, name);
	*out = 0;
	if (!v)
		return required ? -1 : 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = (time_t)json_integer_value(v);
	return 0;
}

static const char *unknown_member(json_t *obj)
{
	const char *name;
	json_t *value;
	json_object_foreach(obj, name, value)
	{
		bool known = false;
		for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
			known = known || strcmp(name, members[i]) == 0;
		if (!known)
			return name;
	}
	return NULL;
}

static int read_members(json_t *obj, struct revocation *out, char *err, size_t err_len)
{
	const char *bad = NULL;
	if (copy_string(obj, "user", out->user, sizeof out->user, true) < 0)
		bad = "user (a string of at most 512 bytes, required)";
	else if (copy_string(obj, "hub", out->hub, sizeof out->hub, false) < 0)
		bad = "hub (a string of at most 128 bytes)";
	else if (copy_string(obj, "reason", out->reason, sizeof out->reason, false) < 0)
		bad = "reason (a string of at most 256 bytes)";
	else if (copy_string(obj, "by", out->by, sizeof out->by, true) < 0)
		bad = "by (a string of at most 128 bytes, required)";
	else if (copy_time(obj, "set_at", &out->set_at, true) < 0)
		bad = "set_at (seconds since 1970, required)";
	else if (copy_time(obj, "expires_at", &out->expires_at, false) < 0)
		bad = "expires_at (seconds since 1970, 0 for never)";
	else if (copy_time(obj, "issued_before", &out->issued_before, false) < 0)
		bad = "issued_before (seconds since 1970, 0 for none)";
	if (bad)
		snprintf(err, err_len, "bad member %s", bad);
	return bad ? -1 : 0;
}

int state_file_parse_line(const char *text, size_t len, struct revocation *out, char *err,
			  size_t err_len)
{
	json_error_t error;
	json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &error);
	const char *unknown = json_is_object(obj) ? unknown_member(obj) : NULL;
	int rc = -1;
	if (!obj)
		snprintf(err, err_len, "not valid JSON (column %d)", error.column);
	else if (!json_is_object(obj))
		snprintf(err, err_len, "not a JSON object");
	else if (unknown)
		snprintf(err, err_len, "unknown member (its name is not shown)");
	else if (read_members(obj, out, err, err_len) == 0)
		rc = revocation_check(out, err, err_len);
	json_decref(obj);
	return rc;
}

/* One line of IN into line[STATE_FILE_MAX_LINE + 1]: its length (newline dropped), -1 at the end,
 * -2 when longer than the cap, -3 at a NUL byte (which would hide the rest of the line). */
static long next_line(FILE *in, char *line)
{
	long len = 0;
	int c;
	while ((c = getc_unlocked(in)) != EOF && c != '\n') {
		if (c == '\0')
			return -3;
		if (len == STATE_FILE_MAX_LINE)
			return -2;
		line[len++] = (char)c;
	}
	line[len] = '\0';
	return c == EOF && len == 0 ? -1 : len;
}

static int read_lines(struct revocations *list, FILE *in, const char *name, time_t now, char *line,
		      char *err, size_t err_len)
{
	char why[256];
	long len;
	struct revocation e;
	for (unsigned long n = 1; (len = next_line(in, line)) != -1; n++) {
		if (len < -1) {
			snprintf(err, err_len, "%s:%lu: %s", name, n,
				 len == -2 ? "the line is longer than " STR(
						     STATE_FILE_MAX_LINE) " bytes"
					   : "a NUL byte");
			return -1;
		}
		if (state_file_parse_line(line, (size_t)len, &e, why, sizeof why) < 0 ||
		    revocations_load_one(list, &e, now, why, sizeof why) < 0) {
			snprintf(err, err_len, "%s:%lu: %s", name, n, why);
			return -1;
		}
	}
	return 0;
}

int state_file_read(struct revocations *list, FILE *in, const char *name, time_t now, char *err,
		    size_t err_len)
{
	char *line = malloc(STATE_FILE_MAX_LINE + 1);
	int rc = -1;
	if (!line)
		snprintf(err, err_len, "%s: out of memory", name);
	else
		rc = read_lines(list, in, name, now, line, err, err_len);
	if (rc == 0 && ferror(in)) {
		snprintf(err, err_len, "%s: read error", name);
		rc = -1;
	}
	free(line);
	if (rc == 0)
		revocations_loaded(list);
	return rc;
}

int state_file_load(struct revocations *list, const char *path, time_t now, char *err,
		    size_t err_len)
{
	FILE *in = fopen(path, "re");
	if (!in && errno == ENOENT) {
		revocations_loaded(list);
		return 0;
	}
	if (!in) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc = state_file_read(list, in, path, now, err, err_len);
	fclose(in);
	return rc;
}

struct writer {
	struct buf out;
};

char *state_file_format_line(const struct revocation *e)
{
	json_t *obj = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "user", e->user, "hub",
				e->hub, "reason", e->reason, "by", e->by, "set_at",
				(json_int_t)e->set_at, "expires_at", (json_int_t)e->expires_at,
				"issued_before", (json_int_t)e->issued_before);
	char *text = obj ? json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(obj);
	return text;
}

static void append_entry(void *ctx, const struct revocation *e)
{
	struct writer *w = ctx;
	char *text = state_file_format_line(e);
	if (text) {
		buf_puts(&w->out, text);
		buf_puts(&w->out, "\n");
	} else {
		w->out.failed = true;
	}
	free(text);
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n, len -= (size_t)n;
	}
	return 0;
}

/* The directory holding PATH, fsync'ed so the rename is durable. */
static int sync_directory(const char *path)
{
	char copy[4096];
	snprintf(copy, sizeof copy, "%s", path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_temp(const char *tmp_template, char *tmp, size_t tmp_size, const struct buf *text)
{
	snprintf(tmp, tmp_size, "%s", tmp_template);
	int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0)
		return -1;
	int rc = write_all(fd, text->data ? text->data : "", text->len);
	if (rc == 0)
		rc = fsync(fd);
	if (close(fd) < 0)
		rc = -1;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int state_file_save(const struct revocations *list, const char *path, time_t now, char *err,
		    size_t err_len)
{
	struct writer w = {{0}};
	char tmp_template[4096], tmp[4096];
	revocations_each(list, now, append_entry, &w);
	if (w.out.failed || snprintf(tmp_template, sizeof tmp_template, "%s.XXXXXX", path) >=
				    (int)sizeof tmp_template) {
		snprintf(err, err_len, "the state file could not be written: out of memory");
		buf_free(&w.out);
		return -1;
	}
	int rc = write_temp(tmp_template, tmp, sizeof tmp, &w.out);
	if (rc == 0 && rename(tmp, path) < 0) {
		unlink(tmp);
		rc = -1;
	}
	if (rc == 0)
		rc = sync_directory(path);
	if (rc < 0)
		snprintf(err, err_len, "the state file %s could not be written: %s", path,
			 strerror(errno));
	buf_free(&w.out);
	return rc;
}
