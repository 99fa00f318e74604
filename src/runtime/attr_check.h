/* SPDX-License-Identifier: Apache-2.0 */
/* A rule condition attr:NAME that can never hold: no authenticator of one of the rule's hubs sets
 * an attribute NAME (every one of them declares what it sets, auth_instance_attributes). */
#ifndef NGD_ATTR_CHECK_H
#define NGD_ATTR_CHECK_H

#include "runtime/runtime.h"

#include <stddef.h>

/* 0, or the number of such conditions, each appended to ERR as "FILE:LINE: match: ..." on its own
 * line (ERR holds what was there before, if anything). */
int attr_check(const struct runtime *rt, char *err, size_t err_len);

#endif
