/* SPDX-License-Identifier: Apache-2.0 */
/* The revocation list: a dense array of compact entries (one allocation of text each: about 100
 * bytes, not the 1 KB of a struct revocation) and an open-addressing index by (user, hub), keyed
 * with SipHash. Reads take the read side of a writer-preferring rwlock (none while the list
 * is empty); changes are serialised by a mutex, rebuild the index (O(n), rare) and are saved
 * before they are answered. */
#include "revoke/revocations.h"

#include "core/names.h"
#include "core/siphash.h"
#include "revoke/state_file.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OBSERVERS 4

struct observer {
	revocation_observer fn;
	void *ctx;
	bool closes;
};

/* An entry as held: "user NUL hub NUL reason NUL by NUL" in one allocation, owned. */
struct entry {
	char *text;
	unsigned short hub, reason, by; /* offsets into text */
	time_t set_at, expires_at, issued_before;
};

struct revocations {
	pthread_rwlock_t lock;	/* entries and index: read side on the hot path */
	pthread_mutex_t change; /* one change at a time, held across its save and observers */
	_Atomic size_t n_live;	/* entries held: 0 lets a lookup skip the lock */
	struct entry *items;	/* n of cap; those past n own nothing */
	size_t n, cap;
	unsigned *index; /* slot -> entry + 1, 0 empty; at most half full */
	size_t index_mask;
	unsigned char key[16];
	char *path; /* the state file, or NULL */
	struct observer observers[MAX_OBSERVERS];
	unsigned n_observers;
	revocation_writer writer; /* under the change lock */
	void *writer_ctx;
};

struct revocations *revocations_new(void)
{
	struct revocations *list = calloc(1, sizeof *list);
	pthread_rwlockattr_t attr;
	if (!list)
		return NULL;
	pthread_rwlockattr_init(&attr);
	/* an operator's change must not wait behind a steady stream of readers */
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&list->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&list->change, NULL);
	if (RAND_bytes(list->key, sizeof list->key) != 1) {
		revocations_free(list);
		return NULL;
	}
	return list;
}

void revocations_free(struct revocations *list)
{
	if (!list)
		return;
	pthread_rwlock_destroy(&list->lock);
	pthread_mutex_destroy(&list->change);
	for (size_t i = 0; i < list->n; i++)
		free(list->items[i].text);
	free(list->items);
	free(list->index);
	free(list->path);
	free(list);
}

int revocations_persist(struct revocations *list, const char *path)
{
	char *copy = path ? strdup(path) : NULL;
	if (path && !copy)
		return -1;
	free(list->path);
	list->path = copy;
	return 0;
}

const char *revocations_state_path(const struct revocations *list)
{
	return list->path;
}

static void add_observer(struct revocations *list, revocation_observer fn, void *ctx, bool closes)
{
	if (list->n_observers < MAX_OBSERVERS)
		list->observers[list->n_observers++] = (struct observer){fn, ctx, closes};
}

void revocations_observe(struct revocations *list, revocation_observer fn, void *ctx)
{
	add_observer(list, fn, ctx, false);
}

void revocations_observe_close(struct revocations *list, revocation_observer fn, void *ctx)
{
	add_observer(list, fn, ctx, true);
}

bool revocations_can_close(const struct revocations *list)
{
	for (unsigned i = 0; i < list->n_observers; i++)
		if (list->observers[i].closes)
			return true;
	return false;
}

/* SipHash of "user NUL hub": a user id cannot aim at one bucket. */
static uint64_t key_hash(const struct revocations *list, const char *user, const char *hub)
{
	char text[NGD_MAX_USER_ID + NGD_MAX_HUB_NAME + 2];
	size_t u = strnlen(user, NGD_MAX_USER_ID), h = strnlen(hub, NGD_MAX_HUB_NAME);
	memcpy(text, user, u);
	text[u] = '\0';
	memcpy(text + u + 1, hub, h);
	return siphash24(list->key, text, u + 1 + h);
}

/* E's copy (0), or -1 when out of memory. */
static int entry_make(struct entry *out, const struct revocation *e)
{
	size_t u = strlen(e->user) + 1, h = strlen(e->hub) + 1, r = strlen(e->reason) + 1,
	       b = strlen(e->by) + 1;
	char *text = malloc(u + h + r + b);
	if (!text)
		return -1;
	memcpy(text, e->user, u);
	memcpy(text + u, e->hub, h);
	memcpy(text + u + h, e->reason, r);
	memcpy(text + u + h + r, e->by, b);
	*out = (struct entry){
		text,	   (unsigned short)u, (unsigned short)(u + h), (unsigned short)(u + h + r),
		e->set_at, e->expires_at,     e->issued_before};
	return 0;
}

static void entry_out(const struct entry *x, struct revocation *out)
{
	snprintf(out->user, sizeof out->user, "%s", x->text);
	snprintf(out->hub, sizeof out->hub, "%s", x->text + x->hub);
	snprintf(out->reason, sizeof out->reason, "%s", x->text + x->reason);
	snprintf(out->by, sizeof out->by, "%s", x->text + x->by);
	out->set_at = x->set_at;
	out->expires_at = x->expires_at;
	out->issued_before = x->issued_before;
}

/* The entry of (user, hub), or NULL; under either lock. */
static struct entry *find(const struct revocations *list, const char *user, const char *hub)
{
	if (!list->index)
		return NULL;
	for (size_t i = key_hash(list, user, hub) & list->index_mask; list->index[i];
	     i = (i + 1) & list->index_mask) {
		struct entry *x = &list->items[list->index[i] - 1];
		if (strcmp(x->text, user) == 0 && strcmp(x->text + x->hub, hub) == 0)
			return x;
	}
	return NULL;
}

static size_t index_size_for(size_t n)
{
	size_t size = 64;
	while (size < 2 * n + 2)
		size *= 2;
	return size;
}

static void index_place(struct revocations *list, size_t entry)
{
	const struct entry *x = &list->items[entry];
	size_t i = key_hash(list, x->text, x->text + x->hub) & list->index_mask;
	while (list->index[i])
		i = (i + 1) & list->index_mask;
	list->index[i] = (unsigned)entry + 1;
}

/* The index again from the n entries, in the index it has (large enough for them). */
static void fill_index(struct revocations *list)
{
	memset(list->index, 0, (list->index_mask + 1) * sizeof *list->index);
	for (size_t e = 0; e < list->n; e++)
		index_place(list, e);
}

/* An index large enough for N entries (the current one if it is): 0, or -1 with nothing changed. */
static int reserve_index(struct revocations *list, size_t n)
{
	size_t size = index_size_for(n);
	if (list->index && list->index_mask + 1 >= size)
		return 0;
	unsigned *index = calloc(size, sizeof *index);
	if (!index)
		return -1;
	free(list->index);
	list->index = index;
	list->index_mask = size - 1;
	fill_index(list);
	return 0;
}

static bool live(time_t expires_at, time_t now)
{
	return !expires_at || expires_at > now;
}

/* Whether E refuses a token issued at ISSUED_AT (0: one not yet issued). */
static bool refuses(const struct entry *e, time_t issued_at, time_t now)
{
	if (!live(e->expires_at, now))
		return false;
	if (!e->issued_before)
		return true;
	return issued_at && issued_at < e->issued_before;
}

bool revocations_refuse(const struct revocations *list, const char *hub, const char *user,
			time_t issued_at, time_t now, struct revocation *why)
{
	if (!list || !atomic_load_explicit(&list->n_live, memory_order_acquire))
		return false;
	pthread_rwlock_rdlock((pthread_rwlock_t *)&list->lock);
	const struct entry *e = find(list, user, hub ? hub : "");
	if (!e || !refuses(e, issued_at, now))
		e = find(list, user, "");
	bool refused = e && refuses(e, issued_at, now);
	if (refused && why)
		entry_out(e, why);
	pthread_rwlock_unlock((pthread_rwlock_t *)&list->lock);
	return refused;
}

int revocation_check(const struct revocation *e, char *err, size_t err_len)
{
	const char *wrong = NULL;
	if (!user_id_valid(e->user))
		wrong = "user: must be a non-empty user id (UTF-8, no control characters, at most "
			"512 bytes)";
	else if (e->hub[0] && !hub_name_valid(e->hub))
		wrong = "hub: must be " HUB_NAME_RULE;
	else if (e->reason[0] && !text_valid(e->reason, REVOKE_MAX_REASON))
		wrong = "reason: must be UTF-8 text without control characters, at most 256 bytes";
	else if (!text_valid(e->by, REVOKE_MAX_BY))
		wrong = "by: must be UTF-8 text without control characters, at most 128 bytes";
	else if (e->set_at < 0 || e->expires_at < 0 || e->issued_before < 0)
		wrong = "times must not be negative";
	if (wrong)
		snprintf(err, err_len, "%s", wrong);
	return wrong ? -1 : 0;
}

/* Room for one more entry (the cap is checked by the caller). */
static int grow(struct revocations *list)
{
	if (list->n < list->cap)
		return 0;
	size_t cap = list->cap ? 2 * list->cap : 16;
	struct entry *items = realloc(list->items, cap * sizeof *items);
	if (!items)
		return -1;
	list->items = items;
	list->cap = cap;
	return 0;
}

static void publish_count(struct revocations *list)
{
	atomic_store_explicit(&list->n_live, list->n, memory_order_release);
}

static void notify(struct revocations *list, const struct revocation *e, bool lifted, bool close)
{
	for (unsigned i = 0; i < list->n_observers; i++)
		list->observers[i].fn(list->observers[i].ctx, e, lifted, close);
}

/* Writes the list when it is persisted; the change lock is held, so no writer moves entries. */
static int save(struct revocations *list, char *err, size_t err_len)
{
	if (!list->path)
		return 0;
	return state_file_save(list, list->path, time(NULL), err, err_len);
}

/* Under the write lock: X appended (X's text is the list's from then on). 0, or -1. */
static int append(struct revocations *list, const struct entry *x)
{
	if (grow(list) < 0 || reserve_index(list, list->n + 1) < 0)
		return -1;
	list->items[list->n++] = *x;
	index_place(list, list->n - 1);
	return 0;
}

/* Under the write lock: FRESH in place of its (user, hub) entry (*old gets that entry, whose text
 * the caller then owns) or appended (old->text NULL). 0, or -1 when out of memory. */
static int put(struct revocations *list, const struct entry *fresh, struct entry *old)
{
	struct entry *same = find(list, fresh->text, fresh->text + fresh->hub);
	old->text = NULL;
	if (!same)
		return append(list, fresh);
	*old = *same;
	*same = *fresh;
	return 0;
}

/* Under the write lock: the undo of put() when the save failed. */
static void unput(struct revocations *list, const struct entry *fresh, const struct entry *old)
{
	struct entry *same = find(list, fresh->text, fresh->text + fresh->hub);
	if (same && old->text) {
		*same = *old;
		return;
	}
	list->n--; /* put() appended it last */
	fill_index(list);
}

/* Under the change lock: the entries expired at NOW are let go (they refuse nothing, no state file
 * holds them, and --list does not show them, so they could not be lifted). */
static void drop_expired(struct revocations *list, time_t now)
{
	size_t keep = 0, n = list->n;
	pthread_rwlock_wrlock(&list->lock);
	for (size_t i = 0; i < n; i++) {
		if (live(list->items[i].expires_at, now))
			list->items[keep++] = list->items[i];
		else
			free(list->items[i].text);
	}
	memset(list->items + keep, 0, (n - keep) * sizeof *list->items);
	list->n = keep;
	if (list->index)
		fill_index(list);
	pthread_rwlock_unlock(&list->lock);
	publish_count(list);
}

/* Under the change lock: E replaces its own entry, or fits (expired ones make room when full). */
static bool has_room(struct revocations *list, const struct revocation *e)
{
	if (find(list, e->user, e->hub) || list->n < REVOKE_MAX_ENTRIES)
		return true;
	drop_expired(list, time(NULL));
	return list->n < REVOKE_MAX_ENTRIES;
}

static int set_locked(struct revocations *list, const struct revocation *e, bool close, char *err,
		      size_t err_len)
{
	struct entry fresh, old;
	if (close && !revocations_can_close(list)) {
		snprintf(err, err_len, "closing connections is not available in this build");
		return -1;
	}
	if (!has_room(list, e)) {
		snprintf(err, err_len, "the list holds %d entries, its limit: lift some first",
			 REVOKE_MAX_ENTRIES);
		return -1;
	}
	if (list->writer && list->writer(list->writer_ctx, e, NULL, NULL, NULL, err, err_len) < 0)
		return -1;
	if (entry_make(&fresh, e) < 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	pthread_rwlock_wrlock(&list->lock);
	int rc = put(list, &fresh, &old);
	pthread_rwlock_unlock(&list->lock);
	if (rc == 0 && save(list, err, err_len) < 0) {
		pthread_rwlock_wrlock(&list->lock);
		unput(list, &fresh, &old);
		pthread_rwlock_unlock(&list->lock);
		free(fresh.text);
		return -1;
	}
	if (rc < 0) {
		free(fresh.text);
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	free(old.text);
	publish_count(list);
	notify(list, e, false, close);
	return 0;
}

int revocations_set(struct revocations *list, const struct revocation *e, bool close, char *err,
		    size_t err_len)
{
	if (revocation_check(e, err, err_len) < 0)
		return -1;
	pthread_mutex_lock(&list->change);
	int rc = set_locked(list, e, close, err, err_len);
	pthread_mutex_unlock(&list->change);
	return rc;
}

static bool matches(const struct entry *x, const char *user, const char *hub)
{
	return strcmp(x->text, user) == 0 && (!hub || strcmp(x->text + x->hub, hub) == 0);
}

/* Under the change lock: the entries lifted move to the end, [keep, n), in order. */
static size_t partition(struct revocations *list, const char *user, const char *hub)
{
	size_t keep = 0;
	for (size_t i = 0; i < list->n; i++) {
		if (matches(&list->items[i], user, hub))
			continue;
		struct entry tmp = list->items[keep];
		list->items[keep++] = list->items[i];
		list->items[i] = tmp;
	}
	return keep;
}

static int lift_here(struct revocations *list, const char *user, const char *hub, char *err,
		     size_t err_len)
{
	size_t n = list->n;
	if (reserve_index(list, n) < 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	pthread_rwlock_wrlock(&list->lock);
	size_t keep = partition(list, user, hub);
	list->n = keep;
	fill_index(list);
	pthread_rwlock_unlock(&list->lock);
	if (keep == n)
		return 0;
	if (save(list, err, err_len) < 0) {
		pthread_rwlock_wrlock(&list->lock);
		list->n = n; /* the lifted entries are still there, after the kept ones */
		fill_index(list);
		pthread_rwlock_unlock(&list->lock);
		return -1;
	}
	publish_count(list);
	for (size_t i = keep; i < n; i++) {
		struct revocation e;
		entry_out(&list->items[i], &e);
		notify(list, &e, true, false);
		free(list->items[i].text);
		list->items[i].text = NULL;
	}
	return (int)(n - keep);
}

/* The home first (when shared), then here. */
static int lift_locked(struct revocations *list, const char *user, const char *hub, char *err,
		       size_t err_len)
{
	int home_lifted = 0;
	if (list->writer &&
	    list->writer(list->writer_ctx, NULL, user, hub, &home_lifted, err, err_len) < 0)
		return -1;
	int here = lift_here(list, user, hub, err, err_len);
	return here < home_lifted && here >= 0 ? home_lifted : here;
}

int revocations_lift(struct revocations *list, const char *user, const char *hub, char *err,
		     size_t err_len)
{
	pthread_mutex_lock(&list->change);
	int rc = lift_locked(list, user, hub, err, err_len);
	pthread_mutex_unlock(&list->change);
	return rc;
}

void revocations_write_through(struct revocations *list, revocation_writer fn, void *ctx)
{
	pthread_mutex_lock(&list->change);
	list->writer = fn;
	list->writer_ctx = ctx;
	pthread_mutex_unlock(&list->change);
}

void revocations_write_through_end(struct revocations *list, void *ctx)
{
	pthread_mutex_lock(&list->change);
	if (list->writer_ctx == ctx) {
		list->writer = NULL;
		list->writer_ctx = NULL;
	}
	pthread_mutex_unlock(&list->change);
}

static bool same_entry(const struct entry *a, const struct entry *b)
{
	return strcmp(a->text + a->reason, b->text + b->reason) == 0 &&
	       strcmp(a->text + a->by, b->text + b->by) == 0 && a->set_at == b->set_at &&
	       a->expires_at == b->expires_at && a->issued_before == b->issued_before;
}

/* Under the change lock: whether STAGED holds exactly LIST's entries. */
static bool same_entries(const struct revocations *list, const struct revocations *staged)
{
	if (list->n != staged->n)
		return false;
	for (size_t i = 0; i < staged->n; i++) {
		const struct entry *x = &staged->items[i];
		const struct entry *here = find(list, x->text, x->text + x->hub);
		if (!here || !same_entry(here, x))
			return false;
	}
	return true;
}

#define SWAP(a, b)                                                                                 \
	do {                                                                                       \
		__typeof__(a) tmp_ = (a);                                                          \
		(a) = (b);                                                                         \
		(b) = tmp_;                                                                        \
	} while (0)

/* Under the change lock: STAGED's entries, index and key become LIST's, and LIST's STAGED's. */
static void swap_entries(struct revocations *list, struct revocations *staged)
{
	unsigned char key[sizeof list->key];
	pthread_rwlock_wrlock(&list->lock);
	SWAP(list->items, staged->items);
	SWAP(list->n, staged->n);
	SWAP(list->cap, staged->cap);
	SWAP(list->index, staged->index);
	SWAP(list->index_mask, staged->index_mask);
	memcpy(key, list->key, sizeof key);
	memcpy(list->key, staged->key, sizeof key);
	memcpy(staged->key, key, sizeof key);
	pthread_rwlock_unlock(&list->lock);
}

static int refresh_locked(struct revocations *list, struct revocations *staged, bool *changed,
			  char *err, size_t err_len)
{
	if (same_entries(list, staged))
		return 0;
	swap_entries(list, staged);
	if (save(list, err, err_len) < 0) {
		swap_entries(list, staged);
		return -1;
	}
	publish_count(list);
	*changed = true;
	return 0;
}

int revocations_refresh(struct revocations *list,
			int (*fill)(void *ctx, struct revocations *staged, char *err,
				    size_t err_len),
			void *ctx, bool *changed, char *err, size_t err_len)
{
	struct revocations *staged = revocations_new();
	*changed = false;
	if (!staged) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	pthread_mutex_lock(&list->change);
	int rc = fill(ctx, staged, err, err_len);
	if (rc == 0)
		rc = refresh_locked(list, staged, changed, err, err_len);
	pthread_mutex_unlock(&list->change);
	revocations_free(staged);
	return rc;
}

void revocations_each(const struct revocations *list, time_t now,
		      void (*fn)(void *ctx, const struct revocation *e), void *ctx)
{
	struct revocation *e = malloc(sizeof *e); /* 1 KB: off the admin thread's stack */
	if (!e)
		return;
	pthread_rwlock_rdlock((pthread_rwlock_t *)&list->lock);
	for (size_t i = 0; i < list->n; i++) {
		if (!live(list->items[i].expires_at, now))
			continue;
		entry_out(&list->items[i], e);
		fn(ctx, e);
	}
	pthread_rwlock_unlock((pthread_rwlock_t *)&list->lock);
	free(e);
}

size_t revocations_count(const struct revocations *list)
{
	return atomic_load_explicit(&list->n_live, memory_order_acquire);
}

int revocations_load_one(struct revocations *list, const struct revocation *e, time_t now,
			 char *err, size_t err_len)
{
	if (revocation_check(e, err, err_len) < 0)
		return -1;
	struct entry x;
	if (!live(e->expires_at, now))
		return 0;
	if (list->n >= REVOKE_MAX_ENTRIES) {
		snprintf(err, err_len, "more than %d entries, the limit", REVOKE_MAX_ENTRIES);
		return -1;
	}
	if (find(list, e->user, e->hub)) {
		snprintf(err, err_len, "a second entry for this user and hub");
		return -1;
	}
	if (entry_make(&x, e) < 0) {
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	if (append(list, &x) < 0) {
		free(x.text);
		snprintf(err, err_len, "out of memory");
		return -1;
	}
	return 0;
}

void revocations_loaded(struct revocations *list)
{
	publish_count(list);
}
