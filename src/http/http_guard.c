/* SPDX-License-Identifier: Apache-2.0 */
/* Request-head checks (http_guard.h). Every value is read with its length (the _n lookups): a NUL
 * inside one would otherwise cut it short, and "lobby\0x" would be read as "lobby". */
#include "http/http_guard.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

size_t query_arg_count(const char *target)
{
	const char *q = strchr(target, '?');
	size_t n = q && q[1] ? 1 : 0;
	for (const char *s = q; s && *s; s++)
		n += *s == '&';
	return n;
}

struct head_scan {
	size_t headers, content_length, transfer_encoding, host;
	const char *length, *coding; /* the first value of each */
	size_t length_len, coding_len;
	bool bad_name, nul;
	const char *head_end,
		*prev_end; /* the raw head in libmicrohttpd's buffer; the last value's end */
	const char *names[HTTP_MAX_HEADERS]; /* the names seen so far that must occur once */
	size_t name_lens[HTTP_MAX_HEADERS], n_names;
	const char *repeated; /* the first such name seen twice */
	size_t repeated_len;
};

/* Lists HTTP lets a client split over lines that the daemon never reads for a decision, and
 * X-Forwarded-For, which is read as all its lines joined in order. Every other header is single. */
static bool may_repeat(const char *name, size_t len)
{
	static const char *const lists[] = {
		"Accept",	 "Accept-Charset", "Accept-Encoding", "Accept-Language",
		"Cache-Control", "Connection",	   "Pragma",	      "TE",
		"Via",		 "Warning",	   "X-Forwarded-For"};
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		if (strlen(lists[i]) == len && strncasecmp(lists[i], name, len) == 0)
			return true;
	return false;
}

/* Remembers a single-valued name; the first one seen twice is kept for the answer. */
static void note_single(struct head_scan *s, const char *key, size_t key_size)
{
	if (s->repeated || may_repeat(key, key_size))
		return;
	for (size_t i = 0; i < s->n_names; i++)
		if (s->name_lens[i] == key_size && strncasecmp(s->names[i], key, key_size) == 0) {
			s->repeated = key, s->repeated_len = key_size;
			return;
		}
	if (s->n_names < HTTP_MAX_HEADERS)
		s->names[s->n_names] = key, s->name_lens[s->n_names++] = key_size;
}

/* RFC 9110 tchar: a field name is a token, so "Content-Length " is not one. */
static bool is_token(const char *s, size_t len)
{
	static const char extra[] = "!#$%&'*+-.^_`|~";
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool alnum =
			(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		if (!alnum && (c == '\0' || !strchr(extra, c)))
			return false;
	}
	return true;
}

static bool has_nul(const char *s, size_t len)
{
	return s && memchr(s, '\0', len) != NULL;
}

/* libmicrohttpd 0.9.75 measures a header value with strlen, so "key\0junk" reaches every lookup,
 * the _n ones too, as "key". Its values point into the raw head in arrival order, so what it cut
 * off is still there: between one value's end and the next name only line ends and blanks may be.
 */
static bool only_blanks(const char *from, const char *to)
{
	for (; from < to; from++)
		if (*from && !strchr(" \t\r\n", *from))
			return false;
	return true;
}

static bool hidden_after(struct head_scan *s, const char *next)
{
	const char *from = s->prev_end;
	if (!from || next < from || next > s->head_end)
		return false; /* not the layout described above: nothing to compare */
	return !only_blanks(from, next);
}

bool path_has_nul(const char *target)
{
	size_t path_len = strcspn(target, "?");
	for (const char *s = target; (s = memchr(s, '%', path_len - (size_t)(s - target))); s++)
		if ((size_t)(s - target) + 2 < path_len && s[1] == '0' && s[2] == '0')
			return true;
	return false;
}

int guard_target(const char *target_end, bool nul_in_path, const char *version, struct reply *r)
{
	bool raw_nul = target_end && version >= target_end && !only_blanks(target_end, version);
	if (!raw_nul && !nul_in_path)
		return 0;
	reply_error(r, 400, "invalid_target", "the request target contains a NUL byte");
	r->close = raw_nul; /* a raw NUL: the request line itself is in doubt */
	return -1;
}

static void note(const char *key, const char *name, const char *value, size_t len, size_t *count,
		 const char **first, size_t *first_len)
{
	if (strcasecmp(key, name) != 0)
		return;
	if ((*count)++ == 0)
		*first = value ? value : "", *first_len = value ? len : 0;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   size_t key_size, const char *value, size_t value_size)
{
	struct head_scan *s = cls;
	(void)kind;
	s->headers++;
	s->nul |= has_nul(key, key_size) || has_nul(value, value_size) || hidden_after(s, key);
	s->prev_end = value ? value + value_size : key + key_size;
	s->bad_name |= !is_token(key, key_size);
	note(key, MHD_HTTP_HEADER_CONTENT_LENGTH, value, value_size, &s->content_length, &s->length,
	     &s->length_len);
	note(key, MHD_HTTP_HEADER_TRANSFER_ENCODING, value, value_size, &s->transfer_encoding,
	     &s->coding, &s->coding_len);
	s->host += strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0;
	note_single(s, key, key_size);
	return MHD_YES;
}

static enum MHD_Result scan_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				size_t key_size, const char *value, size_t value_size)
{
	bool *nul = cls;
	(void)kind;
	*nul |= has_nul(key, key_size) || has_nul(value, value_size);
	return MHD_YES;
}

/* 1*DIGIT and no more than fits: "-1", "0x10", "+14" and "14, 14" are not lengths. */
static bool valid_length(const char *s, size_t len)
{
	if (len == 0 || len > 18)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int refuse(struct reply *r, unsigned status, const char *code, const char *message)
{
	reply_error(r, status, code, "%s", message);
	r->close = true; /* the end of this message is unknown: nothing after it can be trusted */
	return -1;
}

static int check_framing(const struct head_scan *s, const char *version, struct reply *r)
{
	if (s->nul)
		return refuse(r, 400, "invalid_header",
			      "a header line contains a NUL byte or a folded continuation");
	if (s->bad_name)
		return refuse(r, 400, "invalid_header", "a header name is not an HTTP token");
	if (s->transfer_encoding && s->content_length)
		return refuse(r, 400, "invalid_framing",
			      "Content-Length and Transfer-Encoding together");
	if (s->transfer_encoding > 1 ||
	    (s->transfer_encoding &&
	     (s->coding_len != 7 || strncasecmp(s->coding, "chunked", 7) != 0)))
		return refuse(r, 501, "unsupported_transfer_encoding",
			      "the only transfer coding served is chunked");
	if (s->content_length > 1)
		return refuse(r, 400, "invalid_framing", "more than one Content-Length");
	if (s->content_length && !valid_length(s->length, s->length_len))
		return refuse(r, 400, "invalid_framing", "Content-Length is not a decimal number");
	bool http10 = strcmp(version, MHD_HTTP_VERSION_1_0) == 0;
	if (s->host > 1 || (!http10 && s->host == 0))
		return refuse(r, 400, "invalid_host", "HTTP/1.1 needs exactly one Host header");
	if (s->repeated) { /* a token (checked above) of at most the header cap: safe to name */
		reply_error(r, 400, "invalid_header",
			    "the header %.*s occurs more than once; it takes one value",
			    (int)(s->repeated_len > 64 ? 64 : s->repeated_len), s->repeated);
		return -1;
	}
	return 0;
}

int guard_head(struct MHD_Connection *conn, const char *method, const char *version,
	       struct reply *r)
{
	const union MHD_ConnectionInfo *size =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	struct head_scan s = {.head_end = size ? method + size->header_size : NULL};
	bool nul = false;
	if (!is_token(method, strlen(method))) /* it reaches log lines and the access log */
		return refuse(r, 400, "invalid_method", "the method is not an HTTP token");
	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, scan_header, &s);
	s.nul |= s.head_end && hidden_after(&s, s.head_end);
	if (s.headers > HTTP_MAX_HEADERS) {
		reply_error(r, 431, "too_many_headers", "more than %d headers", HTTP_MAX_HEADERS);
		return -1;
	}
	if (check_framing(&s, version, r))
		return -1;
	MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, scan_arg, &nul);
	if (nul) {
		reply_error(r, 400, "invalid_parameter", "a query argument contains a NUL byte");
		return -1;
	}
	return 0;
}
