/* SPDX-License-Identifier: Apache-2.0 */
/* The revocation list's state file (src/revoke/state_file.c) as a disk, a backup or an operator's
 * editor may leave it: state_file_read() on the bytes, then what it accepted must save and load
 * again to the same entries, and a refusal must name the line. */
#include "fuzz.h"
#include "revoke/revocations.h"
#include "revoke/state_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void count_entry(void *ctx, const struct revocation *e)
{
	(void)e;
	++*(size_t *)ctx;
}

/* What was accepted goes to a file and back unchanged in number. */
static void round_trip(const struct revocations *list, time_t now)
{
	char dir[] = "/tmp/fuzz_state_file.XXXXXX", path[64], err[512];
	size_t before = 0, after = 0;
	if (!mkdtemp(dir))
		return;
	snprintf(path, sizeof path, "%s/%s", dir, STATE_FILE_NAME);
	revocations_each(list, now, count_entry, &before);
	struct revocations *again = revocations_new();
	if (state_file_save(list, path, now, err, sizeof err) < 0 ||
	    state_file_load(again, path, now, err, sizeof err) < 0)
		abort(); /* what was read must be writable and readable */
	revocations_each(again, now, count_entry, &after);
	if (before != after)
		abort();
	revocations_free(again);
	remove(path);
	remove(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512] = "";
	const time_t now = 1700000000;
	if (size == 0)
		return 0; /* fmemopen refuses an empty buffer; an empty file is the missing-file
			     case */
	FILE *in = fmemopen((void *)data, size, "r");
	struct revocations *list = revocations_new();
	if (!in || !list)
		abort();
	if (state_file_read(list, in, "state", now, err, sizeof err) == 0)
		round_trip(list, now);
	else if (strncmp(err, "state:", 6) != 0)
		abort(); /* a refusal names the file and the line */
	fclose(in);
	revocations_free(list);
	return 0;
}
