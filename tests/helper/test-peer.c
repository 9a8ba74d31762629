/* ward-helper's peer checks: the /proc parsers, and verification of real peers. */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "ward-helper-peer.h"

static void
test_stat (void)
{
  /* comm may contain spaces and ')' */
  const char stat[] = "1234 (a) b (c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
                      "987654 1000 100 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0\n";
  unsigned long long start = 0;

  g_assert_true (ward_peer_parse_stat_start_time (stat, strlen (stat), &start));
  g_assert_cmpuint (start, ==, 987654);
  g_assert_false (ward_peer_parse_stat_start_time ("1234 (x) S 1 2", strlen ("1234 (x) S 1 2"),
                                                   &start));
  g_assert_false (ward_peer_parse_stat_start_time ("no paren", strlen ("no paren"), &start));
  g_assert_false (ward_peer_parse_stat_start_time ("", 0, &start));
}

static void
test_status (void)
{
  const char status[] = "Name:\tx\nUmask:\t0022\nState:\tS\nUid:\t1000\t0\t0\t0\nGid:\t1\t1\t1\t1\n";
  const char bad[] = "Name:\tx\nUid:\t1000 0\n";
  uid_t r = 0, e = 0;

  g_assert_true (ward_peer_parse_status_uids (status, strlen (status), &r, &e));
  g_assert_cmpuint (r, ==, 1000);
  g_assert_cmpuint (e, ==, 0);
  g_assert_false (ward_peer_parse_status_uids (bad, strlen (bad), &r, &e));
  const char *odd[] = { "Name:\tUid:\t1\t2\t", "Uid:\t4294967295\t1\t1\t1\n", "Uid:\t1\t", "" };

  for (gsize i = 0; i < G_N_ELEMENTS (odd); i++)
    g_assert_false (ward_peer_parse_status_uids (odd[i], strlen (odd[i]), &r, &e));
}

static void
test_verify_self (void)
{
  WardPeer peer = WARD_PEER_INIT;
  const char *reason = NULL;
  int pair[2];

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
  g_assert_true (ward_peer_verify (pair[0], &peer, &reason));
  g_assert_cmpint (peer.pid, ==, getpid ());
  g_assert_cmpuint (peer.uid, ==, getuid ());
  g_assert_true (ward_peer_still_there (&peer, &reason));
  ward_peer_clear (&peer);
  close (pair[0]);
  close (pair[1]);
}

static void
test_verify_gone (void)
{
  WardPeer peer = WARD_PEER_INIT;
  const char *reason = NULL;
  int pair[2];
  pid_t child;
  int status;

  /* The child creates the pair, so SO_PEERCRED names it; then it exits and is reaped. */
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      int p2[2];
      if (socketpair (AF_UNIX, SOCK_STREAM, 0, p2) != 0)
        _exit (1);
      /* Pass our end to the parent over the first pair. */
      char byte = 0;
      struct iovec iov = { &byte, 1 };
      char cbuf[CMSG_SPACE (sizeof (int))] = { 0 };
      struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                            .msg_controllen = sizeof cbuf };
      struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &p2[1], sizeof (int));
      _exit (sendmsg (pair[1], &msg, 0) == 1 ? 0 : 1);
    }
  close (pair[1]);
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  {
    char byte;
    struct iovec iov = { &byte, 1 };
    char cbuf[CMSG_SPACE (sizeof (int))];
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                          .msg_controllen = sizeof cbuf };
    int fd;

    g_assert_cmpint (recvmsg (pair[0], &msg, 0), ==, 1);
    memcpy (&fd, CMSG_DATA (CMSG_FIRSTHDR (&msg)), sizeof (int));
    /* fd's peer is the child's other end: created by the child, which is gone. */
    g_assert_false (ward_peer_verify (fd, &peer, &reason));
    g_assert_nonnull (strstr (reason, "gone"));
    ward_peer_clear (&peer);
    close (fd);
  }
  close (pair[0]);
}

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

static gboolean
kernel_has_peerpidfd (void)
{
  int pair[2], pidfd = -1;
  socklen_t len = sizeof pidfd;
  gboolean has;

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
  has = getsockopt (pair[0], SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) == 0;
  if (has)
    close (pidfd);
  else
    g_assert_cmpint (errno, ==, ENOPROTOOPT);
  close (pair[0]);
  close (pair[1]);
  return has;
}

/* Rule 4: where the kernel has SO_PEERPIDFD, the pin comes from the socket; the old path
 * (pidfd_open of the SO_PEERCRED pid) still works. */
static void
test_verify_paths (void)
{
  for (int use = 0; use <= 1; use++)
    {
      WardPeer peer = WARD_PEER_INIT;
      const char *reason = NULL;
      int pair[2];

      g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
      g_assert_true (ward_peer_verify_with (pair[0], &peer, use, &reason));
      g_assert_cmpint (peer.pid, ==, getpid ());
      g_assert_cmpint (peer.pidfd, >=, 0);
      g_assert_cmpint (peer.pinned_by_socket, ==, use && kernel_has_peerpidfd ());
      g_assert_cmpint (fcntl (peer.pidfd, F_GETFD) & FD_CLOEXEC, !=, 0);
      g_assert_true (ward_peer_still_there (&peer, &reason));
      ward_peer_clear (&peer);
      close (pair[0]);
      close (pair[1]);
    }
}

/* The pid-reuse scenario of issue 16, item 7, run as PID 1 of a new PID namespace (so the next
 * pid can be chosen through ns_last_pid): a setuid-root-like peer (real uid nobody, effective
 * uid 0) connects and exits; a root process is then given its pid. Exit status: 0 as expected,
 * 77 when the scenario cannot be set up here, anything else a failure. */
static int
pid_reuse_scenario (void)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  WardPeer peer = WARD_PEER_INIT;
  const char *reason = NULL;
  pid_t connector, newcomer;
  int listener, conn, status, hold[2];
  FILE *last;

  if (mount ("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
      mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
    return 77;
  /* Abstract address: nothing on disk. */
  snprintf (addr.sun_path + 1, sizeof addr.sun_path - 1, "ward-test-peer-%d", (int) getppid ());
  listener = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0 || bind (listener, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      listen (listener, 1) != 0)
    return 10;

  connector = fork ();
  if (connector < 0)
    return 11;
  if (connector == 0)
    {
      int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      /* A setuid-root program's credentials: SO_PEERCRED will say uid 0. */
      if (setresuid (65534, 0, 0) != 0 ||
          connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0)
        _exit (1);
      _exit (0);
    }
  if (waitpid (connector, &status, 0) != connector || !WIFEXITED (status) ||
      WEXITSTATUS (status) != 0)
    return 12;
  conn = accept4 (listener, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    return 13;

  /* The connector is reaped; a root process now gets its pid. */
  last = fopen ("/proc/sys/kernel/ns_last_pid", "w");
  if (last == NULL)
    return 77;
  fprintf (last, "%d", (int) connector - 1);
  if (fclose (last) != 0 || pipe2 (hold, O_CLOEXEC) != 0)
    return 77;
  newcomer = fork ();
  if (newcomer < 0)
    return 14;
  if (newcomer == 0)
    {
      char byte;
      close (hold[1]);
      _exit (read (hold[0], &byte, 1) < 0);
    }
  close (hold[0]);
  if (newcomer != connector)
    return 77;

  /* The old path cannot tell: it pins the newcomer, whose uids are 0 like the connector's
   * SO_PEERCRED uid. The socket's own pidfd names the connector, which has gone away. */
  if (!ward_peer_verify_with (conn, &peer, false, &reason) || peer.uid != 0)
    return 20;
  ward_peer_clear (&peer);
  peer = (WardPeer) WARD_PEER_INIT;
  reason = NULL;
  if (ward_peer_verify (conn, &peer, &reason))
    return 21;
  if (reason == NULL || strstr (reason, "gone") == NULL)
    return 22;
  ward_peer_clear (&peer);

  close (hold[1]);
  waitpid (newcomer, &status, 0);
  return 0;
}

static void
test_verify_pid_reused (void)
{
  pid_t child;
  int status;

  if (getuid () != 0)
    {
      g_test_skip ("needs root (a PID namespace and ns_last_pid)");
      return;
    }
  if (!kernel_has_peerpidfd ())
    {
      g_test_skip ("the kernel has no SO_PEERPIDFD (Linux < 6.5): the old path's window stays");
      return;
    }
  child = fork ();
  g_assert_cmpint (child, >=, 0);
  if (child == 0)
    {
      pid_t init;

      if (unshare (CLONE_NEWPID | CLONE_NEWNS) != 0)
        _exit (77);
      init = fork ();
      if (init < 0)
        _exit (77);
      if (init == 0)
        _exit (pid_reuse_scenario ());
      if (waitpid (init, &status, 0) != init || !WIFEXITED (status))
        _exit (99);
      _exit (WEXITSTATUS (status));
    }
  g_assert_cmpint (waitpid (child, &status, 0), ==, child);
  g_assert_true (WIFEXITED (status));
  if (WEXITSTATUS (status) == 77)
    {
      g_test_skip ("cannot set up a PID namespace with a chosen pid here");
      return;
    }
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/peer/parse-stat", test_stat);
  g_test_add_func ("/peer/parse-status", test_status);
  g_test_add_func ("/peer/verify-self", test_verify_self);
  g_test_add_func ("/peer/verify-gone", test_verify_gone);
  g_test_add_func ("/peer/verify-paths", test_verify_paths);
  g_test_add_func ("/peer/verify-pid-reused", test_verify_pid_reused);
  return g_test_run ();
}
