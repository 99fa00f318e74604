/* SPDX-License-Identifier: Apache-2.0 */
/* [server] dev_page: the developer page (GET /), its script and its style, built into the binary.
 */
#ifndef NGD_DEV_PAGE_H
#define NGD_DEV_PAGE_H

#include "edge/reply.h"
#include "edge/request.h"
#include "runtime/runtime.h"

/* GET or HEAD of /, /dev-page.js or /dev-page.css; 404 as for any unknown path when dev_page is
 * off. */
void dev_page_serve(const struct runtime *rt, struct ngd_request *req, struct reply *out);

#endif
