/* SPDX-License-Identifier: Apache-2.0 */
/* The revocation list (issue 22): users refused by operator decision, by user id and optionally one
 * hub, with a reason, who set it, an expiry and "tokens issued before T". One per process, owned by
 * main(), kept across reloads (a runtime only points at it) and, with a state file, across
 * restarts. Reads take a writer-preferring rwlock's read side, and none while the list is empty. */
#ifndef NGD_REVOCATIONS_H
#define NGD_REVOCATIONS_H

#include "core/caps.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define REVOKE_MAX_ENTRIES 100000 /* entries in one list (and state file): more are refused */
#define REVOKE_MAX_REASON 256	  /* bytes of an operator's reason */
#define REVOKE_MAX_BY 128	  /* bytes of "who set it" */

struct revocations; /* process-wide, survives reloads; thread-safe reads on the hot path */

/* One entry, as callers see it (a copy: the list keeps its own). */
struct revocation {
	char user[NGD_MAX_USER_ID + 1];
	char hub[NGD_MAX_HUB_NAME + 1]; /* "" = every hub */
	char reason[REVOKE_MAX_REASON + 1];
	char by[REVOKE_MAX_BY + 1];
	time_t set_at;
	time_t expires_at;    /* 0 = never */
	time_t issued_before; /* 0 = none: every token of the user, and every new one, refused */
};

/* Called after each change (set or lift), on the thread that made it; CLOSE is the operator's
 * --close. The gate helper hooks its REST close here; the shared-store issue later its publish. */
typedef void (*revocation_observer)(void *ctx, const struct revocation *entry, bool lifted,
				    bool close);

/* An empty list, or NULL when out of memory. */
struct revocations *revocations_new(void);
void revocations_free(struct revocations *list);

/* Every change is then written to PATH (state_directory/revocations.jsonl) before it is answered;
 * NULL: kept in memory only. The list copies PATH. 0, or -1 when out of memory. */
int revocations_persist(struct revocations *list, const char *path);
const char *revocations_state_path(const struct revocations *list); /* NULL: none */

/* Up to 4 observers, registered before the list is shared; FN runs with the list's change lock
 * held (a change at a time), never the read lock. */
void revocations_observe(struct revocations *list, revocation_observer fn, void *ctx);
/* The same, for an observer that acts on CLOSE (the gate helper's REST close). */
void revocations_observe_close(struct revocations *list, revocation_observer fn, void *ctx);
/* Whether an observer acts on CLOSE: without one, a change asking to close is refused. */
bool revocations_can_close(const struct revocations *list);

/* The list's home when it is shared ([store], revoke/fleet.c): a change is written there first,
 * under the change lock, and made here only when that succeeded. SET is the entry to set, or NULL
 * for a lift of USER on HUB (NULL: every hub), then *lifted is how many the home lifted. 0, or -1
 * with why in err (then nothing changes here either). */
typedef int (*revocation_writer)(void *ctx, const struct revocation *set, const char *user,
				 const char *hub, int *lifted, char *err, size_t err_len);
/* FN with CTX becomes the list's home (replacing any); NULL: none. */
void revocations_write_through(struct revocations *list, revocation_writer fn, void *ctx);
/* The home is gone if it is still CTX (a reload may have put another in its place). */
void revocations_write_through_end(struct revocations *list, void *ctx);

/* Every entry replaced by those FILL adds to STAGED (an empty list: revocations_load_one) while no
 * change runs (so a change made here is never undone by a read older than it). FILL returns 0 to
 * apply STAGED, -1 to keep the list (err says why). The state file is written when the entries
 * differ (*changed); observers are not called (the change was observed where it was made).
 * 0, or -1 with why in err. */
int revocations_refresh(struct revocations *list,
			int (*fill)(void *ctx, struct revocations *staged, char *err,
				    size_t err_len),
			void *ctx, bool *changed, char *err, size_t err_len);

/* Whether USER on HUB must be refused at NOW. ISSUED_AT is the token's iat, 0 for a token not yet
 * issued (then "issued before T" does not refuse it, a plain revocation does). *why (may be NULL)
 * gets a copy of the entry that refused. O(1) expected. */
bool revocations_refuse(const struct revocations *list, const char *hub, const char *user,
			time_t issued_at, time_t now, struct revocation *why);

/* The fields of E are valid (user id, hub name or "", reason and by as safe text, times >= 0):
 * 0, or -1 with what is wrong in err. */
int revocation_check(const struct revocation *e, char *err, size_t err_len);

/* Adds E, replacing the entry of the same user and hub; saved (when persisted), then observed.
 * 0, or -1 with why in err (invalid, list full, state file not written: then nothing changed). */
int revocations_set(struct revocations *list, const struct revocation *e, bool close, char *err,
		    size_t err_len);
/* Lifts USER's entry for HUB, or every entry of USER when HUB is NULL. Returns how many were lifted
 * (0: none), or -1 with why in err (then nothing changed). */
int revocations_lift(struct revocations *list, const char *user, const char *hub, char *err,
		     size_t err_len);

/* Each live entry at NOW (expired ones skipped), in no particular order, under the read lock. */
void revocations_each(const struct revocations *list, time_t now,
		      void (*fn)(void *ctx, const struct revocation *e), void *ctx);
size_t revocations_count(const struct revocations *list); /* entries held, expired or not */

/* For the loader (revoke/state_file.c), before the list is shared: adds E without a save or an
 * observer (amortised O(1)); an entry expired at NOW is dropped. revocations_loaded() then makes
 * the entries visible. 0, or -1 with why in err (invalid, full, duplicate user and hub, memory). */
int revocations_load_one(struct revocations *list, const struct revocation *e, time_t now,
			 char *err, size_t err_len);
void revocations_loaded(struct revocations *list);

#endif
