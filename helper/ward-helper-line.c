/* ward-helper-line.c: see ward-helper-line.h. Runs as root inside ward-helper; kept pure (no I/O,
 * no allocation) so that the fuzz target can drive it as it is shipped. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "ward-helper-line.h"
#include "ward-wire.h"

WardHelperLineStatus
ward_helper_line_feed (WardSecret *line, char c)
{
  bool fits;

  if (c == '\n')
    return WARD_HELPER_LINE_END;
  if (c == '\0')
    return WARD_HELPER_LINE_NUL;
  /* The line and its '\n' must fit in WARD_WIRE_MAX_LINE. */
  fits = ward_secret_len (line) + 2 <= WARD_WIRE_MAX_LINE && ward_secret_append (line, &c, 1);
  /* The byte may be part of a password: no copy stays behind in this frame. */
  explicit_bzero (&c, sizeof c);
  return fits ? WARD_HELPER_LINE_MORE : WARD_HELPER_LINE_TOO_LONG;
}
