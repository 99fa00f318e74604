/* SPDX-License-Identifier: Apache-2.0 */
/* Name rules: what the service accepts, plus the caps that keep tokens bounded. */
#include "core/names.h"

#include "core/caps.h"

#include <string.h>

static bool utf8_valid(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned c = s[i];
		size_t n;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, min = 0x80, c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, min = 0x800, c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, min = 0x10000, c &= 0x07;
		} else {
			return false;
		}
		if (i + n >= len) /* truncated sequence */
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (s[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

bool text_valid(const char *s, unsigned max_bytes)
{
	size_t len = strnlen(s, (size_t)max_bytes + 1);
	if (len == 0 || len > max_bytes)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return utf8_valid((const unsigned char *)s, len);
}

bool hub_name_valid(const char *s)
{
	static const char extra[] = "_`,.[]";
	size_t len = strnlen(s, NGD_MAX_HUB_NAME + 1);
	if (len == 0 || len > NGD_MAX_HUB_NAME)
		return false;
	if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = s[i];
		bool alnum =
			(c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && !strchr(extra, c))
			return false;
	}
	return true;
}

bool group_name_valid(const char *s)
{
	if (!text_valid(s, NGD_MAX_GROUP_NAME))
		return false;
	return strspn(s, " \t") != strlen(s); /* the service refuses blank names */
}

bool user_id_valid(const char *s)
{
	return text_valid(s, NGD_MAX_USER_ID);
}

static bool pattern_valid(const char *p)
{
	unsigned stars = 0;
	if (!text_valid(p, NGD_MAX_GROUP_NAME))
		return false;
	for (; *p; p++) {
		if (*p == '\\') {
			/* the service skips a role that escapes anything but \\, \* or \? (or
			 * nothing at the end) */
			if (!p[1] || !strchr("\\*?", p[1]))
				return false;
			p++;
		} else if (*p == '*') {
			stars++;
		}
	}
	return stars <= 5;
}

static const char *const per_pattern[] = {"webpubsub.joinLeaveGroups.", "webpubsub.sendToGroups."};

int role_pattern_kind(const char *s)
{
	for (int i = 0; i < 2; i++)
		if (strncmp(s, per_pattern[i], strlen(per_pattern[i])) == 0)
			return i + 1;
	return 0;
}

const char *roles_over_pattern_cap(const char *const *roles, size_t n)
{
	size_t count[3] = {0};
	for (size_t i = 0; i < n; i++) {
		int kind = role_pattern_kind(roles[i]);
		if (kind && ++count[kind] > NGD_MAX_PATTERN_ROLES)
			return per_pattern[kind - 1];
	}
	return NULL;
}

bool role_valid(const char *s)
{
	static const char *const whole[] = {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"};
	static const char *const per_group[] = {"webpubsub.joinLeaveGroup.",
						"webpubsub.sendToGroup."};
	if (strnlen(s, NGD_MAX_ROLE_NAME + 1) > NGD_MAX_ROLE_NAME)
		return false;
	for (int i = 0; i < 2; i++) {
		if (strcmp(s, whole[i]) == 0)
			return true;
		if (strncmp(s, per_group[i], strlen(per_group[i])) == 0)
			return group_name_valid(s + strlen(per_group[i]));
		if (strncmp(s, per_pattern[i], strlen(per_pattern[i])) == 0)
			return pattern_valid(s + strlen(per_pattern[i]));
	}
	return false;
}

uint64_t name_hash(const char *s)
{
	uint64_t h = 14695981039346656037u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h ^ (h >> 29); /* the high bits reach the low ones that pick a slot */
}

unsigned name_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[3][65];
	if (la > 64 || lb > 64)
		return 3;
	if ((la > lb ? la - lb : lb - la) >= 3)
		return 3;
	/* optimal string alignment distance, three rows kept */
	for (size_t j = 0; j <= lb; j++)
		row[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned *cur = row[i % 3], *prev = row[(i - 1) % 3], *prev2 = row[(i + 1) % 3];
		cur[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1], best = prev[j - 1] + cost;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
	}
	return row[la % 3][lb] < 3 ? row[la % 3][lb] : 3;
}

const char *name_nearest(const char *name, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	unsigned best_distance = strlen(name) >= 6 ? 3 : 2;
	for (size_t i = 0; i < n; i++) {
		unsigned d = name_distance(name, candidates[i]);
		if (d < best_distance)
			best = candidates[i], best_distance = d;
	}
	return best;
}
