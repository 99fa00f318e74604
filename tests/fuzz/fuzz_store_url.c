/* SPDX-License-Identifier: Apache-2.0 */
/* [store] url as the configuration gives it: store_url_parse(), redis://, rediss://, unix: and
 * the sentinel lists, with what it accepts checked for shape and its refusals for a reason. */
#include "fuzz.h"
#include "store/store_url.h"

#include <stdlib.h>
#include <string.h>

static void check_accepted(const struct store_url *u)
{
	if (u->db > STORE_MAX_DB || u->n_sentinels > STORE_SENTINELS_MAX)
		abort();
	if (!memchr(u->host, '\0', sizeof u->host) || !memchr(u->path, '\0', sizeof u->path) ||
	    !memchr(u->master, '\0', sizeof u->master))
		abort(); /* every copy was bounded and terminated */
	if (u->n_sentinels && !u->master[0])
		abort(); /* a sentinel list names the primary it asks for */
	if (u->transport == STORE_UNIX && !u->path[0])
		abort();
	for (unsigned i = 0; i < u->n_sentinels; i++)
		if (!u->sentinels[i].host[0] ||
		    !memchr(u->sentinels[i].host, '\0', STORE_HOST_MAX) || !u->sentinels[i].port ||
		    u->sentinels[i].port > 65535)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256] = "";
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct store_url url;
	memset(&url, 0xa5,
	       sizeof url); /* the parser must set what it accepts, not find it zeroed */
	if (store_url_parse(text, &url, err, sizeof err) == 0)
		check_accepted(&url);
	else if (!err[0] || !memchr(err, '\0', sizeof err))
		abort(); /* a refusal says why */
	free(text);
	return 0;
}
