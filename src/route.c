/* The routing table: one line per endpoint. */
#include "route.h"

#include "negotiate.h"

#include <stdbool.h>
#include <string.h>

static bool method_is(const struct ngd_request *req, const char *a, const char *b)
{
	return strcmp(req->method, a) == 0 || strcmp(req->method, b) == 0;
}

static void health(const struct runtime *rt, struct ngd_request *req, struct reply *out)
{
	(void)rt, (void)req;
	reply_json(out, 200, "{\"status\":\"ok\"}");
}

static const struct {
	const char *path;
	bool prefix; /* also matches path + "/..." */
	const char *methods[2];
	const char *allow;
	void (*handle)(const struct runtime *rt, struct ngd_request *req, struct reply *out);
} routes[] = {
	{"/negotiate", true, {"GET", "POST"}, "GET, POST", negotiate},
	{"/healthz", false, {"GET", "HEAD"}, "GET, HEAD", health},
};

void route(const struct runtime *rt, struct ngd_request *req, struct reply *out)
{
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		size_t n = strlen(routes[i].path);
		if (strncmp(req->path, routes[i].path, n) != 0 ||
		    !(req->path[n] == '\0' || (routes[i].prefix && req->path[n] == '/')))
			continue;
		if (!method_is(req, routes[i].methods[0], routes[i].methods[1])) {
			out->allow = routes[i].allow;
			return reply_error(out, 405, "method_not_allowed", "use %s", routes[i].allow);
		}
		return routes[i].handle(rt, req, out);
	}
	reply_error(out, 404, "not_found", "no such endpoint");
}
