/* SPDX-License-Identifier: Apache-2.0 */
/* iss must equal the issuer, aud must name an accepted audience, exp is required and nbf/iat are
 * honoured, each with the configured leeway (RFC 7519 section 4.1). */
#include "auth/jwt/jwt_claims.h"

#include "core/log.h"

#include <stdbool.h>
#include <string.h>

static int refuse(struct jwt_refusal *why, const char *code, const char *message)
{
	*why = (struct jwt_refusal){code, message};
	return -1;
}

const char *jwt_printable(const char *s, char *out, size_t out_len)
{
	size_t n = 0;
	if (!s)
		s = "(none)";
	for (; s[n] && n + 1 < out_len; n++)
		out[n] = (unsigned char)s[n] < ' ' || s[n] == 0x7f ? '?' : s[n];
	out[n] = '\0';
	return out;
}

/* At debug: the audiences accepted and the aud the token carries (names, never secrets). */
static void log_audience(const json_t *aud, const struct jwt_rules *rules)
{
	char want[300] = "", got[300], one[200];
	size_t used = 0, i;
	const json_t *v;
	for (i = 0; i < rules->n_audiences && used < sizeof want; i++)
		used += (size_t)snprintf(want + used, sizeof want - used, "%s'%s'", i ? " " : "",
					 rules->audiences[i]);
	if (json_is_string(aud))
		snprintf(got, sizeof got, "'%s'",
			 jwt_printable(json_string_value(aud), one, sizeof one));
	else if (json_is_array(aud)) {
		used = (size_t)snprintf(got, sizeof got, "[");
		json_array_foreach(aud, i, v) if (used < sizeof got) used +=
			(size_t)snprintf(got + used, sizeof got - used, "%s'%s'", i ? " " : "",
					 jwt_printable(json_string_value(v), one, sizeof one));
		if (used < sizeof got)
			snprintf(got + used, sizeof got - used, "]");
	} else
		snprintf(got, sizeof got, "%s", aud ? "not a string or array" : "no aud");
	log_debug("auth:%s: wrong_audience: accepted %s; the token has %s", rules->name, want, got);
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
	if (log_wants(LOG_LEVEL_DEBUG) &&
	    !(json_is_string(aud) && audience_accepted(json_string_value(aud), rules))) {
		bool any = false;
		json_array_foreach(aud, i, one) any |=
			audience_accepted(json_string_value(one), rules);
		if (!any)
			log_audience(aud, rules);
	}
	if (!aud)
		return refuse(why, "wrong_audience", "the token names no audience (aud)");
	if (json_is_string(aud) && audience_accepted(json_string_value(aud), rules))
		return 0;
	json_array_foreach(aud, i,
			   one) if (audience_accepted(json_string_value(one), rules)) return 0;
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

static int check_times(const json_t *claims, const struct jwt_rules *rules, long long now,
		       struct jwt_refusal *why, struct jwt_window *window)
{
	double exp = 0, nbf = 0, iat = 0;
	int has_exp = numeric_date(claims, "exp", &exp),
	    has_nbf = numeric_date(claims, "nbf", &nbf),
	    has_iat = numeric_date(claims, "iat", &iat);
	if (has_exp < 0 || has_nbf < 0 || has_iat < 0)
		return refuse(why, "malformed_token", "exp, nbf and iat must be numbers");
	if (!has_exp) {
		log_debug("auth:%s: missing_claim: the token has no exp", rules->name);
		return refuse(why, "missing_claim", "the token has no expiry (exp)");
	}
	if ((double)now > exp + (double)rules->leeway) {
		if (log_wants(LOG_LEVEL_DEBUG))
			log_debug("auth:%s: token_expired: exp %.0f is %.0f s ago (leeway %lld s)",
				  rules->name, exp, (double)now - exp, rules->leeway);
		return refuse(why, "token_expired", "the token has expired");
	}
	if (has_nbf && (double)(now + rules->leeway) < nbf) {
		log_debug("auth:%s: token_not_yet_valid: nbf is %.0f s ahead (leeway %lld s)",
			  rules->name, nbf - (double)now, rules->leeway);
		return refuse(why, "token_not_yet_valid", "the token is not valid yet (nbf)");
	}
	if (has_iat && (double)(now + rules->leeway) < iat) {
		log_debug("auth:%s: token_not_yet_valid: iat is %.0f s ahead (leeway %lld s)",
			  rules->name, iat - (double)now, rules->leeway);
		return refuse(why, "token_not_yet_valid",
			      "the token was issued in the future (iat)");
	}
	if (window) {
		double latest = has_nbf && (!has_iat || nbf > iat) ? nbf : iat;
		window->until = whole_seconds(exp, false);
		window->from = has_nbf || has_iat ? whole_seconds(latest, true) - rules->leeway
						  : (long long)-9e18;
	}
	return 0;
}

int jwt_claims_check(const json_t *claims, const struct jwt_rules *rules, long long now,
		     struct jwt_refusal *why, struct jwt_window *window)
{
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	if (!iss || strcmp(iss, rules->issuer) != 0) {
		char got[300];
		if (log_wants(LOG_LEVEL_DEBUG))
			log_debug("auth:%s: wrong_issuer: expected iss '%s', the token has '%s'",
				  rules->name, rules->issuer, jwt_printable(iss, got, sizeof got));
		return refuse(why, "wrong_issuer",
			      "the token was not issued by the configured issuer (iss)");
	}
	if (check_audience(json_object_get(claims, "aud"), rules, why) < 0)
		return -1;
	return check_times(claims, rules, now, why, window);
}
