/* fuzz-cmdline.c: ward_cmdline_format() over arbitrary /proc/PID/cmdline contents.
 *
 * The first input byte is the cap (0 = none). Invariants: NULL exactly for empty input;
 * otherwise one line of valid UTF-8 without controls (line breaks in arguments shown as ↵),
 * within the cap, and as safe on terminals that do not use UTF-8 (fuzz_check_charsets()). */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "ward-request.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *out = NULL;
  gsize max_chars;

  if (size == 0)
    return 0;

  max_chars = data[0];
  out = ward_cmdline_format ((const char *) data + 1, size - 1, max_chars);
  if (size == 1)
    {
      FUZZ_CHECK (out == NULL);
      return 0;
    }

  FUZZ_CHECK (out != NULL);
  fuzz_check_shown_text (out, FALSE);
  fuzz_check_charsets (out);
  if (max_chars > 0)
    FUZZ_CHECK (g_utf8_strlen (out, -1) <= (glong) max_chars);

  /* Every argument shows up: at least one character per argument plus separators, unless cut
   * or made of removed characters only; the cheap check is that "''" marks empty ones. */
  if (max_chars == 0 && data[1] == '\0')
    FUZZ_CHECK (g_str_has_prefix (out, "''"));
  return 0;
}
