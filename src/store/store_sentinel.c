/* SPDX-License-Identifier: Apache-2.0 */
/* Asking the sentinels for the primary (SENTINEL get-master-addr-by-name), as redis-py, Lettuce
 * and go-redis do, then checking that server's ROLE before the store uses it. */
#include "store/store_sentinel.h"

#include "core/clock.h"
#include "core/log.h"
#include "store/store_reply.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ROLE_RETRY_PAUSE_MS 50 /* a sentinel not yet told of the promotion: ask again after */
#define ROLE_MAX_ELEMENTS 1024 /* ROLE on a primary lists its replicas */
#define WHY_MAX 256	       /* a server's or the connection's reason */
#define ADDRESS_TEXT_MAX (STORE_HOST_MAX + 8)		   /* [HOST]:PORT */
#define SENTINEL_WHY_MAX (ADDRESS_TEXT_MAX + WHY_MAX + 16) /* "sentinel NAME: WHY" */

enum ask_result { ASK_ADDRESS, ASK_UNKNOWN, ASK_FAILED, ASK_REFUSED };

static unsigned ms_until(uint64_t deadline_ns)
{
	uint64_t now = monotonic_ns();
	if (now >= deadline_ns)
		return 0;
	return (unsigned)((deadline_ns - now) / 1000000u);
}

/* HOST:PORT, or [HOST]:PORT for an IPv6 address, for messages. */
static void address_text(const char *host, unsigned port, char *out, size_t cap)
{
	bool v6 = strchr(host, ':') != NULL;
	snprintf(out, cap, "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

/* The reply to SENTINEL get-master-addr-by-name into PRIMARY (its host and port). */
static enum ask_result read_answer(const redisReply *r, const char *master,
				   struct store_url *primary, char *err, size_t err_len)
{
	int got = store_reply_master_addr(r, primary->host, sizeof primary->host, &primary->port);
	if (got == 1)
		return ASK_ADDRESS;
	if (got == 0) {
		snprintf(err, err_len, "it knows no primary named '%s'", master);
		return ASK_UNKNOWN;
	}
	store_reply_error_text(r, "SENTINEL get-master-addr-by-name", err, err_len);
	return store_reply_is_auth_error_text(err) ? ASK_REFUSED : ASK_FAILED;
}

/* One sentinel, until DEADLINE_NS: the primary's address into PRIMARY, or why not in err. */
static enum ask_result ask_sentinel(const struct store_conn_opts *o, const struct store_hostport *s,
				    struct store_url *primary, uint64_t deadline_ns, char *err,
				    size_t err_len)
{
	struct store_url addr = {.transport = o->url->transport, .port = s->port};
	struct store_login login = {.user = o->sentinel_user, .password = o->sentinel_password};
	const char *argv[] = {"SENTINEL", "get-master-addr-by-name", o->url->master};
	size_t lens[] = {8, 23, strlen(o->url->master)};
	char name[ADDRESS_TEXT_MAX], why[WHY_MAX] = "";
	struct store_conn c;
	redisReply *r = NULL;
	enum ask_result result = ASK_FAILED;
	snprintf(addr.host, sizeof addr.host, "%s", s->host);
	address_text(s->host, s->port, name, sizeof name);
	enum store_open_result opened =
		store_conn_open_at(&c, &addr, &login, o->tls, deadline_ns, why, sizeof why);
	if (opened == STORE_OPEN_AUTH)
		result = ASK_REFUSED;
	else if (opened == STORE_OPEN_OK &&
		 store_conn_call(&c, 3, argv, lens, ms_until(deadline_ns), &r, why, sizeof why) ==
			 0)
		result = read_answer(r, o->url->master, primary, why, sizeof why);
	if (r)
		freeReplyObject(r);
	store_conn_close(&c);
	snprintf(err, err_len, "sentinel %s: %s", name, why);
	return result;
}

/* Asks the sentinels in order until one names the primary (into PRIMARY). */
static enum store_open_result find_primary(const struct store_conn_opts *o,
					   struct store_url *primary, uint64_t deadline_ns,
					   char *err, size_t err_len)
{
	char why[SENTINEL_WHY_MAX] = "no time was left to ask a sentinel";
	char refusal[SENTINEL_WHY_MAX] = "";
	bool unknown = false;
	for (unsigned i = 0; i < o->url->n_sentinels; i++) {
		uint64_t now = monotonic_ns();
		if (now >= deadline_ns)
			break;
		uint64_t until = now + (deadline_ns - now) / 2;
		enum ask_result a =
			ask_sentinel(o, &o->url->sentinels[i], primary, until, why, sizeof why);
		if (a == ASK_ADDRESS)
			return STORE_OPEN_OK;
		unknown |= a == ASK_UNKNOWN;
		if (a == ASK_REFUSED)
			snprintf(refusal, sizeof refusal, "%s", why);
	}
	if (unknown) {
		snprintf(err, err_len,
			 "no sentinel knows a primary named '%s' (SENTINEL "
			 "get-master-addr-by-name answered nil): check #MASTER in the url",
			 o->url->master);
		return STORE_OPEN_AUTH;
	}
	if (refusal[0]) {
		snprintf(err, err_len, "%s", refusal);
		return STORE_OPEN_AUTH;
	}
	snprintf(err, err_len, "no sentinel named the primary; the last: %s", why);
	return STORE_OPEN_IO;
}

/* ROLE on the open connection C: the role, or STORE_ROLE_UNKNOWN with why in err (C closed when
 * it broke). */
static enum store_role ask_role(struct store_conn *c, uint64_t deadline_ns, char *err,
				size_t err_len)
{
	const char *argv[] = {"ROLE"};
	size_t lens[] = {4};
	redisReply *r = NULL;
	if (store_conn_widen(c, ROLE_MAX_ELEMENTS, 0) < 0 ||
	    store_conn_call(c, 1, argv, lens, ms_until(deadline_ns), &r, err, err_len) < 0) {
		snprintf(err, err_len, "no answer to ROLE within the timeout");
		return STORE_ROLE_UNKNOWN;
	}
	enum store_role role = store_reply_role(r);
	if (role == STORE_ROLE_UNKNOWN)
		store_reply_error_text(r, "ROLE", err, err_len);
	freeReplyObject(r);
	if (store_conn_widen(c, 0, 0) < 0) /* back to the store's usual bounds */
		return STORE_ROLE_UNKNOWN;
	return role;
}

/* Opens C to PRIMARY and checks it is the master. *replica: it said it is not (ask again). */
static enum store_open_result open_primary(struct store_conn *c, const struct store_conn_opts *o,
					   const struct store_url *primary, uint64_t deadline_ns,
					   bool *replica, char *err, size_t err_len)
{
	struct store_login login = {.user = o->user, .password = o->password, .select_db = true};
	char name[ADDRESS_TEXT_MAX], why[WHY_MAX] = "";
	address_text(primary->host, primary->port, name, sizeof name);
	*replica = false;
	enum store_open_result r =
		store_conn_open_at(c, primary, &login, o->tls, deadline_ns, why, sizeof why);
	if (r == STORE_OPEN_OK) {
		enum store_role role = ask_role(c, deadline_ns, why, sizeof why);
		if (role == STORE_ROLE_MASTER)
			return STORE_OPEN_OK;
		*replica = role != STORE_ROLE_UNKNOWN;
		if (*replica)
			snprintf(why, sizeof why, "it says it is not the primary (ROLE)");
		/* NOPERM: the ACL user lacks +role, a configuration error */
		r = store_reply_is_auth_error_text(why) ? STORE_OPEN_AUTH : STORE_OPEN_IO;
		store_conn_close(c);
	}
	snprintf(err, err_len, "the primary the sentinels name for '%s', %s: %s", o->url->master,
		 name, why);
	return r;
}

/* Logs the primary when it is not the one this process last connected to (a failover). */
static void note_primary(const char *master, const struct store_url *primary)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static char last[STORE_MASTER_MAX + STORE_HOST_MAX + 16];
	char now[sizeof last], name[ADDRESS_TEXT_MAX];
	address_text(primary->host, primary->port, name, sizeof name);
	snprintf(now, sizeof now, "%s %s", master, name);
	pthread_mutex_lock(&lock);
	bool changed = strcmp(now, last) != 0;
	if (changed)
		memcpy(last, now, sizeof last);
	pthread_mutex_unlock(&lock);
	if (changed)
		log_info("[store] the primary of '%s' is %s (named by the sentinels, ROLE master)",
			 master, name);
}

static void pause_ms(unsigned ms)
{
	struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&t, NULL);
}

enum store_open_result store_sentinel_open(struct store_conn *c, const struct store_conn_opts *o,
					   uint64_t deadline_ns, char *err, size_t err_len)
{
	struct store_url primary = *o->url;
	primary.n_sentinels = 0;
	*c = (struct store_conn){.fd = -1};
	for (;;) {
		bool replica = false;
		enum store_open_result r = find_primary(o, &primary, deadline_ns, err, err_len);
		if (r == STORE_OPEN_OK)
			r = open_primary(c, o, &primary, deadline_ns, &replica, err, err_len);
		if (r == STORE_OPEN_OK)
			note_primary(o->url->master, &primary);
		unsigned left = ms_until(deadline_ns);
		if (!replica || left <= ROLE_RETRY_PAUSE_MS)
			return r;
		pause_ms(ROLE_RETRY_PAUSE_MS);
	}
}
