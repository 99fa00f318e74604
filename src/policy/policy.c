/* SPDX-License-Identifier: Apache-2.0 */
/* Deciding: the allowed set is the union of the matching rules' grants; the token carries the
 * client's ask within it (or the hub's defaults), and a lifetime within every cap. */
#include "policy/policy.h"

#include "core/log.h"
#include "core/names.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* One allowed name: static (text) or rendered into the grant's names at off. */
struct entry {
	const char *text;
	size_t off;
	const struct policy_rule *rule; /* the first rule that grants it */
	unsigned cap;			/* the longest lifetime any granting rule allows */
	uint32_t hash;
	bool carried; /* already in the token's list */
};

#define SET_MAX (NGD_MAX_ROLES > NGD_MAX_GROUPS ? NGD_MAX_ROLES : NGD_MAX_GROUPS)
#define SCAN_MAX 8		  /* a set this small is scanned; a larger one gets its index */
#define INDEX_SLOTS (4 * SET_MAX) /* at most a quarter full: a lookup is about one probe */

struct entry_set {
	struct entry items[SET_MAX];
	size_t n, max;
	const char *what; /* "role", "group", "default role", "default group" */
	bool roles;
	bool indexed;			  /* index is built (n passed SCAN_MAX) */
	unsigned char index[INDEX_SLOTS]; /* position in items + 1; 0: empty */
};
_Static_assert(SET_MAX < 255, "an index slot holds an item's position + 1");

struct decision {
	const struct policy *p;
	const struct principal *who;
	const struct policy_trace *trace;
	struct grant *out;
	struct entry_set roles, groups, default_roles, default_groups;
	bool defaults; /* rendering the hub's defaults: a default that makes nothing is no operator
			  error */
	unsigned cap; /* the shortest cap among the carried names (each: the longest of its granting
			 rules) */
	const struct policy_rule
		*cap_by; /* the rule that sets it; NULL: the hub's max_token_lifetime */
};

__attribute__((format(printf, 3, 4))) static void note(const struct decision *d,
						       enum log_level level, const char *fmt, ...)
{
	char text[600];
	va_list ap;
	if (!d->trace && level >= LOG_LEVEL_DEBUG)
		return; /* the daemon logs fixes and drops, not every rule it tried; explain shows
			   all */
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (d->trace)
		d->trace->note(d->trace->ctx, text);
	else
		log_msg(level, "hub %s: %s", d->p->hub, text);
}

static const char *entry_text(const struct decision *d, const struct entry *e)
{
	return e->text ? e->text : d->out->names.data + e->off;
}

static struct entry *find_hashed(const struct decision *d, struct entry_set *s, const char *name,
				 uint32_t hash)
{
	if (!s->indexed) {
		for (size_t i = 0; i < s->n; i++)
			if (s->items[i].hash == hash &&
			    strcmp(entry_text(d, &s->items[i]), name) == 0)
				return &s->items[i];
		return NULL;
	}
	for (size_t i = hash % INDEX_SLOTS; s->index[i]; i = (i + 1) % INDEX_SLOTS) {
		struct entry *e = &s->items[s->index[i] - 1];
		if (e->hash == hash && strcmp(entry_text(d, e), name) == 0)
			return e;
	}
	return NULL;
}

static struct entry *set_find(const struct decision *d, struct entry_set *s, const char *name)
{
	return find_hashed(d, s, name, (uint32_t)name_hash(name));
}

static void index_place(struct entry_set *s, size_t pos)
{
	size_t i = s->items[pos].hash % INDEX_SLOTS;
	while (s->index[i])
		i = (i + 1) % INDEX_SLOTS;
	s->index[i] = (unsigned char)(pos + 1);
}

static void set_init(struct entry_set *s, size_t max, const char *what, bool roles)
{
	s->n = 0, s->max = max, s->what = what, s->roles = roles, s->indexed = false;
}

/* Appends e; past SCAN_MAX items the set is indexed, so filling it stays linear. */
static void set_append(struct entry_set *s, struct entry e)
{
	s->items[s->n++] = e;
	if (s->indexed)
		return index_place(s, s->n - 1);
	if (s->n <= SCAN_MAX)
		return;
	memset(s->index, 0, sizeof s->index);
	for (size_t i = 0; i < s->n; i++)
		index_place(s, i);
	s->indexed = true;
}

/* Adds the name just rendered at off (text NULL) or a static text; a repeat keeps the longest cap.
 */
static void set_add(struct decision *d, struct entry_set *s, const char *text, size_t off,
		    const struct policy_rule *rule)
{
	struct buf *names = &d->out->names;
	const char *name = text ? text : names->data + off;
	uint32_t hash = (uint32_t)name_hash(name);
	struct entry *seen = find_hashed(d, s, name, hash);
	if (seen || s->n == s->max) {
		if (seen && rule->max_minutes > seen->cap)
			seen->cap = rule->max_minutes;
		if (!seen)
			note(d, LOG_LEVEL_WARNING,
			     "%s %s:%d: %s '%.80s' left out: more than %zu %ss", rule->name,
			     d->p->file, rule->line, s->what, name, s->max, s->what);
		if (!text) { /* forget the rendered copy */
			names->len = off;
			names->data[off] = '\0';
		}
		return;
	}
	set_append(s, (struct entry){text, off, rule, rule->max_minutes, hash, false});
}

/* The line a template was written on, for messages. */
static int template_line(const struct decision *d, const struct entry_set *s,
			 const struct policy_rule *rule)
{
	if (d->defaults)
		return s->roles ? d->p->default_roles_line : d->p->default_groups_line;
	return s->roles ? rule->roles_line : rule->groups_line;
}

static void render_one(struct decision *d, struct entry_set *s, const struct policy_rule *rule,
		       const struct template *t, const char *value)
{
	struct buf *names = &d->out->names;
	size_t off = names->len;
	const char *why;
	if (template_render(t, d->who->user_id, value, names, &why) < 0) {
		note(d, d->defaults ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARNING,
		     "%s %s:%d: %s template '%.80s' grants nothing for this caller: %s", rule->name,
		     d->p->file, template_line(d, s, rule), s->what, t->source, why);
		return;
	}
	buf_append(names, "", 1); /* each name ends with its NUL */
	if (!names->failed)
		set_add(d, s, NULL, off, rule);
}

static void expand(struct decision *d, struct entry_set *s, const struct policy_rule *rule,
		   const struct template *t)
{
	bool any = false;
	if (t->literal)
		return set_add(d, s, t->source, 0, rule);
	if (!t->attr)
		return render_one(d, s, rule, t, NULL);
	for (size_t i = 0; i < d->who->n_attrs; i++)
		if (strcmp(d->who->attrs[i].name, t->attr) == 0) {
			render_one(d, s, rule, t, d->who->attrs[i].value);
			any = true;
		}
	if (!any)
		note(d, d->defaults ? LOG_LEVEL_DEBUG : LOG_LEVEL_WARNING,
		     "%s %s:%d: %s template '%.80s' grants nothing for this caller: no attribute "
		     "'%.64s'",
		     rule->name, d->p->file, template_line(d, s, rule), s->what, t->source,
		     t->attr);
}

static bool rule_matches(const struct decision *d, const struct policy_rule *r)
{
	for (size_t i = 0; i < r->n_match; i++)
		if (!matcher_holds(&r->match[i], d->who)) {
			note(d, LOG_LEVEL_DEBUG, "%s %s:%d does not match: '%.80s' does not hold",
			     r->name, d->p->file, r->line, r->match[i].source);
			return false;
		}
	note(d, LOG_LEVEL_DEBUG, "%s %s:%d matches", r->name, d->p->file, r->line);
	return true;
}

/* The union of the matching rules' grants, and the hub's defaults rendered for this caller. */
static void allowed_sets(struct decision *d)
{
	const struct policy *p = d->p;
	for (size_t r = 0; r < p->n_rules; r++) {
		const struct policy_rule *rule = &p->rules[r];
		if (!rule_matches(d, rule))
			continue;
		for (size_t i = 0; i < rule->n_roles; i++)
			expand(d, &d->roles, rule, &rule->roles[i]);
		for (size_t i = 0; i < rule->n_groups; i++)
			expand(d, &d->groups, rule, &rule->groups[i]);
	}
	d->defaults = true;
	for (size_t i = 0; i < p->n_default_roles; i++)
		expand(d, &d->default_roles, &p->rules[0], &p->default_roles[i]);
	for (size_t i = 0; i < p->n_default_groups; i++)
		expand(d, &d->default_groups, &p->rules[0], &p->default_groups[i]);
}

/* A name the client sent, cut short at a character boundary for a message. */
static const char *shown(const char *s, char *out, size_t len)
{
	size_t n = strlen(s);
	if (n < len) {
		memcpy(out, s, n + 1);
		return out;
	}
	n = len - 4;
	while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(out, s, n);
	memcpy(out + n, "...", 4);
	return out;
}

static int refuse(struct decision *d, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(struct decision *d, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->out->message, sizeof d->out->message, fmt, ap);
	va_end(ap);
	d->out->refusal = code;
	return -1;
}

/* Puts e in the token's list; the lifetime cap follows the carried names. */
static void carry(struct decision *d, struct entry *e, const char **names,
		  const struct policy_rule **rules, size_t *n)
{
	e->carried = true;
	names[*n] = entry_text(d, e);
	rules[(*n)++] = e->rule;
	if (e->cap < d->cap)
		d->cap = e->cap, d->cap_by = e->rule;
}

/* The token's list: the ask within the allowed set, else the defaults within it, else all of it. */
static int narrow(struct decision *d, struct entry_set *allowed, const struct entry_set *defaults,
		  bool has_defaults, const char *const *asked, size_t n_asked, bool was_asked,
		  const char **names, const struct policy_rule **rules, size_t *n)
{
	char buf[96];
	bool roles = allowed == &d->roles;
	for (size_t i = 0; was_asked && i < n_asked; i++) {
		struct entry *e = set_find(d, allowed, asked[i]);
		if (e && !e->carried) /* a name asked twice is carried once */
			carry(d, e, names, rules, n);
		else if (!e && d->p->on_excess == EXCESS_DROP) {
			note(d, LOG_LEVEL_INFO,
			     "%s '%s' asked for but not granted: dropped (on_excess = drop)",
			     allowed->what, shown(asked[i], buf, 84));
		} else if (!e && roles) {
			return refuse(d, "forbidden_role",
				      "role '%s' is not granted to this caller on hub %s",
				      shown(asked[i], buf, 84), d->p->hub);
		} else if (!e) { /* roles that let the client join a group do not put it there on
				    connect */
			return refuse(d, "forbidden_group",
				      "group '%s' is not granted to this caller on hub %s: group= "
				      "asks to be joined to it "
				      "on connect, which only the groups key (of the hub or a "
				      "matching rule) grants",
				      shown(asked[i], buf, 84), d->p->hub);
		}
	}
	for (size_t i = 0; !was_asked && i < (has_defaults ? defaults->n : allowed->n); i++) {
		const struct entry *from = has_defaults ? &defaults->items[i] : &allowed->items[i];
		const char *name = entry_text(d, from);
		struct entry *e = has_defaults ? find_hashed(d, allowed, name, from->hash)
					       : &allowed->items[i];
		if (e) {
			carry(d, e, names, rules, n);
		} else {
			note(d, LOG_LEVEL_DEBUG,
			     "default %s '%.80s' is not granted to this caller: left out",
			     allowed->what, name);
		}
	}
	return 0;
}

static int lifetime(struct decision *d, const struct policy_ask *ask)
{
	struct grant *g = d->out;
	const struct policy_rule *by = d->cap_by;
	unsigned cap = d->cap;
	if (by)
		note(d, LOG_LEVEL_DEBUG,
		     "lifetime cap %u minutes: max_token_lifetime of %s at %s:%d", cap, by->name,
		     d->p->file, by->lifetime_line);
	else
		note(d, LOG_LEVEL_DEBUG, "lifetime cap %u minutes: the hub's max_token_lifetime",
		     cap);
	if (!ask->minutes) {
		g->ttl_minutes = d->p->token_lifetime < cap ? d->p->token_lifetime : cap;
		return 0;
	}
	if (ask->minutes <= cap) {
		g->ttl_minutes = ask->minutes;
		return 0;
	}
	if (d->p->lifetime_excess == EXCESS_REFUSE)
		return refuse(d, "forbidden_lifetime",
			      "%u minutes asked; at most %u are allowed on hub %s", ask->minutes,
			      cap, d->p->hub);
	note(d, LOG_LEVEL_DEBUG, "%u minutes asked: capped to %u (lifetime_excess = cap)",
	     ask->minutes, cap);
	g->ttl_minutes = cap;
	return 0;
}

int policy_decide(const struct policy *p, const struct principal *who, const struct policy_ask *ask,
		  const struct policy_trace *trace, struct grant *out)
{
	struct decision
		d; /* its sets' items and indexes are written as they fill, never zeroed whole */
	d.p = p, d.who = who, d.trace = trace, d.out = out, d.defaults = false;
	d.cap = p->max_token_lifetime, d.cap_by = NULL;
	set_init(&d.roles, NGD_MAX_ROLES, "role", true);
	set_init(&d.groups, NGD_MAX_GROUPS, "group", false);
	set_init(&d.default_roles, NGD_MAX_ROLES, "default role", true);
	set_init(&d.default_groups, NGD_MAX_GROUPS, "default group", false);
	out->names = (struct buf){0};
	out->n_roles = out->n_groups = 0;
	out->refusal = NULL;
	out->message[0] = '\0';
	out->protocol = ask->protocol_asked ? ask->protocol : p->protocol;
	if (!(p->protocols & (1u << out->protocol)))
		return refuse(&d, "forbidden_protocol",
			      "client protocol %s is not allowed on hub %s",
			      client_protocol_name(out->protocol), p->hub);
	allowed_sets(&d);
	if (out->names.failed)
		return refuse(&d, "internal", "out of memory");
	if (narrow(&d, &d.roles, &d.default_roles, p->has_default_roles, ask->roles, ask->n_roles,
		   ask->roles_asked, out->roles, out->role_rule, &out->n_roles) < 0 ||
	    narrow(&d, &d.groups, &d.default_groups, p->has_default_groups, ask->groups,
		   ask->n_groups, ask->groups_asked, out->groups, out->group_rule,
		   &out->n_groups) < 0)
		return -1;
	const char *over = roles_over_pattern_cap(out->roles, out->n_roles);
	if (over) /* rules that each pass the config's check can still add up past the cap */
		return refuse(&d, "forbidden_role",
			      "the matching rules grant more than %d %sPATTERN roles on hub %s; "
			      "ask for fewer roles",
			      NGD_MAX_PATTERN_ROLES, over, p->hub);
	return lifetime(&d, ask);
}

void grant_clear(struct grant *g)
{
	buf_free(&g->names);
	g->n_roles = g->n_groups = 0;
}
