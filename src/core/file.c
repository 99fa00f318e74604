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
			snprintf(err, err_len, "read error: %s",
				 n < 0 ? strerror(errno) : "file shrank");
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

#define BOM "\xef\xbb\xbf"

/* One way for every text file: a BOM at its start and CRLF line ends are an editor's, not data, and
 * go; a lone CR or a BOM further in would become data, and are refused with their line. */
static int text_normalize(const char *path, char *data, size_t *len, char *err, size_t err_len)
{
	size_t in = 0, out = 0;
	int line = 1;
	if (*len >= 3 && memcmp(data, BOM, 3) == 0)
		in = 3;
	for (; in < *len; in++) {
		if (data[in] == '\r' && in + 1 < *len && data[in + 1] == '\n')
			continue;
		if (data[in] == '\r') {
			snprintf(err, err_len,
				 "%s:%d: a carriage return without a newline after it", path, line);
			return -1;
		}
		if (data[in] == '\xef' && *len - in >= 3 && memcmp(data + in, BOM, 3) == 0) {
			snprintf(err, err_len, "%s:%d: a byte order mark (U+FEFF) inside the file",
				 path, line);
			return -1;
		}
		line += data[in] == '\n';
		data[out++] = data[in];
	}
	explicit_bzero(data + out, *len - out); /* what moved down may be secret */
	data[out] = '\0';
	*len = out;
	return 0;
}

char *file_read(const char *path, size_t max_bytes, size_t *len, char *err, size_t err_len)
{
	char *data = file_read_bytes(path, max_bytes, len, err, err_len);
	if (data && memchr(data, '\0', *len))
		snprintf(err, err_len, "%s: contains a NUL byte", path);
	else if (!data || text_normalize(path, data, len, err, err_len) == 0)
		return data;
	explicit_bzero(data, *len);
	free(data);
	return NULL;
}

int file_check_private(const char *path, const char *what, char *err, size_t err_len)
{
	struct stat st;
	if (!path || stat(path, &st) < 0 || !(st.st_mode & (S_IROTH | S_IWOTH)))
		return 0;
	snprintf(err, err_len,
		 "'%.200s' holds %s and is readable by every user (mode %04o): run chmod o-rwx "
		 "'%.200s'",
		 path, what, (unsigned)(st.st_mode & 07777), path);
	return -1;
}
