/* SPDX-License-Identifier: Apache-2.0 */
/* Small-file reading: the size is capped before anything is allocated for the contents. */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *read_all(int fd, size_t max_bytes, size_t *len, char *err, size_t err_len)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, err_len, "not a regular file");
		return NULL;
	}
	if ((size_t)st.st_size > max_bytes) {
		snprintf(err, err_len, "larger than %zu bytes", max_bytes);
		return NULL;
	}
	char *data = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (data && got < (size_t)st.st_size) {
		ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
		if (n <= 0) {
			snprintf(err, err_len, "read error: %s", n < 0 ? strerror(errno) : "file shrank");
			explicit_bzero(data, got);
			free(data);
			return NULL;
		}
		got += (size_t)n;
	}
	if (!data) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	data[got] = '\0';
	*len = got;
	return data;
}

char *file_read_bytes(const char *path, size_t max_bytes, size_t *len, char *err, size_t err_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(err, err_len, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	char why[128];
	char *data = read_all(fd, max_bytes, len, why, sizeof why);
	close(fd);
	if (!data)
		snprintf(err, err_len, "%s: %s", path, why);
	return data;
}

char *file_read(const char *path, size_t max_bytes, size_t *len, char *err, size_t err_len)
{
	char *data = file_read_bytes(path, max_bytes, len, err, err_len);
	if (data && memchr(data, '\0', *len)) {
		snprintf(err, err_len, "%s: contains a NUL byte", path);
		explicit_bzero(data, *len);
		free(data);
		data = NULL;
	}
	return data;
}
