/* SPDX-License-Identifier: Apache-2.0 */
/* Audit lines: key=value with JSON-quoted values, a fingerprint instead of the token, bounded
 * lists. */
#include "core/log.h"
#include "policy/audit.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

static char captured[8192];

/* Runs fn with stderr sent to a temporary file; leaves what it wrote in captured. */
static const char *capture(void (*fn)(void))
{
	char path[] = "/tmp/ngd-audit-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t n = pread(fd, captured, sizeof captured - 1, 0);
	captured[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return captured;
}

static const char *const token =
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl";

static void issue_quoted(void)
{
	struct principal who = {.user_id = "al\"ice\\", .authenticator = "keys"};
	struct grant g = {.roles = {"webpubsub.sendToGroup.a \"b\""},
			  .n_roles = 1,
			  .groups = {"g1", "g2"},
			  .n_groups = 2};
	audit_issued("chat", &who, "192.0.2.1", &g, 1700000000, token);
}

static void issue_many(void)
{
	static char names[64][1030];
	struct principal who = {.user_id = "u", .authenticator = "keys"};
	struct grant g = {.n_groups = 64};
	for (int i = 0; i < 64; i++) {
		memset(names[i], 'a' + i % 26, 1000);
		names[i][1000] = '\0';
		g.groups[i] = names[i];
	}
	audit_issued("chat", &who, "192.0.2.1", &g, 1700000000, token);
}

static void refuse_unknown_user(void)
{
	audit_refused(NULL, NULL, "unix", 404, "unknown_hub", "no hub named 'x' is configured");
}

int main(void)
{
	char fingerprint[13];
	audit_fingerprint(token, fingerprint);
	is_str(fingerprint, "afaa5160dace",
	       "the fingerprint is the first 12 hex digits of SHA-256(token)");
	const char *line = capture(issue_quoted);
	ok(strstr(line, "audit event=issued time=") != NULL, "issued line (%s)", line);
	ok(strstr(line,
		  " hub=\"chat\" user=\"al\\\"ice\\\\\" auth=\"keys\" client=\"192.0.2.1\" "
		  "exp=1700000000 "
		  "token_sha256=\"afaa5160dace\" roles=[\"webpubsub.sendToGroup.a \\\"b\\\"\"] "
		  "groups=[\"g1\",\"g2\"]\n") != NULL,
	   "fields in order, quotes and backslashes escaped");
	ok(!strstr(line, token) && !strstr(line, "c2lnbmF0dXJl"),
	   "never the token or its signature");
	line = capture(issue_many);
	ok(strlen(line) < 2048 && strstr(line, " groups_omitted=") &&
		   line[strlen(line) - 1] == '\n',
	   "a long list ends early, says how many were left and the line stays whole");
	line = capture(refuse_unknown_user);
	ok(strstr(line, "audit event=refused time=") && !strstr(line, "hub=") &&
		   !strstr(line, "user=") &&
		   strstr(line, " client=\"unix\" status=404 reason=\"unknown_hub\" message=\"no "
				"hub named 'x' is "
				"configured\""),
	   "refused line without the unknown parts (%s)", line);
	return tap_done();
}
