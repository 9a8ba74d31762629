/* ward-request.h: what an agent knows about a request, and who is asking.
 *
 * Everything here comes from polkitd's BeginAuthentication call or from /proc and is untrusted:
 * the *_display strings are already sanitised (ward-text) and capped; raw values are not.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint32 uid;
  char *name;          /* user name from the passwd database, raw; NULL when the uid is unknown */
  char *name_display;  /* sanitised name, or the uid in decimal when unknown */
  char *gecos_display; /* sanitised first GECOS field, or NULL */
} WardIdentity;

typedef struct {
  guint32 pid;           /* 0 when unknown */
  gint64 uid;            /* -1 when unknown */
  char *user_display;    /* sanitised user name (or uid), NULL when unknown */
  char *cmdline_display; /* sanitised command line from /proc/PID/cmdline, NULL when unknown */
} WardRequester;

typedef struct {
  char *action_id;
  char *message;        /* raw, untrusted */
  char *message_display; /* sanitised, capped, one line with visible line breaks */
  char *icon_name;      /* raw, untrusted */
  char *cookie;         /* raw; never shown */
  GHashTable *details;  /* char* -> char*, raw */
  GPtrArray *identities; /* of WardIdentity*, in polkitd's order, unix-user entries only */
  WardRequester *requester; /* never NULL; its pid is 0 when polkitd named no process */
} WardRequest;

/* Builds a request from BeginAuthentication's parameters: @details is a{ss}, @identities is
 * a(sa{sv}). Identities that are not unix-user (or that have a malformed uid) are skipped.
 * The requester comes from "polkit.subject-pid", else "polkit.caller-pid". Never NULL. */
WardRequest *ward_request_new (const char *action_id, const char *message, const char *icon_name,
                               GVariant *details, const char *cookie, GVariant *identities);
void ward_request_free (WardRequest *request);

/* Index of the identity to preselect: the invoking user (getuid()) if offered, else root if
 * offered, else 0. */
guint ward_request_default_identity (const WardRequest *request, guint32 invoking_uid);

/* Reads a process's requester information from /proc (racy by nature: it is context for the
 * user, never used for a decision). */
WardRequester *ward_requester_new_for_pid (guint32 pid);
void ward_requester_free (WardRequester *requester);

/* Pure: turns the raw contents of /proc/PID/cmdline (NUL-separated arguments) into one line,
 * shell-quoting arguments that need it, sanitised and capped at @max_chars, line breaks inside
 * arguments shown as WARD_TEXT_LINE_BREAK. NULL when @len is 0. */
char *ward_cmdline_format (const char *raw, gsize len, gsize max_chars);

/* Parses a decimal pid/uid string strictly (no sign, no spaces, fits in 32 bits). */
gboolean ward_parse_uint32 (const char *text, guint32 *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WardRequest, ward_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WardRequester, ward_requester_free)

G_END_DECLS
