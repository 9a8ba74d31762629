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
 *  4. The pin is the socket's own: SO_PEERPIDFD (Linux >= 6.5) gives a pidfd for the very process
 *     that connected, so a peer that has exited is refused whoever holds its pid now. Only a
 *     kernel that does not know the option (ENOPROTOOPT) makes the helper fall back to
 *     pidfd_open() of the SO_PEERCRED pid; any other error is a refusal, never a fallback.
 *
 * The fallback (Linux < 6.5, Debian 12's 6.1) has a window: between connect() and pidfd_open()
 * the peer can exit and its pid be reused, and rule 2 then checks the newcomer. A newcomer of
 * another uid is refused; one with the connector's uid passes, and the helper vouches for that
 * uid. For an ordinary peer that is the uid that connected anyway. For a setuid-root connector
 * (SO_PEERCRED says uid 0, rule 2 would refuse it) whose pid is taken over by a process whose
 * real and effective uids are 0, the checks pass and the helper would vouch for uid 0 on behalf
 * of whoever now holds the connection (polkitd then still accepts it only with a cookie it
 * issued to an agent of uid 0). SO_PEERPIDFD closes that window.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
  pid_t pid;
  uid_t uid;
  gid_t gid;
  int pidfd;                     /* -1 when not pinned */
  bool pinned_by_socket;         /* the pidfd came from SO_PEERPIDFD (rule 4) */
  unsigned long long start_time; /* /proc/PID/stat field 22, clock ticks since boot */
} WardPeer;

#define WARD_PEER_INIT { .pid = 0, .uid = (uid_t) -1, .gid = (gid_t) -1, .pidfd = -1 }

/* Fills @peer from the connected AF_UNIX socket @sock and checks rules 1-4. Returns false with
 * *@reason set (a static string, safe for syslog) on any failure. */
bool ward_peer_verify (int sock, WardPeer *peer, const char **reason);

/* ward_peer_verify(), with SO_PEERPIDFD or, when @use_socket_pidfd is false, the path of kernels
 * without it (for tests). */
bool ward_peer_verify_with (int sock, WardPeer *peer, bool use_socket_pidfd, const char **reason);

/* Rule 3 again, just before the peer's uid is vouched for to polkitd. */
bool ward_peer_still_there (const WardPeer *peer, const char **reason);

void ward_peer_clear (WardPeer *peer);

/* Pure parsers, exposed for tests: field 22 of /proc/PID/stat, and the real and effective uid
 * from /proc/PID/status. */
bool ward_peer_parse_stat_start_time (const char *stat, size_t len, unsigned long long *out);
bool ward_peer_parse_status_uids (const char *status, size_t len, uid_t *ruid, uid_t *euid);
