/* SPDX-License-Identifier: Apache-2.0 */
/* A hub's policy compiled from the configuration: the hub's own roles and groups, then every
 * [rule:NAME] that lists the hub, in file order. */
#ifndef NGD_POLICY_BUILD_H
#define NGD_POLICY_BUILD_H

#include "config/config.h"
#include "policy/policy.h"

/* Compiles the hub's rules (config_load has validated them). NULL only when out of memory. */
struct policy *policy_build(const struct config *cfg, const struct config_hub *hub);

#endif
