/* SPDX-License-Identifier: Apache-2.0 */
/* Paths and methods to handlers; everything else is 404 or 405. */
#ifndef NGD_ROUTE_H
#define NGD_ROUTE_H

#include "edge/reply.h"
#include "edge/request.h"
#include "runtime/runtime.h"

void route(const struct runtime *rt, struct ngd_request *req, struct reply *out);

#endif
