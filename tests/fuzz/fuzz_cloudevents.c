/* SPDX-License-Identifier: Apache-2.0 */
/* The connect gate's outside input: a service event as "POST PATH\nName: value\n...\n\nBODY"
 * (fake_request.h), read by ce_read() and its ce-signature checked against two keys; a read that
 * succeeds must hand back bounded, present ids, and a signature must never verify under a key it
 * was not made with (the seeds' valid one is made with KEY_A). */
#include "fake_request.h"
#include "fuzz.h"
#include "negotiate/cloudevents.h"

#include <stdlib.h>
#include <string.h>

#define KEY_A "fuzz-key-a-0123456789abcdefghijklmnopqrstuvwxyzABCD"
#define KEY_B "fuzz-key-b-0123456789abcdefghijklmnopqrstuvwxyzABCD"

static const char *header_of(void *ctx, const char *name)
{
	return ngd_request_header(ctx, name);
}

static bool bounded(const char *s)
{
	return s && *s && strlen(s) <= CE_MAX_ID;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct token_signer *a, *b;
	if (!a && (!(a = token_signer_new(KEY_A)) || !(b = token_signer_new(KEY_B))))
		abort();
	struct fake_request *f = fake_request_parse(data, size);
	if (!f)
		return 0;
	struct ce_event ev;
	char why[200] = "";
	if (ce_read(header_of, &f->req, f->req.body, f->req.body_len, &ev, why, sizeof why) < 0) {
		if (!why[0])
			abort(); /* every refusal says why */
	} else {
		if (!bounded(ev.hub) || !bounded(ev.connection_id) || !ev.signature || !ev.origin ||
		    (ev.user_id && !bounded(ev.user_id)) || ev.iat < 0)
			abort();
		const struct token_signer *only_b[] = {NULL, b}, *both[] = {a, b};
		bool with_b = ce_signature_ok(ev.signature, ev.connection_id, only_b, 2);
		bool with_both = ce_signature_ok(ev.signature, ev.connection_id, both, 2);
		if (with_b && !with_both)
			abort(); /* more keys never accept less */
	}
	fake_request_free(f);
	return 0;
}
