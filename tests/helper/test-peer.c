/* ward-helper's peer checks: the /proc parsers, and verification of real peers. */
#define _GNU_SOURCE 1
#include "config.h"

#include <sys/socket.h>
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

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/peer/parse-stat", test_stat);
  g_test_add_func ("/peer/parse-status", test_status);
  g_test_add_func ("/peer/verify-self", test_verify_self);
  g_test_add_func ("/peer/verify-gone", test_verify_gone);
  return g_test_run ();
}
