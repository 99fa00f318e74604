/* SPDX-License-Identifier: Apache-2.0 */
/* `negotiated explain`: what a caller would get from a hub, and which rule says so. */
#ifndef NGD_CLI_EXPLAIN_H
#define NGD_CLI_EXPLAIN_H

/* argv[0] is "explain". Exit status: 0 granted, 1 refused, 2 bad input. */
int cli_explain(int argc, char **argv);

#endif
