/* SPDX-License-Identifier: Apache-2.0 */
/* The connect gate's local count of live connections: the limit, a retried connect, the connected
 * and disconnected events, expiry, and the table against a plain model through many users and
 * random events (deletion must never hide a user that is still counted). */
#include "negotiate/live_connections.h"
#include "tap.h"

#include <stdlib.h>

static void limit(void)
{
	unsigned held = 0;
	time_t now = 1000;
	ok(live_connections_admit("chat", "alice", "c1", 2, now, &held) && held == 1,
	   "first: 1 held");
	ok(live_connections_admit("chat", "alice", "c2", 2, now, &held) && held == 2, "second: 2");
	ok(!live_connections_admit("chat", "alice", "c3", 2, now, &held) && held == 2,
	   "a third beyond max 2 is refused");
	ok(live_connections_admit("chat", "alice", "c2", 2, now, &held) && held == 2,
	   "the same connection again (a retried event) is admitted, not counted twice");
	ok(live_connections_admit("other", "alice", "c3", 2, now, &held) && held == 1,
	   "another hub counts apart");
	ok(live_connections_admit("chat", "bob", "c3", 2, now, &held) && held == 1,
	   "another user counts apart");
	live_connections_forget("chat", "alice", "c1");
	ok(live_connections_admit("chat", "alice", "c3", 2, now, &held) && held == 2,
	   "a disconnected event frees a place");
	live_connections_confirm("chat", "alice", "c2", 3600, now);
	live_connections_confirm("chat", "alice", "c3", 3600, now);
	now += LIVE_PENDING_S + 1;
	ok(!live_connections_admit("chat", "alice", "c4", 2, now, &held) && held == 2,
	   "confirmed connections still hold their places after the pending time");
	ok(live_connections_admit("chat", "bob", "c9", 1, now, &held) && held == 1,
	   "an unconfirmed connect's place expires after %d s", LIVE_PENDING_S);
	now += 3600;
	ok(live_connections_admit("chat", "alice", "c4", 2, now, &held) && held == 1,
	   "a connection whose disconnected event never came stops counting after its ttl");
	live_connections_forget("chat", "nobody", "c1");
	live_connections_forget("chat", "alice", "unknown");
	ok(1, "forgetting what is not held changes nothing");
	live_connections_free();
	ok(live_connections_held() == 0, "freed: nothing held");
}

#define USERS 3000
#define CONNS 4

/* Random events for many users against a model; the table grows, sweeps and shifts. */
static void against_model(void)
{
	static time_t model[USERS][CONNS]; /* expiry of each (user, connection); 0: free */
	char user[16], conn[16];
	unsigned held = 0, max = 3;
	int mismatches = 0;
	srand(7);
	for (long step = 0; step < 200000; step++) {
		time_t now = 5000 + step / 50;
		int u = rand() % USERS, c = rand() % CONNS, op = rand() % 4;
		snprintf(user, sizeof user, "user-%d", u);
		snprintf(conn, sizeof conn, "conn-%d", c);
		unsigned live = 0;
		for (int i = 0; i < CONNS; i++)
			live += model[u][i] > now;
		if (op == 0) {
			bool want = model[u][c] > now || live < max;
			bool got = live_connections_admit("hub", user, conn, max, now, &held);
			if (want && model[u][c] < now + LIVE_PENDING_S)
				model[u][c] = now + LIVE_PENDING_S;
			mismatches += got != want;
		} else if (op == 1) {
			live_connections_confirm("hub", user, conn, 120, now);
			model[u][c] = now + 120;
		} else {
			live_connections_forget("hub", user, conn);
			model[u][c] = 0;
		}
	}
	ok(mismatches == 0, "200,000 random events over %d users agree with the model (%d differ)",
	   USERS, mismatches);
	ok(live_connections_held() <= (size_t)USERS * CONNS, "at most one place per connection");
	live_connections_free();
}

int main(void)
{
	limit();
	against_model();
	return tap_done();
}
