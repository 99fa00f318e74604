/* SPDX-License-Identifier: Apache-2.0 */
/* negotiated --reload and the daemon's answer to it (reload_ask.h). */
#include "process/reload_ask.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define RELOAD_ASK_MARK 0x4e474452 /* si_value of an asking SIGHUP: "NGDR" */
#define RELOAD_ASK_WAIT 80	   /* seconds; systemd's reload job times out at 90 */

int reload_ask(long pid)
{
	sigset_t answers;
	sigemptyset(&answers);
	sigaddset(&answers, SIGUSR1);
	sigaddset(&answers, SIGUSR2);
	sigprocmask(SIG_BLOCK, &answers, NULL); /* before asking, so no answer is lost */
	if (sigqueue((pid_t)pid, SIGHUP, (union sigval){.sival_int = RELOAD_ASK_MARK}) < 0) {
		fprintf(stderr, "negotiated: --reload: cannot signal PID %ld: %s\n", pid,
			strerror(errno));
		return 1;
	}
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += RELOAD_ASK_WAIT;
	for (;;) {
		struct timespec now, left;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = deadline.tv_sec - now.tv_sec,
		left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0)
			left.tv_sec--, left.tv_nsec += 1000000000L;
		if (left.tv_sec < 0)
			break;
		siginfo_t info;
		int sig = sigtimedwait(&answers, &info, &left);
		if (sig < 0 && errno != EINTR)
			break;
		if (sig > 0 && info.si_pid == (pid_t)pid) {
			if (sig == SIGUSR1) {
				printf("negotiated: PID %ld reloaded its configuration\n", pid);
				return 0;
			}
			fprintf(stderr,
				"negotiated: --reload: the configuration does not load; PID %ld "
				"keeps serving the "
				"running one (its log names FILE:LINE: KEY)\n",
				pid);
			return 1;
		}
	}
	fprintf(stderr, "negotiated: --reload: PID %ld did not answer within %d s\n", pid,
		RELOAD_ASK_WAIT);
	return 1;
}

void reload_answer(const siginfo_t *info, int reload_rc)
{
	if (info->si_code == SI_QUEUE && info->si_value.sival_int == RELOAD_ASK_MARK &&
	    info->si_pid > 1)
		kill(info->si_pid, reload_rc == 0 ? SIGUSR1 : SIGUSR2);
}
