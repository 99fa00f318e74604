/* SPDX-License-Identifier: Apache-2.0 */
/* The developer page: fixed bytes under a strict Content-Security-Policy; it only calls /negotiate.
 */
#include "http/dev_page.h"

#include "http/dev_page_assets.h"

#include <string.h>

/* No inline script or style, no other origin but the WebSocket the answer names, no framing. */
#define DEV_PAGE_CSP                                                                               \
	"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; "   \
	"img-src "                                                                                 \
	"'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

static const struct {
	const char *path, *type;
	const unsigned char *data;
	const size_t *len;
} assets[] = {
	{"/", "text/html; charset=utf-8", dev_page_index_html, &dev_page_index_html_len},
	{"/dev-page.js", "text/javascript; charset=utf-8", dev_page_app_js, &dev_page_app_js_len},
	{"/dev-page.css", "text/css; charset=utf-8", dev_page_style_css, &dev_page_style_css_len},
};

void dev_page_serve(const struct runtime *rt, struct ngd_request *req, struct reply *out)
{
	size_t i = 0;
	while (i < sizeof assets / sizeof assets[0] && strcmp(req->path, assets[i].path) != 0)
		i++;
	if (!rt->cfg->server.dev_page || i == sizeof assets / sizeof assets[0])
		return reply_error(out, 404, "not_found", "no such endpoint");
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
		out->allow = "GET, HEAD";
		return reply_error(out, 405, "method_not_allowed", "use GET, HEAD");
	}
	reply_json(out, 200, "");
	buf_append(&out->body, assets[i].data, *assets[i].len);
	out->content_type = assets[i].type;
	reply_header(out, "Content-Security-Policy", DEV_PAGE_CSP);
	reply_header(out, "Referrer-Policy", "no-referrer");
	reply_header(out, "X-Frame-Options", "DENY");
}
