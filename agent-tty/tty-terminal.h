/* tty-terminal.h: ward-tty's hold on the terminal: ownership while prompting, raw input with
 * ward's own line editing, and restoring everything afterwards.
 *
 * Security rules (HACKING.md, invariants 1 and 6):
 *  1. Typed bytes go straight into a WardSecret; the read buffer is wiped after every read.
 *  2. tty_terminal_release() restores termios and the foreground process group and discards
 *     unsubmitted input; every path that ends a prompt goes through it.
 *  3. On a terminal that does not use UTF-8 nothing is written in UTF-8: every character is
 *     converted to the terminal's charset, or escaped, and no byte 0x80-0x9f (8-bit C1
 *     controls) is ever written for a character (invariant 3).
 *  4. Ctrl-C cancels and Ctrl-Z suspends at every moment the terminal is acquired, a line being
 *     read or not (PAM's "place your finger", its delay after a wrong password, a stalled
 *     helper); every other key typed while no line is read is dropped (invariant 13).
 */
#pragma once

#include <glib.h>
#include "ward-secret.h"
#include "ward-text.h"

G_BEGIN_DECLS

typedef struct _TtyTerminal TtyTerminal;

typedef enum {
  TTY_LINE_ENTER,     /* the user pressed Enter: the line is in the secret */
  TTY_LINE_CANCEL,    /* Ctrl-C, or Ctrl-D on an empty line */
  TTY_LINE_HANGUP,    /* the terminal went away (EOF, EIO, HUP) */
} TtyLineResult;

/* @line holds the typed text for TTY_LINE_ENTER (the callee may consume it; the terminal clears
 * it afterwards either way). */
typedef void (*TtyLineFunc) (TtyTerminal *terminal, TtyLineResult result, WardSecret *line,
                             gpointer user_data);
/* Rule 4: Ctrl-C (TTY_LINE_CANCEL) or a hang-up (TTY_LINE_HANGUP) while the terminal is
 * acquired and no line is read. */
typedef void (*TtyInterruptFunc) (TtyTerminal *terminal, TtyLineResult result,
                                  gpointer user_data);

/* Opens /dev/tty (O_RDWR|O_NOCTTY|O_CLOEXEC), or uses @fd (>= 0, taken over) when given. */
TtyTerminal *tty_terminal_new (int fd, GError **error);
/* Releases (rule 2) and closes. NULL is allowed. */
void tty_terminal_free (TtyTerminal *terminal);

/* Whether ANSI colour may be used: a terminal, TERM set and not "dumb", NO_COLOR unset. */
gboolean tty_terminal_get_colour (TtyTerminal *terminal);
/* The terminal's character set when it is not UTF-8 (the locale's), else NULL. Untrusted text
 * goes through ward_text_restrict_charset() with it before it is printed (rule 3). */
WardTextCharset *tty_terminal_get_charset (TtyTerminal *terminal);

/* Takes the terminal for a prompt: saves termios, becomes the foreground process group if it is
 * not, switches to non-canonical input without echo or signals, and discards typed-ahead input.
 * From then until the release, Ctrl-C and Ctrl-Z work (rule 4). Idempotent. */
gboolean tty_terminal_acquire (TtyTerminal *terminal, GError **error);
/* Who hears Ctrl-C and hang-ups while no line is read (rule 4); NULL: nobody, they are
 * dropped. */
void tty_terminal_set_interrupt_func (TtyTerminal *terminal, TtyInterruptFunc func,
                                      gpointer user_data);
/* Whether ward-tty should not take the terminal now: it is in the background and the foreground
 * process group is an interactive job-control shell (it ignores SIGTTIN), which is most likely
 * reading its own prompt. Taken from it, such a shell would read the password or get EIO and
 * exit; ward-tty waits for `fg` instead. */
gboolean tty_terminal_should_wait_for_foreground (TtyTerminal *terminal);

/* Rule 2. Stops any read in progress (its callback is not called). Idempotent. */
void tty_terminal_release (TtyTerminal *terminal);

/* Writes UTF-8 text: as it is on a UTF-8 terminal, else converted by ward_text_to_charset()
 * (rule 3). Callers pass only ward's own text or untrusted text that went through
 * ward_text_sanitize() and ward_text_restrict_charset(). */
void tty_terminal_print (TtyTerminal *terminal, const char *text);
void tty_terminal_printf (TtyTerminal *terminal, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Shows @prompt and reads one line from the main loop; @echo shows what is typed. Calls @func
 * exactly once unless tty_terminal_release() or tty_terminal_stop_reading() comes first
 * (TTY_LINE_CANCEL, from the main loop, when Ctrl-C was typed before the prompt appeared).
 * What else was typed before the prompt appeared is dropped. The terminal must be acquired. */
void tty_terminal_read_line (TtyTerminal *terminal, const char *prompt, gboolean echo,
                             TtyLineFunc func, gpointer user_data);
/* Stops a read in progress without calling its callback; the typed text is wiped. Ctrl-C and
 * Ctrl-Z still work (rule 4). */
void tty_terminal_stop_reading (TtyTerminal *terminal);

G_END_DECLS
