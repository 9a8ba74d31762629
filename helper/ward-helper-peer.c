/* memrchr, secure_getenv, struct ucred */
#define _GNU_SOURCE 1
#include "config.h"

#include "ward-helper-peer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
/* Linux 6.5; glibc 2.36's headers do not have it yet. */
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

/* /proc/PID/stat and /proc/PID/status are both far below this on Linux 6.1. */
#define PROC_FILE_MAX 8192

static ssize_t
read_proc_file (pid_t pid, const char *name, char *buf, size_t size)
{
  char path[64];
  size_t total = 0;
  int fd;

  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, name);
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -1;

  while (total < size - 1)
    {
      ssize_t n = read (fd, buf + total, size - 1 - total);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          close (fd);
          return -1;
        }
      if (n == 0)
        break;
      total += (size_t) n;
    }
  close (fd);

  /* A file that filled the buffer is not one we understand. */
  if (total == size - 1)
    return -1;
  buf[total] = '\0';
  return (ssize_t) total;
}

static bool
parse_ull (const char *p, const char *end, unsigned long long *out, const char **next)
{
  unsigned long long v = 0;
  const char *start = p;

  while (p < end && *p >= '0' && *p <= '9')
    {
      unsigned digit = (unsigned) (*p - '0');
      if (v > (ULLONG_MAX - digit) / 10)
        return false;
      v = v * 10 + digit;
      p++;
    }
  if (p == start)
    return false;
  *out = v;
  *next = p;
  return true;
}

bool
ward_peer_parse_stat_start_time (const char *stat, size_t len, unsigned long long *out)
{
  const char *end = stat + len;
  const char *p;
  int field;

  /* comm (field 2) may hold spaces and parentheses: the last ')' ends it. */
  p = memrchr (stat, ')', len);
  if (p == NULL)
    return false;
  p++;

  /* Fields 3..21 are skipped; field 22 is the start time. */
  for (field = 3; field <= 22; field++)
    {
      if (p >= end || *p != ' ')
        return false;
      p++;
      if (field == 22)
        {
          const char *next;
          return parse_ull (p, end, out, &next) && (next == end || *next == ' ' || *next == '\n');
        }
      while (p < end && *p != ' ')
        p++;
    }
  return false;
}

bool
ward_peer_parse_status_uids (const char *status, size_t len, uid_t *ruid, uid_t *euid)
{
  const char *end = status + len;
  const char *p = status;
  unsigned long long r, e;
  const char *next;

  /* The line is "Uid:\t<real>\t<effective>\t<saved>\t<fs>". */
  for (;;)
    {
      if ((size_t) (end - p) >= 5 && memcmp (p, "Uid:\t", 5) == 0)
        break;
      p = memchr (p, '\n', (size_t) (end - p));
      if (p == NULL)
        return false;
      p++;
    }
  p += 5;
  if (!parse_ull (p, end, &r, &next) || next >= end || *next != '\t')
    return false;
  p = next + 1;
  if (!parse_ull (p, end, &e, &next) || next >= end || *next != '\t')
    return false;
  if (r >= (uid_t) -1 || e >= (uid_t) -1)
    return false;
  *ruid = (uid_t) r;
  *euid = (uid_t) e;
  return true;
}

static bool
read_start_time (pid_t pid, unsigned long long *out)
{
  char buf[PROC_FILE_MAX];
  ssize_t n = read_proc_file (pid, "stat", buf, sizeof buf);

  return n > 0 && ward_peer_parse_stat_start_time (buf, (size_t) n, out);
}

static bool
pidfd_alive (int pidfd)
{
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  int r;

  /* A pidfd becomes readable when its process exits. */
  do
    r = poll (&p, 1, 0);
  while (r < 0 && errno == EINTR);
  return r == 0;
}

/* Rule 4: a pidfd for the process that connected, from the socket itself where the kernel can
 * give one. Returns -1 with *@reason set. */
static int
pin_peer (int sock, pid_t pid, bool use_socket_pidfd, bool *by_socket, const char **reason)
{
  int pidfd = -1;

  *by_socket = false;
  if (use_socket_pidfd)
    {
      socklen_t len = sizeof pidfd;

      if (getsockopt (sock, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0 && len == sizeof pidfd &&
          pidfd >= 0)
        {
          *by_socket = true;
          return pidfd;
        }
      /* The kernel knows the option but has no process for it: the peer is gone (reaped), or
       * was never visible. Falling back to its pid now would pin whoever has it since. */
      if (errno != ENOPROTOOPT)
        {
          *reason = "the peer has gone away (no pidfd for the connecting process)";
          return -1;
        }
    }

  pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0)
    *reason = errno == ESRCH ? "the peer has gone away" : "cannot pin the peer (pidfd_open)";
  return pidfd;
}

bool
ward_peer_verify (int sock, WardPeer *peer, const char **reason)
{
  return ward_peer_verify_with (sock, peer, true, reason);
}

bool
ward_peer_verify_with (int sock, WardPeer *peer, bool use_socket_pidfd, const char **reason)
{
  struct ucred cred;
  socklen_t cred_len = sizeof cred;
  char status[PROC_FILE_MAX];
  unsigned long long start_before, start_after;
  uid_t ruid, euid;
  ssize_t n;

  if (getsockopt (sock, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) != 0 || cred_len != sizeof cred)
    {
      *reason = "cannot read the peer's credentials";
      return false;
    }
  if (cred.pid <= 0 || cred.uid == (uid_t) -1)
    {
      *reason = "the peer's credentials are unknown";
      return false;
    }
  peer->pid = cred.pid;
  peer->uid = cred.uid;
  peer->gid = cred.gid;

  peer->pidfd = pin_peer (sock, cred.pid, use_socket_pidfd, &peer->pinned_by_socket, reason);
  if (peer->pidfd < 0)
    return false;
  /* Newer kernels give a pidfd for a connector that has already exited. */
  if (!pidfd_alive (peer->pidfd))
    {
      *reason = "the peer has gone away";
      return false;
    }

  if (!read_start_time (peer->pid, &start_before))
    {
      *reason = "cannot read the peer's start time";
      return false;
    }
  n = read_proc_file (peer->pid, "status", status, sizeof status);
  if (n <= 0 || !ward_peer_parse_status_uids (status, (size_t) n, &ruid, &euid))
    {
      *reason = "cannot read the peer's uids";
      return false;
    }
  if (!read_start_time (peer->pid, &start_after) || start_after != start_before)
    {
      *reason = "the peer's pid changed hands";
      return false;
    }
  /* Only now do the /proc reads belong to the pinned process: it is alive, so its pid is its own. */
  if (!pidfd_alive (peer->pidfd))
    {
      *reason = "the peer has gone away";
      return false;
    }
  if (ruid != cred.uid || euid != cred.uid)
    {
      *reason = "the peer's real and effective uids do not match its socket credentials";
      return false;
    }

  peer->start_time = start_before;
  return true;
}

bool
ward_peer_still_there (const WardPeer *peer, const char **reason)
{
  unsigned long long start;

  if (peer->pidfd < 0 || !pidfd_alive (peer->pidfd))
    {
      *reason = "the peer has gone away";
      return false;
    }
  if (!read_start_time (peer->pid, &start) || start != peer->start_time)
    {
      *reason = "the peer's pid changed hands";
      return false;
    }
  return true;
}

void
ward_peer_clear (WardPeer *peer)
{
  if (peer->pidfd >= 0)
    close (peer->pidfd);
  peer->pidfd = -1;
}
