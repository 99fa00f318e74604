/* SPDX-License-Identifier: Apache-2.0 */
/* Per-thread OpenSSL contexts, so that the request path neither allocates nor locks to hash
 * or sign: each thread keys its own copy once and resets it for every use. */
#ifndef NGD_THREAD_CRYPTO_H
#define NGD_THREAD_CRYPTO_H

#include <openssl/evp.h>
#include <stdint.h>

/* A SHA-256 digest context of this thread, initialised and ready for EVP_DigestUpdate. */
EVP_MD_CTX *thread_sha256(void);
/* This thread's copy of `keyed` (a keyed HMAC context that stays valid while `generation` is
 * in use), reset to its keyed state. Generations are never reused, so a stale copy never
 * matches a new key. NULL when OpenSSL fails. */
EVP_MAC_CTX *thread_hmac(const EVP_MAC_CTX *keyed, uint64_t generation);
uint64_t thread_crypto_generation(void); /* a fresh, process-unique generation number */

#endif
