/* SPDX-License-Identifier: Apache-2.0 */
/* A hub's policy compiled from the configuration: the hub's own roles and groups, then every
 * [rule:NAME] that lists the hub, in file order. */
#ifndef NGD_POLICY_BUILD_H
#define NGD_POLICY_BUILD_H

#include "config/config.h"
#include "policy/policy.h"

/* The hub's rules as config_load's check compiled them: the policy borrows cfg's templates, so
 * policy_free() it before config_free(cfg). NULL only when out of memory. */
struct policy *policy_build(const struct config *cfg, const struct config_hub *hub);

#endif
