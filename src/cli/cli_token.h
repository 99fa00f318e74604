/* SPDX-License-Identifier: Apache-2.0 */
/* `negotiated token`: the command-line twin of the portal's Client URL Generator. */
#ifndef NGD_CLI_TOKEN_H
#define NGD_CLI_TOKEN_H

/* argv[0] is "token". Returns the exit status: 0, 1 (could not sign), 2 (bad arguments). */
int cli_token(int argc, char **argv);

#endif
