/* ward-dialog-runner.h: one ward-gtk-dialog process for one request, seen from ward-gtk. */
#pragma once

#include <gio/gio.h>
#include "ward-agent.h"
#include "ward-request.h"

G_BEGIN_DECLS

#define WARD_TYPE_DIALOG_RUNNER (ward_dialog_runner_get_type ())
G_DECLARE_FINAL_TYPE (WardDialogRunner, ward_dialog_runner, WARD, DIALOG_RUNNER, GObject)

/* Seconds a dialog may take to exit after it answered or was cancelled before it is killed. */
#define WARD_DIALOG_RUNNER_EXIT_GRACE 5

WardDialogRunner *ward_dialog_runner_new (const char *dialog_path);

/* Spawns the dialog with one end of a socket pair as fd 3 and sends it @request.
 * Signals follow from the main loop:
 *   "outcome" (WardAgentOutcome outcome, const char *message): exactly once, when the dialog
 *             answers, or when it goes away without answering (FAILED);
 *   "exited"  (): once, after "outcome", when the process is gone.
 * Not emitted at all when this returns FALSE. */
gboolean ward_dialog_runner_start (WardDialogRunner *self, const WardRequest *request,
                                   GError **error);

/* Closes the dialog now (it sees its socket close); "outcome" is not emitted afterwards, "exited"
 * still is. The process is killed if it has not exited within the grace period. */
void ward_dialog_runner_cancel (WardDialogRunner *self);

/* The dialog's pid, 0 before start or after exit (for logs and tests). */
GPid ward_dialog_runner_get_pid (WardDialogRunner *self);

G_END_DECLS
