/* SPDX-License-Identifier: Apache-2.0 */
/* The revocation list's state file: one JSON object a line (user, hub, reason, by, set_at,
 * expires_at, issued_before), written whole and atomically (temporary file in the same directory,
 * fsync, rename, fsync of the directory), mode 0600; read in O(n), refusing a bad line by number.
 */
#ifndef NGD_STATE_FILE_H
#define NGD_STATE_FILE_H

#include "revoke/revocations.h"

#include <stdio.h>
#include <time.h>

#define STATE_FILE_NAME "revocations.jsonl" /* in [server] state_directory */
#define STATE_FILE_MAX_LINE 8192	    /* bytes of one line: an entry at every cap, escaped */

/* One line (without its newline) into *out: 0, or -1 with what is wrong in err. */
int state_file_parse_line(const char *text, size_t len, struct revocation *out, char *err,
			  size_t err_len);
/* E as one line of the file (compact JSON, no newline), malloc'ed; NULL when out of memory. */
char *state_file_format_line(const struct revocation *e);
/* Every line of IN into LIST (entries expired at NOW dropped): 0, or -1 with "NAME:LINE: what"
 * in err, and then LIST may hold the lines before it (the caller refuses to start). */
int state_file_read(struct revocations *list, FILE *in, const char *name, time_t now, char *err,
		    size_t err_len);
/* PATH into LIST; a missing file is an empty list (the first start). 0, or -1 as above. */
int state_file_load(struct revocations *list, const char *path, time_t now, char *err,
		    size_t err_len);
/* LIST's live entries at NOW to PATH, atomically: 0, or -1 with why in err (PATH unchanged). */
int state_file_save(const struct revocations *list, const char *path, time_t now, char *err,
		    size_t err_len);

#endif
