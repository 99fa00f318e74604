/* SPDX-License-Identifier: Apache-2.0 */
/* The header memo: a handful of slots replaced in turn, one lock; only headers that parse are
 * remembered, so a flood of malformed ones costs only their own parsing. */
#include "auth/jwt/jws_header.h"

#include "auth/jwt/jws_verify.h"
#include "core/base64.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct remembered {
	size_t len; /* 0: empty */
	char text[JWS_HEADER_MEMO_TEXT];
	struct jws_header header;
};

struct jws_header_memo {
	pthread_mutex_t lock;
	unsigned next;
	struct remembered slots[JWS_HEADER_SLOTS];
};

struct jws_header_memo *jws_header_memo_new(void)
{
	struct jws_header_memo *m = calloc(1, sizeof *m);
	if (m)
		pthread_mutex_init(&m->lock, NULL);
	return m;
}

void jws_header_memo_free(struct jws_header_memo *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

json_t *jws_segment_json(const char *text, size_t len)
{
	unsigned char stack[2048]; /* most headers and claims: no allocation */
	size_t cap = base64url_decoded_max(len);
	unsigned char *raw = cap <= sizeof stack ? stack : malloc(cap);
	long n = raw ? base64url_decode(text, len, raw, cap) : -1;
	json_t *obj = n > 0 ? json_loadb((const char *)raw, (size_t)n, JSON_REJECT_DUPLICATES, NULL)
			    : NULL;
	if (raw != stack)
		free(raw);
	if (obj && !json_is_object(obj)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static int parse(const char *text, size_t len, struct jws_header *h)
{
	json_t *obj = jws_segment_json(text, len);
	const char *alg = json_string_value(json_object_get(obj, "alg"));
	const json_t *kid = json_object_get(obj, "kid");
	const char *kid_text = json_string_value(kid);
	int rc = -1;
	if (alg && !json_object_get(obj, "crit") &&
	    (!kid || (kid_text && json_string_length(kid) <= JWS_MAX_KID &&
		      strlen(kid_text) == json_string_length(kid)))) {
		h->alg = jws_alg_parse(alg);
		h->has_kid = kid != NULL;
		snprintf(h->kid, sizeof h->kid, "%s", kid ? kid_text : "");
		rc = 0;
	}
	json_decref(obj);
	return rc;
}

int jws_header_read(struct jws_header_memo *m, const char *text, size_t len, struct jws_header *h)
{
	bool memo =
		len > 0 && len <= JWS_HEADER_MEMO_TEXT; /* an empty slot has len 0: never a match */
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; memo && i < JWS_HEADER_SLOTS; i++)
		if (m->slots[i].len == len && memcmp(m->slots[i].text, text, len) == 0) {
			*h = m->slots[i].header;
			pthread_mutex_unlock(&m->lock);
			return 0;
		}
	pthread_mutex_unlock(&m->lock);
	if (parse(text, len, h) < 0)
		return -1;
	if (memo) {
		pthread_mutex_lock(&m->lock);
		struct remembered *slot = &m->slots[m->next++ % JWS_HEADER_SLOTS];
		memcpy(slot->text, text, len);
		slot->len = len;
		slot->header = *h;
		pthread_mutex_unlock(&m->lock);
	}
	return 0;
}
