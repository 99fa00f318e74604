/* SPDX-License-Identifier: Apache-2.0 */
/* What the harnesses that need a whole runtime share: a scratch directory for the files a
 * configuration names, a runtime built from a fixed configuration, and quiet logs. */
#ifndef NGD_FUZZ_FIXTURE_H
#define NGD_FUZZ_FIXTURE_H

#include "runtime/runtime.h"

#include <stddef.h>

/* Writes DATA to NAME in this process's scratch directory (removed at exit); returns its path. */
const char *fixture_write(const char *name, const void *data, size_t len);
/* The runtime of TEXT (a configuration), or abort(): a fixture that does not build is a harness
 * bug. */
struct runtime *fixture_runtime(const char *text);
/* The [auth:NAME] instance of rt, or abort(). */
struct auth_instance *fixture_auth(const struct runtime *rt, const char *name);
/* Only errors reach stderr: the fuzzer's own output stays readable. */
void fixture_quiet(void);

#define FIXTURE_CONNECTION_STRING                                                                  \
	"Endpoint=https://"                                                                        \
	"fuzz.webpubsub.azure.com;AccessKey=FUZZFUZZFUZZFUZZFUZZFUZZFUZZFUZZ00;Version=1.0;"

/* An htpasswd file of cheap hashes (bcrypt cost 4, sha-crypt 1000 rounds): alice:alice-password,
 * sam:sam-password, yves:yves-password. */
#define FIXTURE_HTPASSWD                                                                           \
	"alice:$2b$04$abcdefghijklmnopqrstuuUjZTeDDwje0UmqCY0iGhdozEfNTDyA6\n"                     \
	"sam:$5$rounds=1000$fuzzsalt$H7aTjCGRrJN1RGm9HMUsXJQruxk4BlQBdLVrC0P8thD\n"                \
	"yves:$6$rounds=1000$fuzzsalt$T3IzfoSLeEZlZ4dvNs18WcPvO95znsoqOM1bKy3cSPW9HELnYsjc."       \
	"6zBihGYtO3eLHTor356KbvQjxf."                                                              \
	"Gcsgx0\n"

#endif
