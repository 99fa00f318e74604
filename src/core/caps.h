/* SPDX-License-Identifier: Apache-2.0 */
/* Size caps that hold everywhere; each is checked before anything is allocated for it. */
#ifndef NGD_CAPS_H
#define NGD_CAPS_H

#define NGD_MAX_HUB_NAME 128	/* the service's rule */
#define NGD_MAX_GROUP_NAME 1024 /* the service's rule */
#define NGD_MAX_USER_ID 512	/* the service sets none; keep tokens bounded */
#define NGD_MAX_ROLE_NAME 1100	/* "webpubsub.joinLeaveGroups." + a 1024-byte pattern */
#define NGD_MAX_ROLES 64	/* per token */
#define NGD_MAX_GROUPS 64	/* per token */
/* per kind per token: the service skips the rest (its emulator's
 * Constants.Permission.MaxPatternCount) */
#define NGD_MAX_PATTERN_ROLES 10
#define NGD_MAX_TTL_MINUTES 525600 /* one year */
#define NGD_MAX_CONNSTR 4096	   /* a connection string, inline or in a file */
#define NGD_MAX_API_KEY 512	   /* a presented API key */
#define NGD_MAX_KEY_FILE                                                                           \
	(256 << 20) /* an API key file: room for a million-device fleet four times over */
#define NGD_MAX_API_KEYS 4000000 /* keys in one file: bounds its table (2^23 slots of 40 bytes) */
#define NGD_MAX_ATTRIBUTES 32	 /* per principal */
#define NGD_MAX_ATTRIBUTE 1024	 /* one attribute name or value */
#define NGD_MAX_HTPASSWD_FILE (1 << 20) /* an htpasswd file */
#define NGD_MAX_HTPASSWD_LINE 1024	/* one "user:hash" line */
#define NGD_MAX_BASIC_USER 255		/* a Basic user name (Apache's htpasswd limit) */
#define NGD_MAX_PASSWORD 512		/* a Basic password; bcrypt reads only 72 bytes of it */
#define NGD_MAX_BASIC_TOKEN 1024	/* base64 of "user:password" at the two caps above */
#define NGD_MAX_CORS_ORIGINS 64		/* per [server] or hub */

#endif
