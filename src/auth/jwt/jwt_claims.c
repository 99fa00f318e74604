/* SPDX-License-Identifier: Apache-2.0 */
/* iss must equal the issuer, aud must name an accepted audience, exp is required and nbf/iat are
 * honoured, each with the configured leeway (RFC 7519 section 4.1). */
#include "auth/jwt/jwt_claims.h"

#include <stdbool.h>
#include <string.h>

static int refuse(struct jwt_refusal *why, const char *code, const char *message)
{
	*why = (struct jwt_refusal){code, message};
	return -1;
}

static bool audience_accepted(const char *aud, const struct jwt_rules *rules)
{
	for (size_t i = 0; aud && i < rules->n_audiences; i++)
		if (strcmp(aud, rules->audiences[i]) == 0)
			return true;
	return false;
}

static int check_audience(const json_t *aud, const struct jwt_rules *rules, struct jwt_refusal *why)
{
	size_t i;
	const json_t *one;
	if (!aud)
		return refuse(why, "wrong_audience", "the token names no audience (aud)");
	if (json_is_string(aud) && audience_accepted(json_string_value(aud), rules))
		return 0;
	json_array_foreach(aud, i, one) if (audience_accepted(json_string_value(one), rules)) return 0;
	return refuse(why, "wrong_audience", "the token is not meant for this service (aud)");
}

/* A NumericDate claim: 1 present (in *out), 0 absent, -1 present but not a number. */
static int numeric_date(const json_t *claims, const char *name, double *out)
{
	const json_t *v = json_object_get(claims, name);
	if (!v)
		return 0;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 1;
}

/* SECONDS as a whole number of seconds, rounded toward the safe side and kept in range. */
static long long whole_seconds(double seconds, bool up)
{
	if (seconds > 9e18)
		return (long long)9e18;
	if (seconds < -9e18)
		return (long long)-9e18;
	long long s = (long long)seconds; /* toward zero */
	if (up && (double)s < seconds)
		s++;
	if (!up && (double)s > seconds)
		s--;
	return s;
}

static int check_times(const json_t *claims, const struct jwt_rules *rules, long long now, struct jwt_refusal *why,
		       struct jwt_window *window)
{
	double exp = 0, nbf = 0, iat = 0;
	int has_exp = numeric_date(claims, "exp", &exp), has_nbf = numeric_date(claims, "nbf", &nbf),
	    has_iat = numeric_date(claims, "iat", &iat);
	if (has_exp < 0 || has_nbf < 0 || has_iat < 0)
		return refuse(why, "malformed_token", "exp, nbf and iat must be numbers");
	if (!has_exp)
		return refuse(why, "missing_claim", "the token has no expiry (exp)");
	if ((double)now > exp + (double)rules->leeway)
		return refuse(why, "token_expired", "the token has expired");
	if (has_nbf && (double)(now + rules->leeway) < nbf)
		return refuse(why, "token_not_yet_valid", "the token is not valid yet (nbf)");
	if (has_iat && (double)(now + rules->leeway) < iat)
		return refuse(why, "token_not_yet_valid", "the token was issued in the future (iat)");
	if (window) {
		double latest = has_nbf && (!has_iat || nbf > iat) ? nbf : iat;
		window->until = whole_seconds(exp, false);
		window->from = has_nbf || has_iat ? whole_seconds(latest, true) - rules->leeway : (long long)-9e18;
	}
	return 0;
}

int jwt_claims_check(const json_t *claims, const struct jwt_rules *rules, long long now, struct jwt_refusal *why,
		     struct jwt_window *window)
{
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	if (!iss || strcmp(iss, rules->issuer) != 0)
		return refuse(why, "wrong_issuer", "the token was not issued by the configured issuer (iss)");
	if (check_audience(json_object_get(claims, "aud"), rules, why) < 0)
		return -1;
	return check_times(claims, rules, now, why, window);
}
