/* ward-helper-peer.h: who is on the other end of the helper's socket.
 *
 * Security rules (HACKING.md, helper invariants):
 *  1. The requesting uid is the socket peer's, never getuid() and never anything the peer writes.
 *  2. The peer's pid is pinned with pidfd_open(); its real and effective uid, read from
 *     /proc/PID/status, must both equal the SO_PEERCRED uid (polkit#686: a setuid program that
 *     connects has euid 0 but the real uid of its caller).
 *  3. The /proc files are trusted only if the pinned process is still alive after they were read
 *     and its start time did not change (so the pid was not recycled in between); a peer that has
 *     gone away is refused.
 *
 * Linux 6.1 has no SO_PEERPIDFD: between connect() and pidfd_open() the peer could exit and its pid
 * be reused. Rule 2 then compares the newcomer's uids with the connector's uid, so the worst case
 * is a refusal, or a response for the uid that really connected.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
  pid_t pid;
  uid_t uid;
  gid_t gid;
  int pidfd;                     /* -1 when not pinned */
  unsigned long long start_time; /* /proc/PID/stat field 22, clock ticks since boot */
} WardPeer;

#define WARD_PEER_INIT { .pid = 0, .uid = (uid_t) -1, .gid = (gid_t) -1, .pidfd = -1 }

/* Fills @peer from the connected AF_UNIX socket @sock and checks rules 1-3. Returns false with
 * *@reason set (a static string, safe for syslog) on any failure. */
bool ward_peer_verify (int sock, WardPeer *peer, const char **reason);

/* Rule 3 again, just before the peer's uid is vouched for to polkitd. */
bool ward_peer_still_there (const WardPeer *peer, const char **reason);

void ward_peer_clear (WardPeer *peer);

/* Pure parsers, exposed for tests: field 22 of /proc/PID/stat, and the real and effective uid
 * from /proc/PID/status. */
bool ward_peer_parse_stat_start_time (const char *stat, size_t len, unsigned long long *out);
bool ward_peer_parse_status_uids (const char *status, size_t len, uid_t *ruid, uid_t *euid);
