/* SPDX-License-Identifier: Apache-2.0 */
/* The current snapshot: publish, per-thread references refreshed only after a publish, counted
 * references that free a snapshot with its last holder (ASan and valgrind see any slip). */
#include "config/config.h"
#include "runtime/runtime.h"
#include "runtime/snapshot.h"
#include "tap.h"

#include <pthread.h>

#define TEXT                                                                                       \
	"[service:main]\nconnection_string = "                                                     \
	"Endpoint=https://a.example;AccessKey=SECRETSECRETSECRETSECRETSECRET00\n"                  \
	"[hub:chat]\nauth = guest\n[auth:guest]\ntype = anonymous\nuser = guest\n"

static struct runtime *build(void)
{
	char err[640];
	struct config *cfg = config_load_string("t.conf", TEXT, err, sizeof err);
	struct runtime *rt = cfg ? runtime_build(cfg, err, sizeof err) : NULL;
	if (!rt)
		printf("# %s\n", err);
	return rt;
}

static unsigned refs(struct runtime *rt)
{
	return atomic_load(&rt->refs);
}

static void *other_thread(void *want)
{
	return snapshot_thread_current() == want ? want : NULL; /* its reference drops at exit */
}

int main(void)
{
	struct runtime *first = build(), *second = build();
	if (!first || !second)
		return ok(0, "the configuration builds"), tap_done();
	ok(snapshot_thread_current() == NULL, "nothing before the first publish");
	snapshot_publish(first);
	ok(snapshot_thread_current() == first && refs(first) == 2,
	   "a thread takes a reference once");
	ok(snapshot_thread_current() == first && refs(first) == 2,
	   "and reuses it while nothing is published");
	struct runtime *held = runtime_acquire();
	ok(held == first && refs(first) == 3, "runtime_acquire counts a reference");

	snapshot_publish(second);
	ok(refs(first) == 2, "publishing drops the published reference only");
	ok(snapshot_thread_current() == second && refs(first) == 1 && refs(second) == 2,
	   "the thread moves to the new snapshot and drops the old one");

	pthread_t t;
	void *seen = NULL;
	pthread_create(&t, NULL, other_thread, second);
	pthread_join(t, &seen);
	ok(seen == second && refs(second) == 2, "another thread's reference drops when it exits");

	struct runtime *copy = runtime_ref(second);
	ok(copy == second && refs(second) == 3,
	   "runtime_ref counts a reference to a given snapshot");
	runtime_release(copy);
	runtime_release(held); /* the last reference to first: freed here */
	ok(refs(second) == 2, "releasing one snapshot leaves the other alone");
	snapshot_shutdown(); /* this thread's and the published reference: second is freed */
	ok(snapshot_thread_current() == NULL, "nothing after shutdown");
	snapshot_shutdown();
	return tap_done();
}
