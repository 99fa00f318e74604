/* SPDX-License-Identifier: Apache-2.0 */
/* The negotiate endpoint: hub, authenticate, grant, mint, answer. */
#ifndef NGD_NEGOTIATE_H
#define NGD_NEGOTIATE_H

#include "edge/reply.h"
#include "edge/request.h"
#include "runtime/runtime.h"

void negotiate(const struct runtime *rt, struct ngd_request *req, struct reply *out);

#endif
