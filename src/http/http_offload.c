/* SPDX-License-Identifier: Apache-2.0 */
/* Suspended requests: a copy of the request for the pool's thread, the resume when its answer is
 * ready. A request waits on one pool at a time and continues where it stopped. */
#include "http/http_offload.h"

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

/* The pools belong to the authenticators and services (each its own bulkhead); this counts the
 * requests handed to them, so that offload_stop() can wait until every one has resumed its
 * connection. */
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
	struct resumable
		*wait; /* the handler's state while it waits on wait->pool; NULL once answered */
	struct timer_entry timer;
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
static void wake(struct deferred *d)
{
	MHD_resume_connection(d->conn);
}

static void on_timer(struct timer_entry *e)
{
	wake((struct deferred *)((char *)e - offsetof(struct deferred, timer)));
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
		wake(d);
}

static void busy(struct reply *r, const char *why)
{
	reply_error(r, 503, "unavailable", "%s; try again", why);
	r->retry_after = 1;
}

/* The request will not continue: its handler's state is freed unanswered, and it gets a 503. */
static void abandon(struct deferred *d, const char *why)
{
	d->wait->drop(d->wait);
	d->wait = NULL;
	busy(&d->reply, why);
}

static void on_work(struct work *w)
{
	struct deferred *d = (struct deferred *)((char *)w - offsetof(struct deferred, work));
	struct offload *o =
		d->off; /* d may be freed once it is resumed, or run on by another pool */
	if (stopping(o)) {
		abandon(d, "the server is shutting down");
		wake(d);
		job_end(o);
		return;
	}
	log_set_request_id(d->req.request_id); /* this thread's log lines about it carry its id */
	struct pool *next = d->wait->resume(d->wait, &d->req, &d->reply);
	log_set_request_id(NULL);
	if (next && pool_submit(next, &d->work) == 0)
		return; /* on to the next pool, at the phase it stopped at: still in flight */
	if (next) {
		abandon(d, "too many requests are waiting for authentication");
	} else {
		d->wait = NULL; /* answered: it freed itself */
		route_resumed(d->rt, &d->req, &d->reply);
	}
	answer_later(d);
	job_end(o);
}

static void on_cancel(struct work *w)
{
	struct deferred *d = (struct deferred *)((char *)w - offsetof(struct deferred, work));
	struct offload *o = d->off;
	abandon(d, "the server is shutting down");
	wake(d);
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

static enum MHD_Result copy_field(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
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
static int copy_request(struct deferred *d, struct MHD_Connection *conn,
			const struct ngd_request *req)
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
	d->req.path_hub = req->path_hub ? d->req.path + (req->path_hub - req->path) : NULL;
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

static struct deferred *deferred_new(struct offload *o, const struct runtime *rt,
				     struct MHD_Connection *conn, const struct ngd_request *req,
				     struct reply *r, struct resumable *wait)
{
	struct deferred *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	*d = (struct deferred){
		.off = o, .rt = runtime_ref(rt), .conn = conn, .work = {on_work, on_cancel, NULL}};
	d->timer.fire = on_timer;
	if (!wait) {
		d->reply = *r; /* takes the body */
		r->body = (struct buf){0};
	} else if (copy_request(d, conn, req) < 0) {
		deferred_free(d);
		return NULL;
	}
	d->wait = wait;
	return d;
}

/* Hands d to its pool: 0, or -1 with the 503 in d's reply (the handler's state is freed). */
static int submit(struct offload *o, struct deferred *d)
{
	if (job_begin(o) < 0) {
		abandon(d, "the server is shutting down");
		return -1;
	}
	if (pool_submit(d->wait->pool, &d->work) == 0)
		return 0;
	job_end(o);
	abandon(d, "too many requests are waiting for authentication");
	return -1;
}

int offload(struct offload *o, const struct runtime *rt, struct MHD_Connection *conn,
	    const struct ngd_request *req, struct reply *r, struct resumable *wait,
	    struct deferred **slot)
{
	struct deferred *d = deferred_new(o, rt, conn, req, r, wait);
	if (!d) {
		if (wait)
			wait->drop(wait);
		busy(r, "out of memory");
		return -1;
	}
	*slot = d;
	MHD_suspend_connection(
		conn); /* before the hand-over: the other thread may resume at once */
	if (!wait && timer_add(o->timer, &d->timer, jittered(o->delay_ms)) == 0)
		return 0;
	if (wait && submit(o, d) == 0)
		return 0;
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
	if (d->wait) /* never handed to a pool (copying the request failed) */
		d->wait->drop(d->wait);
	buf_free_secret(&d->reply.body);
	runtime_release(d->rt);
	free(d);
}
