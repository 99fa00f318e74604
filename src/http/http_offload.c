/* SPDX-License-Identifier: Apache-2.0 */
/* Suspended requests: a copy of the request for the worker, the resume when its answer is ready. */
#include "http/http_offload.h"

#include "auth/chain.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/timer.h"
#include "http/route.h"
#include "runtime/snapshot.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DELAYED 4096 /* more than libmicrohttpd's connection limit: a full timer is a bug */
#define MAX_HOPS 4	 /* a chain with several blocking authenticators moves between their workers */

/* The worker threads belong to the authenticators (each its own bulkhead); this counts the jobs
 * handed to them, so that offload_stop() can wait until every one has resumed its connection. */
struct offload {
	struct timer *timer;
	unsigned delay_ms;
	pthread_mutex_t lock;
	pthread_cond_t idle;
	size_t in_flight; /* submitted to a worker and not yet handed back */
	bool stopping;
};

struct field {
	const char *name;
	const char *value; /* NULL for a query argument without '=' */
};

struct deferred {
	struct offload *off;
	struct runtime *rt; /* a counted reference: the request ends on the snapshot it began on */
	struct MHD_Connection *conn;
	struct work work;
	struct timer_entry timer;
	unsigned hops;
	bool copied; /* req below is a copy the worker may read */
	struct ngd_request req;
	struct sockaddr_storage peer;
	struct field *fields; /* headers, then query arguments */
	size_t n_headers, n_args;
	char *text; /* every copied string, NUL-separated */
	size_t text_len;
	struct reply reply;
};

struct offload *offload_start(const struct config_server *cfg)
{
	struct offload *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->delay_ms = cfg->auth_failure_delay;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->idle, NULL);
	if (!(o->timer = timer_start(MAX_DELAYED))) {
		log_error("cannot start the authentication timer");
		offload_free(o);
		return NULL;
	}
	return o;
}

void offload_stop(struct offload *o)
{
	pthread_mutex_lock(&o->lock);
	o->stopping = true; /* jobs not started yet are answered 503 at once */
	while (o->in_flight)
		pthread_cond_wait(&o->idle, &o->lock);
	pthread_mutex_unlock(&o->lock);
	timer_stop(o->timer);
}

void offload_free(struct offload *o)
{
	if (!o)
		return;
	timer_free(o->timer);
	pthread_cond_destroy(&o->idle);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

/* A job is handed to a worker: 0, or -1 once stopping. */
static int job_begin(struct offload *o)
{
	pthread_mutex_lock(&o->lock);
	bool ok = !o->stopping;
	o->in_flight += ok;
	pthread_mutex_unlock(&o->lock);
	return ok ? 0 : -1;
}

/* A worker is done with its job (resumed it or gave it to the timer); O outlives every job. */
static void job_end(struct offload *o)
{
	pthread_mutex_lock(&o->lock);
	if (--o->in_flight == 0)
		pthread_cond_broadcast(&o->idle);
	pthread_mutex_unlock(&o->lock);
}

static bool stopping(struct offload *o)
{
	pthread_mutex_lock(&o->lock);
	bool s = o->stopping;
	pthread_mutex_unlock(&o->lock);
	return s;
}

/* The last thing done with d off the HTTP thread: after it, MHD may answer and free d. */
static void resume(struct deferred *d)
{
	MHD_resume_connection(d->conn);
}

static void on_timer(struct timer_entry *e)
{
	resume((struct deferred *)((char *)e - offsetof(struct deferred, timer)));
}

/* The delay before a failure is answered: auth_failure_delay with +-50% jitter, so that timing
 * tells a guesser nothing about which check failed. */
static unsigned jittered(unsigned ms)
{
	unsigned r = 0;
	random_bytes(&r, sizeof r);
	return ms / 2 + r % (ms + 1);
}

static void answer_later(struct deferred *d)
{
	if (!d->reply.auth_failed || !d->off->delay_ms ||
	    timer_add(d->off->timer, &d->timer, jittered(d->off->delay_ms)))
		resume(d);
}

static void busy(struct reply *r, const char *why)
{
	reply_error(r, 503, "unavailable", "%s; try again", why);
	r->retry_after = 1;
}

/* The chain stopped at another blocking authenticator: on to its worker. 0, or -1 with a 503. */
static int hop(struct deferred *d)
{
	const struct auth_instance *next = d->reply.needs_worker;
	buf_free_secret(&d->reply.body);
	d->reply = (struct reply){0};
	d->req.worker_of = next;
	if (++d->hops <= MAX_HOPS && job_begin(d->off) == 0) {
		if (auth_instance_submit(next, &d->work) == 0)
			return 0;
		job_end(d->off);
	}
	busy(&d->reply, "too many requests are waiting for authentication");
	return -1;
}

static void on_work(struct work *w)
{
	struct deferred *d = (struct deferred *)((char *)w - offsetof(struct deferred, work));
	struct offload *o = d->off; /* d may be freed once it is resumed */
	if (stopping(o)) {
		busy(&d->reply, "the server is shutting down");
		resume(d);
		job_end(o);
		return;
	}
	log_set_request_id(d->req.request_id); /* this thread's log lines about it carry its id */
	route(d->rt, &d->req, &d->reply);
	log_set_request_id(NULL);
	if (!d->reply.needs_worker || hop(d) < 0)
		answer_later(d);
	job_end(o);
}

static void on_cancel(struct work *w)
{
	struct deferred *d = (struct deferred *)((char *)w - offsetof(struct deferred, work));
	struct offload *o = d->off;
	busy(&d->reply, "the server is shutting down");
	resume(d);
	job_end(o);
}

static const char *copied_header(void *src, const char *name)
{
	const struct deferred *d = src;
	for (size_t i = 0; i < d->n_headers; i++)
		if (strcasecmp(d->fields[i].name, name) == 0)
			return d->fields[i].value;
	return NULL;
}

static const char *copied_query(void *src, const char *name, unsigned *count)
{
	const struct deferred *d = src;
	const char *first = NULL;
	unsigned n = 0;
	for (size_t i = d->n_headers; i < d->n_headers + d->n_args; i++)
		if (strcmp(d->fields[i].name, name) == 0 && n++ == 0)
			first = d->fields[i].value;
	if (count)
		*count = n;
	return first;
}

static const char *copied_query_at(void *src, const char *name, unsigned index)
{
	const struct deferred *d = src;
	for (size_t i = d->n_headers; i < d->n_headers + d->n_args; i++)
		if (strcmp(d->fields[i].name, name) == 0 && index-- == 0)
			return d->fields[i].value;
	return NULL;
}

static const char *copied_query_name_at(void *src, unsigned index)
{
	const struct deferred *d = src;
	return index < d->n_args ? d->fields[d->n_headers + index].name : NULL;
}

struct copier {
	struct deferred *d;
	size_t n, bytes; /* measuring pass: totals; copying pass: positions */
	bool copy;
};

static char *copy_text(struct copier *c, const char *s)
{
	size_t len = strlen(s) + 1;
	char *at = c->d->text + c->bytes;
	if (c->copy)
		memcpy(at, s, len);
	c->bytes += len;
	return at;
}

static enum MHD_Result copy_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct copier *c = cls;
	(void)kind;
	if (!c->copy) {
		c->bytes += strlen(key) + 1 + (value ? strlen(value) + 1 : 0);
	} else {
		c->d->fields[c->n].name = copy_text(c, key);
		c->d->fields[c->n].value = value ? copy_text(c, value) : NULL;
	}
	c->n++;
	return MHD_YES;
}

/* Copies headers, query arguments, method and path: once the connection is resumed MHD may reuse
 * its memory, and the worker must not call into MHD at all. Sizes were capped by http.c. */
static int copy_request(struct deferred *d, struct MHD_Connection *conn, const struct ngd_request *req)
{
	struct copier c = {d, 0, strlen(req->method) + strlen(req->path) + 2, false};
	d->n_headers = MHD_get_connection_values(conn, MHD_HEADER_KIND, copy_field, &c);
	d->n_args = MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, copy_field, &c);
	d->text_len = c.bytes;
	d->fields = calloc(d->n_headers + d->n_args + 1, sizeof *d->fields);
	d->text = malloc(d->text_len);
	if (!d->fields || !d->text)
		return -1;
	c = (struct copier){d, 0, 0, true};
	d->req = *req;
	d->req.method = copy_text(&c, req->method);
	d->req.path = copy_text(&c, req->path);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, copy_field, &c);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, copy_field, &c);
	if (req->peer && req->peer_len <= sizeof d->peer)
		memcpy(&d->peer, req->peer, req->peer_len);
	d->req.peer = req->peer ? (const struct sockaddr *)&d->peer : NULL;
	d->req.src = (struct request_source){.header = copied_header,
					     .query = copied_query,
					     .query_at = copied_query_at,
					     .conn = d,
					     .query_name_at = copied_query_name_at};
	d->copied = true;
	return 0;
}

static struct deferred *deferred_new(struct offload *o, const struct runtime *rt, struct MHD_Connection *conn,
				     const struct ngd_request *req, struct reply *r)
{
	struct deferred *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	*d = (struct deferred){.off = o, .rt = runtime_ref(rt), .conn = conn, .work = {on_work, on_cancel, NULL}};
	d->timer.fire = on_timer;
	if (!r->needs_worker) {
		d->reply = *r; /* takes the body */
		r->body = (struct buf){0};
	} else if (copy_request(d, conn, req) < 0) {
		deferred_free(d);
		return NULL;
	}
	d->req.worker_of = r->needs_worker;
	return d;
}

int offload(struct offload *o, const struct runtime *rt, struct MHD_Connection *conn, const struct ngd_request *req,
	    struct reply *r, struct deferred **slot)
{
	const struct auth_instance *worker = r->needs_worker;
	struct deferred *d = deferred_new(o, rt, conn, req, r);
	if (!d) {
		busy(r, "out of memory");
		return -1;
	}
	*slot = d;
	MHD_suspend_connection(conn); /* before the hand-over: the other thread may resume at once */
	if (!worker && timer_add(o->timer, &d->timer, jittered(o->delay_ms)) == 0)
		return 0;
	if (worker && job_begin(o) < 0) {
		busy(&d->reply, "the server is shutting down");
	} else if (worker) {
		if (auth_instance_submit(worker, &d->work) == 0)
			return 0;
		job_end(o);
		busy(&d->reply, "too many requests are waiting for authentication");
	}
	MHD_resume_connection(conn); /* answered when MHD calls the handler again */
	return 0;
}

struct reply *deferred_reply(struct deferred *d)
{
	return &d->reply;
}

const struct ngd_request *deferred_request(const struct deferred *d)
{
	return d->copied ? &d->req : NULL;
}

void deferred_free(struct deferred *d)
{
	if (!d)
		return;
	if (d->text)
		explicit_bzero(d->text, d->text_len);
	free(d->text);
	free(d->fields);
	buf_free_secret(&d->reply.body);
	runtime_release(d->rt);
	free(d);
}
