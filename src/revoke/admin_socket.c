/* SPDX-License-Identifier: Apache-2.0 */
/* The admin socket's thread: accept, check the peer (SO_PEERCRED), read one request line with a
 * timeout, answer, close. One connection at a time: an operator's command, not a request path. */
#include "revoke/admin_socket.h"

#include "core/buf.h"
#include "core/log.h"
#include "revoke/admin_ops.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_GROUPS 256 /* supplementary groups of a peer looked at */

struct admin_socket {
	int fd;
	int stop[2]; /* a pipe: written once to end the thread */
	pthread_t thread;
	struct revocations *list;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char group[64];
	bool have_group;
	gid_t gid;
	bool passed; /* systemd's socket: its file's mode admitted the peer */
};

static bool listed(const gid_t *groups, int n, gid_t gid)
{
	for (int i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

bool admin_peer_allowed(uid_t uid, gid_t gid, bool have_group, gid_t admin_gid)
{
	gid_t groups[MAX_GROUPS];
	int n = MAX_GROUPS;
	char buf[4096];
	struct passwd pw, *found = NULL;
	if (uid == 0)
		return true;
	if (!have_group)
		return false;
	if (gid == admin_gid)
		return true;
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || !found)
		return false;
	if (getgrouplist(found->pw_name, found->pw_gid, groups, &n) < 0)
		n = MAX_GROUPS; /* more than we look at: the first ones were filled */
	return listed(groups, n, admin_gid);
}

/* The peer process's own supplementary groups (SO_PEERGROUPS, Linux 4.13): what it holds now,
 * not what /etc/group says. -1 when the kernel cannot tell. */
static int peer_groups(int fd, gid_t *groups, int max)
{
	socklen_t len = (socklen_t)(max * (int)sizeof *groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return -1;
	return (int)(len / sizeof *groups);
}

/* Root, the admin group as the peer's primary or supplementary group (its process's), or, when
 * the kernel cannot list those, as /etc/group lists the peer's user. */
static bool peer_allowed(const struct admin_socket *s, int fd, const struct ucred *cred)
{
	gid_t groups[MAX_GROUPS];
	if (s->passed)
		return true; /* the kernel checked the file's owner/group/mode at connect() */
	int n = cred->uid && s->have_group ? peer_groups(fd, groups, MAX_GROUPS) : -1;
	if (n >= 0)
		return cred->gid == s->gid || listed(groups, n, s->gid);
	return admin_peer_allowed(cred->uid, cred->gid, s->have_group, s->gid);
}

/* "uid N (name)" for the audit trail. */
static void describe_peer(uid_t uid, char *out, size_t size)
{
	char buf[4096];
	struct passwd pw, *found = NULL;
	if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found)
		snprintf(out, size, "uid %u (%s)", (unsigned)uid, found->pw_name);
	else
		snprintf(out, size, "uid %u", (unsigned)uid);
}

static void send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		data += n, len -= (size_t)n;
	}
}

/* One request line into buf[ADMIN_MAX_REQUEST + 1]: its length, or -1 (timeout, too long, closed
 * before a newline). */
static long read_request(int fd, char *buf)
{
	size_t len = 0;
	while (len <= ADMIN_MAX_REQUEST) {
		ssize_t n = recv(fd, buf + len, ADMIN_MAX_REQUEST + 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		char *nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
		if (nl)
			return nl - buf;
	}
	return -1;
}

static void refuse_peer(struct admin_socket *s, int fd, const struct ucred *cred)
{
	char who[160], message[320];
	struct buf b = {0};
	describe_peer(cred->uid, who, sizeof who);
	snprintf(message, sizeof message,
		 "permission denied: %s is neither root nor a member of group '%s'", who,
		 s->have_group ? s->group : "(admin_group is not set)");
	log_warning("admin socket: refused %s (pid %d): not root nor in admin_group", who,
		    (int)cred->pid);
	buf_puts(&b, "{\"ok\":false,\"error\":");
	buf_json_string(&b, message);
	buf_puts(&b, "}\n");
	if (!b.failed)
		send_all(fd, b.data, b.len);
	buf_free(&b);
}

static void serve_one(struct admin_socket *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	struct timeval timeout = {ADMIN_SOCKET_TIMEOUT_MS / 1000, 0};
	char who[160];
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return;
	if (!peer_allowed(s, fd, &cred)) {
		refuse_peer(s, fd, &cred);
		return;
	}
	describe_peer(cred.uid, who, sizeof who);
	if (s->passed) /* seen through PrivateUsers=: a group member is nobody here */
		log_info("admin socket: %s (pid %d) connected, admitted by the socket file's mode",
			 who, (int)cred.pid);
	char *request = malloc(ADMIN_MAX_REQUEST + 1);
	long n = request ? read_request(fd, request) : -1;
	struct buf answer = {0};
	if (n >= 0)
		admin_handle(s->list, who, request, (size_t)n, &answer);
	else
		buf_puts(&answer, "{\"ok\":false,\"error\":\"no request line within the time and "
				  "size limits\"}");
	buf_puts(&answer, "\n");
	if (!answer.failed)
		send_all(fd, answer.data, answer.len);
	buf_free(&answer);
	free(request);
}

static void *run(void *arg)
{
	struct admin_socket *s = arg;
	struct pollfd fds[2] = {{s->fd, POLLIN, 0}, {s->stop[0], POLLIN, 0}};
	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (!(fds[0].revents & POLLIN))
			continue;
		int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve_one(s, fd);
		close(fd);
	}
	return NULL;
}

/* The socket at s->path: a stale socket is replaced, any other file is left alone. */
static int bind_socket(struct admin_socket *s, char *err, size_t err_len)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct stat st;
	if (lstat(s->path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		snprintf(err, err_len, "admin_socket: %s exists and is not a socket", s->path);
		return -1;
	}
	unlink(s->path);
	memcpy(addr.sun_path, s->path, strlen(s->path) + 1);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&addr, sizeof addr) < 0 ||
	    chmod(s->path, s->have_group ? 0660 : 0600) < 0 ||
	    (s->have_group && chown(s->path, (uid_t)-1, s->gid) < 0) || listen(s->fd, 16) < 0) {
		snprintf(err, err_len, "admin_socket: %s: %s", s->path, strerror(errno));
		return -1;
	}
	return 0;
}

static int find_group(struct admin_socket *s, const char *group, char *err, size_t err_len)
{
	char buf[4096];
	struct group gr, *found = NULL;
	if (!group)
		return 0;
	if (strlen(group) >= sizeof s->group || getgrnam_r(group, &gr, buf, sizeof buf, &found) ||
	    !found) {
		snprintf(err, err_len, "admin_group: no group named '%.64s' on this system", group);
		return -1;
	}
	snprintf(s->group, sizeof s->group, "%s", group);
	s->have_group = true;
	s->gid = found->gr_gid;
	return 0;
}

struct admin_socket *admin_socket_start(const char *path, const char *group,
					struct revocations *list, char *err, size_t err_len)
{
	struct admin_socket *s = calloc(1, sizeof *s);
	err[0] = '\0';
	if (!s) {
		snprintf(err, err_len, "admin_socket: out of memory");
		return NULL;
	}
	s->fd = s->stop[0] = s->stop[1] = -1;
	s->list = list;
	if (strlen(path) >= sizeof s->path) {
		snprintf(err, err_len, "admin_socket: the path is longer than %zu bytes",
			 sizeof s->path - 1);
		free(s);
		return NULL;
	}
	snprintf(s->path, sizeof s->path, "%s", path);
	if (find_group(s, group, err, err_len) < 0 || bind_socket(s, err, err_len) < 0 ||
	    pipe2(s->stop, O_CLOEXEC) < 0 || pthread_create(&s->thread, NULL, run, s) != 0) {
		if (!err[0])
			snprintf(err, err_len, "admin_socket: cannot start its thread");
		if (s->fd >= 0) {
			close(s->fd);
			unlink(s->path);
		}
		if (s->stop[0] >= 0)
			close(s->stop[0]), close(s->stop[1]);
		free(s);
		return NULL;
	}
	return s;
}

struct admin_socket *admin_socket_adopt(int fd, struct revocations *list, char *err, size_t err_len)
{
	struct admin_socket *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, err_len, "admin socket: out of memory");
		return NULL;
	}
	s->fd = fd;
	s->stop[0] = s->stop[1] = -1;
	s->list = list;
	s->passed = true;
	snprintf(s->path, sizeof s->path, "(the socket systemd passed)");
	if (pipe2(s->stop, O_CLOEXEC) < 0 || pthread_create(&s->thread, NULL, run, s) != 0) {
		snprintf(err, err_len, "admin socket: cannot start its thread");
		if (s->stop[0] >= 0)
			close(s->stop[0]), close(s->stop[1]);
		free(s);
		return NULL;
	}
	return s;
}

void admin_socket_stop(struct admin_socket *s)
{
	if (!s)
		return;
	if (write(s->stop[1], "x", 1) == 1)
		pthread_join(s->thread, NULL);
	close(s->stop[0]);
	close(s->stop[1]);
	close(s->fd);
	if (!s->passed)
		unlink(s->path);
	free(s);
}
