/* SPDX-License-Identifier: Apache-2.0 */
/* `negotiated --reload` (the unit's ExecReload=): asks the running daemon to reload and waits for
 * its verdict, so that a file that does not load fails `systemctl reload`. The daemon itself does
 * the check, with its own permissions and credentials (systemd 252 gives ExecReload= processes
 * of a DynamicUser= unit no access to the credentials). */
#ifndef NGD_RELOAD_ASK_H
#define NGD_RELOAD_ASK_H

#include <signal.h>

/* The --reload side: SIGHUP to pid, queued with a marker, then SIGUSR1 (reloaded) or SIGUSR2
 * (kept the running configuration) back from it. 0, or 1 after saying why on stderr. */
int reload_ask(long pid);
/* The daemon's side, after a reload that SIGHUP `info` caused: answers a --reload asker (only
 * one: a plain kill -HUP gets no signal back). */
void reload_answer(const siginfo_t *info, int reload_rc);

#endif
