/* ward-file.h: reading the small files agents learn facts from (/proc, logind's state), with a
 * bound on memory whatever the file holds (HACKING.md, invariant 4: input is bounded). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads at most @max bytes of @name, relative to the directory @dir_fd (AT_FDCWD for a path),
 * opened O_NOFOLLOW | O_CLOEXEC | O_NOCTTY. Returns a NUL-terminated buffer (the file may hold
 * NUL bytes of its own; @len_out says how many bytes were read), or NULL when the file cannot
 * be opened or read. A file longer than @max is cut at @max: ask for one byte more than you
 * accept to tell. */
char *ward_file_read_bounded (int dir_fd, const char *name, gsize max, gsize *len_out);

G_END_DECLS
