/* ward-agent.h: the org.freedesktop.PolicyKit1.AuthenticationAgent object, registration with
 * polkitd, and re-registration when polkitd restarts. Shared by ward-tty and ward-gtk.
 *
 * Security rule (HACKING.md, invariant 5): BeginAuthentication and CancelAuthentication are
 * accepted only from the current unique name owning org.freedesktop.PolicyKit1; any other sender
 * gets org.freedesktop.PolicyKit1.Error.NotAuthorized and a log line.
 */
#pragma once

#include <gio/gio.h>
#include "ward-request.h"

G_BEGIN_DECLS

#define WARD_TYPE_AGENT (ward_agent_get_type ())
G_DECLARE_FINAL_TYPE (WardAgent, ward_agent, WARD, AGENT, GObject)

typedef enum {
  WARD_SUBJECT_PROCESS,      /* pid (+ start time, + uid) */
  WARD_SUBJECT_SESSION,      /* logind session id */
  WARD_SUBJECT_BUS_NAME,     /* system bus name */
} WardSubjectKind;

typedef struct {
  WardSubjectKind kind;
  guint32 pid;         /* PROCESS */
  guint64 start_time;  /* PROCESS: 0 = look it up in /proc */
  gint64 uid;          /* PROCESS: -1 = look it up */
  const char *session_id; /* SESSION */
  const char *bus_name;   /* BUS_NAME */
} WardSubject;

/* Connects nothing yet. @connection: the system bus. */
WardAgent *ward_agent_new (GDBusConnection *connection);

/* Exports the agent object and registers it for @subject (with the "fallback" option when
 * @fallback), for the current locale. Re-registers by itself when polkitd's name gets a new
 * owner. */
gboolean ward_agent_register (WardAgent *self, const WardSubject *subject, gboolean fallback,
                              GError **error);

/* Signals:
 *   "begin"  (WardRequest *request, gpointer handle): a new request. The agent keeps the request;
 *            answer it exactly once with ward_agent_complete (self, handle, ...).
 *   "cancel" (gpointer handle): polkitd's CancelAuthentication for a pending request; the
 *            handler must stop its conversation and then call ward_agent_complete (.., CANCELLED).
 *   "polkitd-vanished" / "registered" (no arguments): for logs and tests. */
typedef enum {
  WARD_AGENT_DONE,        /* the conversation ended (granted or not: polkitd knows from the helper) */
  WARD_AGENT_CANCELLED,   /* the user or polkitd cancelled: org.freedesktop.PolicyKit1.Error.Cancelled */
  WARD_AGENT_FAILED,      /* could not run: org.freedesktop.PolicyKit1.Error.Failed with @message */
} WardAgentOutcome;

void ward_agent_complete (WardAgent *self, gpointer handle, WardAgentOutcome outcome,
                          const char *message);

/* The request behind a handle (owned by the agent, valid until completed). */
WardRequest *ward_agent_get_request (WardAgent *self, gpointer handle);

G_END_DECLS
