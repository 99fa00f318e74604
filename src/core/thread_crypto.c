/* SPDX-License-Identifier: Apache-2.0 */
/* Per-thread crypto contexts, freed by a thread-exit destructor. */
#include "core/thread_crypto.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define HMAC_SLOTS 4 /* services a thread signs for before it starts recycling copies */

struct thread_crypto {
	EVP_MD_CTX *sha256;
	struct {
		uint64_t generation;
		EVP_MAC_CTX *ctx;
	} hmac[HMAC_SLOTS];
	unsigned next_victim;
};

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;
static atomic_uint_fast64_t generations;

static void thread_crypto_free(void *p)
{
	struct thread_crypto *tc = p;
	EVP_MD_CTX_free(tc->sha256);
	for (int i = 0; i < HMAC_SLOTS; i++)
		EVP_MAC_CTX_free(tc->hmac[i].ctx);
	free(tc);
}

static void init_once(void)
{
	pthread_key_create(&key, thread_crypto_free);
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL); /* fetched once: no lookup per digest */
}

static struct thread_crypto *this_thread(void)
{
	pthread_once(&once, init_once);
	struct thread_crypto *tc = pthread_getspecific(key);
	if (!tc && (tc = calloc(1, sizeof *tc)) && pthread_setspecific(key, tc) != 0) {
		free(tc);
		tc = NULL;
	}
	return tc;
}

uint64_t thread_crypto_generation(void)
{
	return atomic_fetch_add(&generations, 1) + 1;
}

EVP_MD_CTX *thread_sha256(void)
{
	struct thread_crypto *tc = this_thread();
	if (!tc || !sha256_md || (!tc->sha256 && !(tc->sha256 = EVP_MD_CTX_new())))
		return NULL;
	return EVP_DigestInit_ex(tc->sha256, sha256_md, NULL) ? tc->sha256 : NULL;
}

EVP_MAC_CTX *thread_hmac(const EVP_MAC_CTX *keyed, uint64_t generation)
{
	struct thread_crypto *tc = this_thread();
	if (!tc)
		return NULL;
	for (int i = 0; i < HMAC_SLOTS; i++)
		if (tc->hmac[i].ctx && tc->hmac[i].generation == generation)
			/* a NULL key re-initialises HMAC with the key it already holds */
			return EVP_MAC_init(tc->hmac[i].ctx, NULL, 0, NULL) ? tc->hmac[i].ctx
									    : NULL;
	unsigned slot = tc->next_victim++ % HMAC_SLOTS;
	EVP_MAC_CTX_free(tc->hmac[slot].ctx);
	tc->hmac[slot].ctx = EVP_MAC_CTX_dup(keyed);
	tc->hmac[slot].generation = generation;
	return tc->hmac[slot].ctx;
}
