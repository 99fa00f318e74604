/* SPDX-License-Identifier: Apache-2.0 */
/* The signed client assertion of Entra's client certificate credential: an RS256 JWT naming the
 * certificate by its SHA-1 thumbprint (x5t), for the tenant's token endpoint. */
#ifndef NGD_CLIENT_ASSERTION_H
#define NGD_CLIENT_ASSERTION_H

#include <stddef.h>

struct client_assertion;

/* From PEM text holding the certificate and its RSA private key; NULL with a reason in err. */
struct client_assertion *client_assertion_new(const char *pem, char *err, size_t err_len);
void client_assertion_free(struct client_assertion *a);
/* A fresh assertion (10 minutes, a random jti) for audience, or NULL; free with secret_free. */
char *client_assertion_sign(const struct client_assertion *a, const char *client_id,
			    const char *audience);

#endif
