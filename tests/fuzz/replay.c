/* SPDX-License-Identifier: Apache-2.0 */
/* Replays a harness's committed corpus without libFuzzer, as a TAP test: every seed and every
 * crash ever found goes through the harness on each make check (under ASan in the sanitizer
 * build). A crash, a leak under ASan or an abort() in the harness fails the run. */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define REPLAY_MAX_INPUT (1 << 20) /* libFuzzer's default -max_len is far below this */

/* The whole file in a buffer of exactly its size, so that ASan sees any read past its end. */
static uint8_t *read_input(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > REPLAY_MAX_INPUT) {
		if (f)
			fclose(f);
		return NULL;
	}
	*size = (size_t)st.st_size;
	uint8_t *data = malloc(*size ? *size : 1);
	if (data && fread(data, 1, *size, f) != *size) {
		free(data);
		data = NULL;
	}
	fclose(f);
	return data;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : FUZZ_CORPUS;
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort), count = 0, failed = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		size_t size = 0;
		if (names[i]->d_name[0] == '.' || snprintf(path, sizeof path, "%s/%s", dir,
							   names[i]->d_name) >= (int)sizeof path) {
			free(names[i]);
			continue;
		}
		uint8_t *data = read_input(path, &size);
		if (data)
			LLVMFuzzerTestOneInput(data, size);
		printf("%s %d - %s (%zu bytes)\n", data ? "ok" : "not ok", ++count,
		       names[i]->d_name, size);
		failed += !data;
		free(data);
		free(names[i]);
	}
	if (n > 0)
		free(names);
	if (count == 0)
		printf("not ok %d - the corpus %s has inputs\n", ++count, dir), failed++;
	printf("1..%d\n", count);
	return failed ? 1 : 0;
}
