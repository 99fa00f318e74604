/* SPDX-License-Identifier: Apache-2.0 */
/* `negotiated revoke`: the operator's client of the admin socket (docs/stopping-a-user.md). */
#ifndef NGD_CLI_REVOKE_H
#define NGD_CLI_REVOKE_H

/* argv[0] is "revoke". Returns the exit status: 0 done, 1 refused or failed, 2 usage. */
int cli_revoke(int argc, char **argv);

#endif
