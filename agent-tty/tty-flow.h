/* tty-flow.h: ward-tty's requests, one at a time: header, identity choice, the helper
 * conversation with up to three attempts, and the result line. */
#pragma once

#include "tty-terminal.h"
#include "ward-agent.h"

G_BEGIN_DECLS

typedef struct _TtyFlow TtyFlow;

/* @hangup is called (once) when the terminal goes away; the flow has then already answered
 * every request. */
TtyFlow *tty_flow_new (WardAgent *agent, TtyTerminal *terminal, GSourceFunc hangup,
                       gpointer hangup_data);
/* Stops the conversation in progress, restores the terminal and answers every request as
 * cancelled. Safe to call more than once. */
void tty_flow_shutdown (TtyFlow *flow);
void tty_flow_free (TtyFlow *flow);

G_END_DECLS
