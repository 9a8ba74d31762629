/* ward-helper: the authentication helper, one instance per agent connection.
 *
 * Started by systemd for each connection to ward-helper.socket (Accept=yes): the connection is
 * fd 3 with LISTEN_FDS=1 (what the unit and `systemd-socket-activate --accept` give), or stdin
 * when it is a connected AF_UNIX stream socket (a unit with StandardInput=socket). It speaks
 * polkit's helper protocol (common/ward-wire.h): the agent writes the user name line and the cookie
 * line, the helper runs the PAM conversation, reports to polkitd and writes SUCCESS or FAILURE.
 * Exit status: 0 authenticated, 2 authentication failed, 1 anything else.
 *
 * The code is a straight line of checks, each failing to the one exit path (as doas does).
 *
 * Security rules (HACKING.md, helper invariants):
 *  H1. The requesting uid sent to polkitd is the verified socket peer's (ward-helper-peer.h),
 *      never getuid(), never anything read from the socket.
 *  H2. Every read is bounded: WARD_WIRE_MAX_LINE bytes per line, READ_TIMEOUT per read, DEADLINE
 *      for the whole instance, PAM_MAX_NUM_MSG messages per conversation call and MAX_MESSAGES in
 *      all. Anything odd ends the instance: pam_end, FAILURE, exit 1.
 *  H3. Replies live in a WardSecret; the malloc()ed copy PAM requires is handed over or wiped.
 *      Nothing secret (replies, cookie) is logged.
 *  H4. PR_SET_DUMPABLE 0, no core files, umask 077, the environment cleared except
 *      LANG/LANGUAGE/LC_MESSAGES; variables are read with secure_getenv().
 *  H5. Test knobs (WARD_HELPER_READ_TIMEOUT_MS, WARD_HELPER_DEADLINE_MS,
 *      WARD_HELPER_REQUEST_TIMEOUT_MS, WARD_HELPER_RUNTIME_DIR, DBUS_SYSTEM_BUS_ADDRESS,
 *      PAM_WRAPPER*) are honoured only when the helper runs without any privilege (real and effective uid not 0,
 *      not AT_SECURE): then it can vouch for nothing, and polkitd ignores it anyway.
 *  H6. The user name and the cookie are checked (ward_wire_check_user_name/_cookie: UTF-8, no
 *      control characters, polkit's cookie characters, length) before PAM or polkitd sees them;
 *      anything else is FAILURE at once, without a prompt, without a call to polkitd.
 *  H7. No uid holds more than MAX_PER_UID instances at once: before anything else is done for a
 *      connection, the instance takes one of its peer uid's slots (an OFD lock on one byte of
 *      WARD_HELPER_RUNTIME_DIR/UID, released by the kernel when the instance exits); when all
 *      are held it closes the connection without a word, as systemd does when MaxConnections=
 *      is reached, so that agents move on to the next helper.
 *  H8. A connection that has not delivered its user name and cookie lines REQUEST_TIMEOUT after
 *      the instance started is closed without a word: idle connections hold a slot for seconds,
 *      not minutes. (An agent's connection prepared ahead of its request is such a connection:
 *      it is replaced unnoticed when it was dropped.)
 *  H9. PAM is prepared (pam_start with no user: the stack parsed, its modules loaded) after the
 *      peer is verified and before the request is read, so that a connection made ahead of
 *      the request finds the helper ready; PAM_USER is set, and any module runs, only once the
 *      request has been read and checked (H6). The slot (H7), the request timeout (H8) and the
 *      deadline (H2) hold for a prepared instance exactly as for any other.
 */
/* memrchr, secure_getenv, struct ucred */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "ward-helper-line.h"
#include "ward-helper-peer.h"
#include "ward-secret.h"
#include "ward-wire.h"

/* A person types a password, or touches a fingerprint reader, within a minute. */
#define READ_TIMEOUT_MS (60 * 1000)
/* The unit's RuntimeMaxSec= is a little longer and ends an instance stuck inside a PAM module. */
#define DEADLINE_MS (180 * 1000)
/* A sane PAM stack sends a handful; pam_chatty-style floods end the instance. */
#define MAX_MESSAGES 256
/* Agents write the user name and the cookie as soon as they are connected, or, for a connection
 * prepared ahead of the request, when polkitd's request comes (milliseconds after a systemd tool
 * started the agent). */
#define REQUEST_TIMEOUT_MS (10 * 1000)
/* An agent serves one request at a time with one connection; a user runs a few agents. The
 * socket's MaxConnections= (64) is eight times this, and MaxConnectionsPerSource= (systemd >= 256)
 * says the same to systemd. */
#define MAX_PER_UID 8

#define EXIT_AUTH_FAILED 2
#define SYSTEM_BUS_ADDRESS "unix:path=/run/dbus/system_bus_socket"

typedef struct {
  int fd;
  gint64 deadline;      /* monotonic, microseconds */
  int read_timeout_ms;
  unsigned messages;    /* PAM messages seen so far */
  bool failed;          /* the agent misbehaved or left: the conversation is over */
  bool dead;            /* the connection is unusable: not even FAILURE can be written */
  bool timed_out;       /* a wait ran out (read timeout or deadline) */
} Conn;

static gint64
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static int
wait_ms (const Conn *conn)
{
  gint64 left = (conn->deadline - now_us ()) / 1000;

  if (left <= 0)
    return 0;
  return left < conn->read_timeout_ms ? (int) left : conn->read_timeout_ms;
}

static bool
wait_for (Conn *conn, short events)
{
  for (;;)
    {
      struct pollfd p = { .fd = conn->fd, .events = events };
      int timeout = wait_ms (conn);
      int r;

      if (timeout <= 0)
        {
          syslog (LOG_NOTICE, "the agent took too long");
          conn->timed_out = true;
          return false;
        }
      r = poll (&p, 1, timeout);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return false;
      if (r == 0)
        {
          syslog (LOG_NOTICE, "the agent stalled");
          conn->timed_out = true;
          return false;
        }
      return true;
    }
}

static bool
write_all (Conn *conn, const char *data, size_t len)
{
  if (conn->dead)
    return false;
  while (len > 0)
    {
      ssize_t n;

      if (!wait_for (conn, POLLOUT))
        goto broken;
      n = send (conn->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n <= 0)
        goto broken;
      data += n;
      len -= (size_t) n;
    }
  return true;

broken:
  conn->failed = conn->dead = true;
  return false;
}

static bool
send_message (Conn *conn, WardWireKind kind, const char *text)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = ward_wire_encode (kind, text != NULL ? text : "", &error);

  if (line == NULL)
    {
      syslog (LOG_NOTICE, "a PAM message does not fit in a line: %s", error->message);
      return false;
    }
  return write_all (conn, line, strlen (line));
}

/* Reads one line, without its '\n', into @line. Anything that is not a plain line of at most
 * WARD_WIRE_MAX_LINE bytes (ward_helper_line_feed() decides), in time, breaks the connection.
 * One byte per read(2): nothing beyond the line is ever buffered outside the secret. */
static bool
read_line (Conn *conn, WardSecret *line)
{
  ward_secret_clear (line);
  if (conn->failed)
    return false;

  for (;;)
    {
      WardHelperLineStatus status;
      char c = 0;
      ssize_t n;

      /* A stalled agent may still read FAILURE: refused, not broken. */
      if (!wait_for (conn, POLLIN))
        goto refused;
      n = read (conn->fd, &c, 1);
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        continue;
      if (n < 0)
        {
          syslog (LOG_NOTICE, "reading from the agent failed: %m");
          goto broken;
        }
      if (n == 0)
        {
          syslog (LOG_NOTICE, "the agent went away mid-line or mid-conversation");
          goto broken;
        }
      status = ward_helper_line_feed (line, c);
      explicit_bzero (&c, sizeof c);
      switch (status)
        {
        case WARD_HELPER_LINE_MORE:
          continue;
        case WARD_HELPER_LINE_END:
          return true;
        case WARD_HELPER_LINE_NUL:
          syslog (LOG_NOTICE, "the agent sent a NUL byte");
          goto refused;
        case WARD_HELPER_LINE_TOO_LONG:
        default:
          syslog (LOG_NOTICE, "the agent sent an oversized line");
          goto refused;
        }
    }

broken:
  conn->dead = true;
refused:
  conn->failed = true;
  ward_secret_clear (line);
  return false;
}

static void
free_responses (struct pam_response *resp, int n)
{
  for (int i = 0; i < n; i++)
    {
      if (resp[i].resp != NULL)
        {
          explicit_bzero (resp[i].resp, strlen (resp[i].resp));
          free (resp[i].resp);
        }
    }
  explicit_bzero (resp, (size_t) n * sizeof *resp);
  free (resp);
}

static int
conversation (int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
  Conn *conn = data;
  g_autoptr(WardSecret) reply = ward_secret_new (WARD_WIRE_MAX_LINE);
  struct pam_response *aresp;

  *resp = NULL;
  if (conn->failed)
    return PAM_CONV_ERR;
  conn->messages += n > 0 ? (unsigned) n : 0;
  if (n <= 0 || n > PAM_MAX_NUM_MSG || conn->messages > MAX_MESSAGES)
    {
      syslog (LOG_NOTICE, "the PAM stack sent too many messages");
      conn->failed = true;
      return PAM_CONV_ERR;
    }

  aresp = calloc ((size_t) n, sizeof *aresp);
  if (aresp == NULL)
    return PAM_BUF_ERR;

  for (int i = 0; i < n; i++)
    {
      const char *text = msg[i]->msg;

      switch (msg[i]->msg_style)
        {
        case PAM_PROMPT_ECHO_OFF:
        case PAM_PROMPT_ECHO_ON:
          if (!send_message (conn, msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ?
                                     WARD_WIRE_PROMPT_ECHO_OFF : WARD_WIRE_PROMPT_ECHO_ON, text))
            goto error;
          if (!read_line (conn, reply))
            goto error;
          /* PAM's API wants malloc()ed replies it frees itself: the one copy outside a
           * WardSecret, wiped by us on error and by the modules (pam_unix overwrites) after. */
          aresp[i].resp = malloc (ward_secret_len (reply) + 1);
          if (aresp[i].resp == NULL)
            goto error;
          memcpy (aresp[i].resp, ward_secret_get (reply), ward_secret_len (reply) + 1);
          ward_secret_clear (reply);
          break;

        case PAM_ERROR_MSG:
          if (!send_message (conn, WARD_WIRE_ERROR_MSG, text))
            goto error;
          break;

        case PAM_TEXT_INFO:
          if (!send_message (conn, WARD_WIRE_TEXT_INFO, text))
            goto error;
          break;

        default:
          syslog (LOG_NOTICE, "unsupported PAM message style %d", msg[i]->msg_style);
          goto error;
        }
    }

  *resp = aresp;
  return PAM_SUCCESS;

error:
  conn->failed = true;
  free_responses (aresp, n);
  return PAM_CONV_ERR;
}

/* The connection: fd 3 when systemd (or systemd-socket-activate) passed exactly one fd to this
 * very process, else stdin. Either must be a connected AF_UNIX stream socket. */
static int
find_connection (void)
{
  const char *fds = secure_getenv ("LISTEN_FDS");
  const char *pid = secure_getenv ("LISTEN_PID");
  int fd = STDIN_FILENO;
  int domain = 0, type = 0;
  socklen_t len = sizeof domain;

  if (fds != NULL && pid != NULL)
    {
      char *end = NULL;
      long listen_pid = strtol (pid, &end, 10);

      if (end == pid || *end != '\0' || listen_pid != (long) getpid () || strcmp (fds, "1") != 0)
        return -1;
      fd = 3;
    }

  if (getsockopt (fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 || domain != AF_UNIX)
    return -1;
  len = sizeof type;
  if (getsockopt (fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
    return -1;
  return fd;
}

/* H7: takes one of @uid's MAX_PER_UID slots in @dir. Returns the open slot file, which holds the
 * slot until this process exits; -2 when the uid holds every slot; -1 when the slots cannot be
 * used (logged; the instance then goes on without the bound rather than refuse everyone). */
static int
take_uid_slot (const char *dir, uid_t uid)
{
  char name[16];
  struct stat st;
  int dfd, fd;

  if (mkdir (dir, 0700) != 0 && errno != EEXIST)
    goto error;
  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    goto error;
  /* Only a folder of ours that nobody else may write holds the counts. */
  if (fstat (dfd, &st) != 0 || st.st_uid != geteuid () || (st.st_mode & 0022) != 0)
    {
      close (dfd);
      errno = EPERM;
      goto error;
    }
  snprintf (name, sizeof name, "%u", (unsigned) uid);
  fd = openat (dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  close (dfd);
  if (fd < 0)
    goto error;

  for (int k = 0; k < MAX_PER_UID; k++)
    {
      struct flock slot = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = k, .l_len = 1 };

      if (fcntl (fd, F_OFD_SETLK, &slot) == 0)
        return fd;
      if (errno != EAGAIN && errno != EACCES)
        {
          close (fd);
          goto error;
        }
    }
  close (fd);
  return -2;

error:
  syslog (LOG_WARNING, "cannot count uid %u's helper instances in %s (%m); going on without "
          "the per-uid bound", (unsigned) uid, dir);
  return -1;
}

static int
knob_ms (bool privileged, const char *name, int fallback)
{
  const char *value;
  char *end = NULL;
  long v;

  if (privileged || (value = secure_getenv (name)) == NULL)
    return fallback;
  v = strtol (value, &end, 10);
  if (end == value || *end != '\0' || v <= 0 || v > fallback)
    return fallback;
  return (int) v;
}

static bool
report_to_polkitd (const char *address, uid_t agent_uid, const char *cookie, uid_t user_uid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) result = NULL;
  GVariantBuilder details;

  bus = g_dbus_connection_new_for_address_sync (address,
                                                G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                NULL, NULL, &error);
  if (bus == NULL)
    {
      syslog (LOG_ERR, "cannot reach the system bus: %s", error->message);
      return false;
    }

  g_variant_builder_init (&details, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&details, "{sv}", "uid", g_variant_new_uint32 ((guint32) user_uid));
  result = g_dbus_connection_call_sync (bus, "org.freedesktop.PolicyKit1",
                                        "/org/freedesktop/PolicyKit1/Authority",
                                        "org.freedesktop.PolicyKit1.Authority",
                                        "AuthenticationAgentResponse2",
                                        g_variant_new ("(us(sa{sv}))", (guint32) agent_uid, cookie,
                                                       "unix-user", &details),
                                        G_VARIANT_TYPE_UNIT, G_DBUS_CALL_FLAGS_NO_AUTO_START,
                                        25 * 1000, NULL, &error);
  if (result == NULL)
    {
      syslog (LOG_NOTICE, "polkitd refused the response: %s", error->message);
      return false;
    }
  return true;
}

static void
usage (FILE *out)
{
  fprintf (out, _("Usage: %s\n"
                  "\n"
                  "Authenticates a user for polkit on behalf of the agent connected to its socket.\n"
                  "Started by systemd through ward-helper.socket; not meant to be run by hand.\n"),
           "ward-helper");
}

/* Whether fd 2 is the journal's stream of this service: systemd sets JOURNAL_STREAM to its
 * "device:inode" (systemd.exec(5)). */
static bool
stderr_is_journal (void)
{
  const char *stream = secure_getenv ("JOURNAL_STREAM");
  unsigned long long dev, ino;
  struct stat st;

  if (stream == NULL || sscanf (stream, "%llu:%llu", &dev, &ino) != 2)
    return false;
  if (fstat (STDERR_FILENO, &st) != 0)
    return false;
  return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

int
main (int argc, char *argv[])
{
  /* The locale, like polkit's helper; then, only without privilege (H5), what pam_wrapper reads
   * lazily in tests. */
  const char *keep[] = { "LANG", "LANGUAGE", "LC_MESSAGES",
                         "PAM_WRAPPER", "PAM_WRAPPER_SERVICE_DIR", "PAM_WRAPPER_DEBUGLEVEL",
                         /* pam_wrapper 1.1.4's spelling of PAM_WRAPPER_DISABLE_DEEPBIND */
                         "PAM_WRAPPER_DISABLE_DEEPBIND", "UID_WRAPPER_DISABLE_DEEPBIND" };
  const size_t n_locale = 3;
  char *kept[G_N_ELEMENTS (keep)] = { NULL, };
  g_autofree char *bus_address = NULL;
  g_autofree char *runtime_dir = NULL;
  g_autofree char *user = NULL;
  g_autofree char *cookie = NULL;
  g_autofree char *requester = NULL;
  g_autoptr(WardSecret) line = NULL;
  g_autoptr(GError) error = NULL;
  WardPeer peer = WARD_PEER_INIT;
  Conn conn = { .fd = -1 };
  struct pam_conv pam_conv = { conversation, &conn };
  pam_handle_t *pamh = NULL;
  const void *pam_user = NULL;
  struct passwd *pw;
  struct rlimit no_core = { 0, 0 };
  const char *reason = NULL;
  bool privileged;
  bool quiet = false;   /* close without FAILURE: the agent is to try another helper */
  struct ucred cred;
  socklen_t cred_len = sizeof cred;
  int slot = -1;
  int request_timeout_ms;
  gint64 started = now_us ();
  gint64 deadline;
  uid_t user_uid;
  int pam_status = PAM_SUCCESS;
  int status = EXIT_FAILURE;

  /* H4: before anything can hold a secret. */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  setrlimit (RLIMIT_CORE, &no_core);
  umask (0077);
  signal (SIGPIPE, SIG_IGN);

  if (argc > 1)
    {
      setlocale (LC_ALL, "");
      bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      textdomain (GETTEXT_PACKAGE);
      if (argc == 2 && strcmp (argv[1], "--version") == 0)
        {
          printf ("ward-helper %s\n", PACKAGE_VERSION);
          return EXIT_SUCCESS;
        }
      if (argc == 2 && strcmp (argv[1], "--help") == 0)
        {
          usage (stdout);
          return EXIT_SUCCESS;
        }
      usage (stderr);
      return EXIT_FAILURE;
    }

  privileged = getuid () == 0 || geteuid () == 0 || getauxval (AT_SECURE) != 0;

  /* Messages go to syslog and, for a person running the helper by hand, to stderr as well;
   * not when stderr is the journal already (systemd's unit: JOURNAL_STREAM names the stream),
   * where every line would be there twice. */
  openlog ("ward-helper", LOG_PID | (stderr_is_journal () ? 0 : LOG_PERROR), LOG_AUTHPRIV);

  conn.fd = find_connection ();
  conn.read_timeout_ms = knob_ms (privileged, "WARD_HELPER_READ_TIMEOUT_MS", READ_TIMEOUT_MS);
  conn.deadline = started +
                  (gint64) knob_ms (privileged, "WARD_HELPER_DEADLINE_MS", DEADLINE_MS) * 1000;
  request_timeout_ms = knob_ms (privileged, "WARD_HELPER_REQUEST_TIMEOUT_MS",
                                REQUEST_TIMEOUT_MS);
  bus_address = privileged || secure_getenv ("DBUS_SYSTEM_BUS_ADDRESS") == NULL
                  ? g_strdup (SYSTEM_BUS_ADDRESS)
                  : g_strdup (secure_getenv ("DBUS_SYSTEM_BUS_ADDRESS"));
  runtime_dir = privileged || secure_getenv ("WARD_HELPER_RUNTIME_DIR") == NULL
                  ? g_strdup (WARD_HELPER_RUNTIME_DIR)
                  : g_strdup (secure_getenv ("WARD_HELPER_RUNTIME_DIR"));

  /* H4: PAM modules and the libraries they load see only the locale. */
  for (size_t i = 0; i < G_N_ELEMENTS (keep); i++)
    {
      const char *v = secure_getenv (keep[i]);
      if (privileged && i >= n_locale)
        continue;
      if (v != NULL && strlen (v) < 256)
        kept[i] = g_strdup (v);
    }
  if (clearenv () != 0)
    {
      syslog (LOG_ERR, "cannot clear the environment");
      goto out;
    }
  setenv ("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
  for (size_t i = 0; i < G_N_ELEMENTS (keep); i++)
    {
      if (kept[i] != NULL)
        setenv (keep[i], kept[i], 1);
      g_free (kept[i]);
    }
  setlocale (LC_ALL, "");

  if (conn.fd < 0)
    {
      syslog (LOG_ERR, "no connected AF_UNIX stream socket on fd 3 (LISTEN_FDS) or stdin");
      goto out;
    }

  /* H7: the uid's share of the helper slots, before anything else is done for the connection.
   * The uid is only counted here; ward_peer_verify() decides whom to vouch for. */
  if (getsockopt (conn.fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) != 0 ||
      cred_len != sizeof cred)
    {
      syslog (LOG_NOTICE, "cannot read the peer's credentials");
      goto out;
    }
  slot = take_uid_slot (runtime_dir, cred.uid);
  if (slot == -2)
    {
      syslog (LOG_NOTICE, "uid %u already holds %d helper instances; closing this connection",
              (unsigned) cred.uid, MAX_PER_UID);
      quiet = true;
      goto out;
    }

  /* H1: who is asking. */
  if (!ward_peer_verify (conn.fd, &peer, &reason))
    {
      syslog (LOG_NOTICE, "refusing peer pid %d uid %d: %s", (int) peer.pid, (int) peer.uid,
              reason);
      goto out;
    }
  pw = getpwuid (peer.uid);
  if (pw == NULL)
    {
      syslog (LOG_NOTICE, "refusing peer pid %d: uid %u has no user name", (int) peer.pid,
              (unsigned) peer.uid);
      goto out;
    }
  requester = g_strdup (pw->pw_name);

  /* H9: PAM is prepared before the request arrives (an agent may connect ahead of it): the stack
   * is parsed and its modules are loaded while polkitd still decides. No module runs, and no
   * user is known, until the request has been read and checked. PAM_RUSER is the requesting
   * user, as PAM defines it: the verified peer (polkit's helper sets the user being
   * authenticated there). */
  pam_status = pam_start (WARD_PAM_SERVICE, NULL, &pam_conv, &pamh);
  if (pam_status != PAM_SUCCESS)
    {
      syslog (LOG_ERR, "pam_start failed: %s", pam_strerror (pamh, pam_status));
      pamh = NULL;
      goto out;
    }
  pam_status = pam_set_item (pamh, PAM_RUSER, requester);
  if (pam_status != PAM_SUCCESS)
    {
      syslog (LOG_ERR, "pam_set_item(PAM_RUSER) failed: %s", pam_strerror (pamh, pam_status));
      goto out;
    }

  /* The request: the user name line and the cookie line, both within REQUEST_TIMEOUT of the
   * start (H8); H6: checked before PAM or polkitd sees them. */
  line = ward_secret_new (WARD_WIRE_MAX_LINE);
  deadline = conn.deadline;
  conn.deadline = MIN (deadline, started + (gint64) request_timeout_ms * 1000);
  if (!read_line (&conn, line))
    {
      quiet = conn.timed_out;
      syslog (LOG_NOTICE, "no user name from peer uid %u%s", (unsigned) peer.uid,
              quiet ? " in time: closing the idle connection" : "");
      goto out;
    }
  if (!ward_wire_check_user_name (ward_secret_get (line), ward_secret_len (line), &error))
    {
      syslog (LOG_NOTICE, "no valid user name from peer uid %u: %s", (unsigned) peer.uid,
              error->message);
      goto out;
    }
  user = g_strndup (ward_secret_get (line), ward_secret_len (line));
  if (!read_line (&conn, line))
    {
      quiet = conn.timed_out;
      syslog (LOG_NOTICE, "no cookie from peer uid %u%s", (unsigned) peer.uid,
              quiet ? " in time: closing the idle connection" : "");
      goto out;
    }
  if (!ward_wire_check_cookie (ward_secret_get (line), ward_secret_len (line), &error))
    {
      /* The message names the rule broken, never the cookie's bytes. */
      syslog (LOG_NOTICE, "no valid cookie from peer uid %u: %s", (unsigned) peer.uid,
              error->message);
      ward_secret_clear (line);
      goto out;
    }
  cookie = g_strndup (ward_secret_get (line), ward_secret_len (line));
  ward_secret_clear (line);
  conn.deadline = deadline;

  pw = getpwnam (user);
  if (pw == NULL)
    {
      syslog (LOG_NOTICE, "peer uid %u asked to authenticate an unknown user",
              (unsigned) peer.uid);
      goto out;
    }
  user_uid = pw->pw_uid;

  /* PAM, as polkit's helper runs it, for the user checked above. */
  pam_status = pam_set_item (pamh, PAM_USER, user);
  if (pam_status != PAM_SUCCESS)
    {
      syslog (LOG_ERR, "pam_set_item(PAM_USER) failed: %s", pam_strerror (pamh, pam_status));
      goto out;
    }
  pam_status = pam_authenticate (pamh, 0);
  if (pam_status != PAM_SUCCESS)
    {
      syslog (LOG_NOTICE, "authentication of %s for uid %u failed: %s", user, (unsigned) peer.uid,
              pam_strerror (pamh, pam_status));
      /* A broken connection or a timeout is not a wrong password. */
      if (!conn.failed)
        status = EXIT_AUTH_FAILED;
      goto out;
    }
  pam_status = pam_acct_mgmt (pamh, 0);
  if (pam_status != PAM_SUCCESS)
    {
      syslog (LOG_NOTICE, "account check of %s failed: %s", user, pam_strerror (pamh, pam_status));
      goto out;
    }
  pam_status = pam_get_item (pamh, PAM_USER, &pam_user);
  if (pam_status != PAM_SUCCESS || pam_user == NULL || strcmp (pam_user, user) != 0)
    {
      syslog (LOG_ERR, "PAM authenticated another user than %s", user);
      goto out;
    }
  pam_end (pamh, pam_status);
  pamh = NULL;

  /* H1 again, right before vouching for the peer's uid. */
  if (!ward_peer_still_there (&peer, &reason))
    {
      syslog (LOG_NOTICE, "not reporting for peer pid %d: %s", (int) peer.pid, reason);
      goto out;
    }
  if (!report_to_polkitd (bus_address, peer.uid, cookie, user_uid))
    goto out;

  syslog (LOG_INFO, "authenticated %s for uid %u (pid %d)", user, (unsigned) peer.uid,
          (int) peer.pid);
  if (!send_message (&conn, WARD_WIRE_SUCCESS, NULL))
    syslog (LOG_NOTICE, "the agent left before SUCCESS");
  status = EXIT_SUCCESS;

out:
  if (pamh != NULL)
    pam_end (pamh, pam_status);
  if (status != EXIT_SUCCESS && conn.fd >= 0 && !quiet)
    send_message (&conn, WARD_WIRE_FAILURE, NULL);
  if (slot >= 0)
    close (slot);
  if (cookie != NULL)
    explicit_bzero (cookie, strlen (cookie));
  ward_peer_clear (&peer);
  closelog ();
  return status;
}
