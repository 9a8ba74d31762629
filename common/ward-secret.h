/* ward-secret.h: the only type that holds a password.
 *
 * Security rules (HACKING.md, invariants 1-2):
 *  1. A password is stored only in a WardSecret: page-aligned memory of its own, mlock()ed where
 *     the system allows it (ward carries on when it does not), never copied into GString,
 *     g_strdup(), stdio buffers or stack arrays.
 *  2. The memory is wiped with explicit_bzero() on every path: clear, truncation, and free.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Default capacity: PAM limits responses to 512 bytes; ward allows a full helper line. */
#define WARD_SECRET_DEFAULT_CAPACITY 4096

typedef struct _WardSecret WardSecret;

/* Allocates an empty secret able to hold @capacity bytes (plus a NUL). Never returns NULL. */
WardSecret *ward_secret_new (gsize capacity);
/* Wipes and frees. NULL is allowed. */
void ward_secret_free (WardSecret *secret);

/* Appends @len bytes. Returns FALSE, changing nothing, when they do not fit. */
gboolean ward_secret_append (WardSecret *secret, const char *bytes, gsize len);
/* Removes the last UTF-8 character (a lone invalid byte counts as one). FALSE when empty. */
gboolean ward_secret_pop_char (WardSecret *secret);
/* Removes the last word and the spaces after it, as Ctrl-W does. FALSE when empty. */
gboolean ward_secret_pop_word (WardSecret *secret);
/* Wipes the contents; the secret stays usable. */
void ward_secret_clear (WardSecret *secret);

/* The NUL-terminated contents; valid until the next change. Do not copy it anywhere. */
const char *ward_secret_get (const WardSecret *secret);
gsize ward_secret_len (const WardSecret *secret);
gsize ward_secret_capacity (const WardSecret *secret);
/* Number of UTF-8 characters held (for drawing a mask, if ever). */
gsize ward_secret_char_count (const WardSecret *secret);
/* Whether the pages are locked in memory (mlock succeeded). */
gboolean ward_secret_is_locked (const WardSecret *secret);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WardSecret, ward_secret_free)

G_END_DECLS
