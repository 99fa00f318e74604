/* SPDX-License-Identifier: Apache-2.0 */
/* The negotiate endpoint: hub, authenticate, grant, mint, answer. */
#ifndef NGD_NEGOTIATE_H
#define NGD_NEGOTIATE_H

#include "edge/reply.h"
#include "edge/request.h"
#include "edge/resume.h"
#include "runtime/runtime.h"

/* Runs the phases of one negotiate request on the HTTP thread. Answered into OUT with *wait NULL,
 * or a phase must block: *wait is set (OUT untouched) and the request continues on (*wait)->pool
 * with (*wait)->resume(), which answers it there or names the next pool (edge/resume.h). */
void negotiate(const struct runtime *rt, struct ngd_request *req, struct reply *out,
	       struct resumable **wait);

#endif
