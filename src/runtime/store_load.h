/* SPDX-License-Identifier: Apache-2.0 */
/* The [store] of a configuration as a running store: its password read from a file, a systemd
 * credential or the environment, wiped once the store has its copy. */
#ifndef NGD_STORE_LOAD_H
#define NGD_STORE_LOAD_H

#include "config/config.h"
#include "store/store.h"

#include <stddef.h>

/* *out is NULL when the configuration has no [store]. 0, or -1 with "FILE:LINE: KEY: reason". */
int store_load(const struct config *cfg, struct store **out, char *err, size_t err_len);

#endif
