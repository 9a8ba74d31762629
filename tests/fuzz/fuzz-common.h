/* fuzz-common.h: what every fuzz target shares. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "ward-text.h"

/* Always on, whatever G_DISABLE_ASSERT says: a broken invariant is the finding. */
#define FUZZ_CHECK(cond)                                                               \
  do                                                                                   \
    {                                                                                  \
      if (!(cond))                                                                     \
        {                                                                              \
          fprintf (stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
          abort ();                                                                    \
        }                                                                              \
    }                                                                                  \
  while (0)

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* What ward_text_sanitize() promises for any input (HACKING.md, invariant 3): valid UTF-8; no C0
 * control but '\n' (@multiline only), no DEL, no C1, no line or paragraph separator; no format
 * character and no other default-ignorable one, but joiners and variation selectors right after
 * a non-ASCII character; every mark on a base; at most WARD_TEXT_MAX_MARKS (4) overlaying marks
 * on one base. */
static inline void
fuzz_check_shown_text (const char *out, gboolean multiline)
{
  gunichar prev = 0;
  guint marks = 0;

  FUZZ_CHECK (out != NULL);
  FUZZ_CHECK (g_utf8_validate (out, -1, NULL));
  for (const char *p = out; *p != '\0'; prev = g_utf8_get_char (p), p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      GUnicodeType type = g_unichar_type (c);
      gboolean kept_invisible = c == 0x200c || c == 0x200d || (c >= 0xfe00 && c <= 0xfe0f) ||
                                (c >= 0xe0100 && c <= 0xe01ef) ||
                                (c >= 0x180b && c <= 0x180d) || c == 0x180f;

      if (c == '\n')
        {
          FUZZ_CHECK (multiline);
          continue;
        }
      FUZZ_CHECK (c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f));
      FUZZ_CHECK (c != 0x2028 && c != 0x2029);
      if (kept_invisible)
        FUZZ_CHECK (prev >= 0x80 && !g_unichar_isspace (prev));
      else
        FUZZ_CHECK (type != G_UNICODE_FORMAT && c != 0x034f && c != 0x115f && c != 0x1160 &&
                    c != 0x17b4 && c != 0x17b5 && c != 0x3164 && c != 0xffa0 &&
                    !(c >= 0xfff0 && c <= 0xfff8) && !(c >= 0xe0000 && c <= 0xe0fff));
      if (g_unichar_ismark (c))
        FUZZ_CHECK (prev != 0 && prev != '\n');
      if (type == G_UNICODE_NON_SPACING_MARK || type == G_UNICODE_ENCLOSING_MARK)
        FUZZ_CHECK (++marks <= 4);
      else if (!g_unichar_ismark (c))
        marks = 0;
    }
}

/* No byte of @out (text for a terminal) is a C1 control in 0x80-0x9f; with @no_c0, no control
 * below 0x20 but '\n' either, and no DEL. */
static inline void
fuzz_check_terminal_bytes (const char *out, gboolean no_c0)
{
  for (const char *p = out; *p != '\0'; p++)
    {
      guchar b = (guchar) *p;

      FUZZ_CHECK (!(b >= 0x80 && b <= 0x9f));
      if (no_c0)
        FUZZ_CHECK ((b >= 0x20 || b == '\n') && b != 0x7f);
    }
}

/* Sanitised text on terminals that do not use UTF-8 (issue 16, item 3), restricted then
 * converted as ward-tty does: valid UTF-8 after the restriction, which is idempotent; no
 * control and no byte in 0x80-0x9f after the conversion; for ASCII and Latin-1, exactly each
 * character or its \uXXXX / \UXXXXXXXX escape. */
static const char *const fuzz_charset_names[] = {
  "ANSI_X3.4-1968", "ISO-8859-1", "KOI8-R", "EUC-JP",
};

/* Opened once per process: iconv loads (and on close unloads) a module for each. */
static inline WardTextCharset *
fuzz_charset (gsize k)
{
  static WardTextCharset *charsets[G_N_ELEMENTS (fuzz_charset_names)];

  if (charsets[k] == NULL)
    charsets[k] = ward_text_charset_new (fuzz_charset_names[k]);
  return charsets[k];
}

static inline void
fuzz_check_charsets (const char *safe)
{
  for (gsize k = 0; k < G_N_ELEMENTS (fuzz_charset_names); k++)
    {
      g_autofree char *restricted = ward_text_restrict_charset (safe, fuzz_charset (k));
      g_autofree char *again = ward_text_restrict_charset (restricted, fuzz_charset (k));
      g_autofree char *out = ward_text_to_charset (restricted, fuzz_charset (k));

      FUZZ_CHECK (g_utf8_validate (restricted, -1, NULL));
      FUZZ_CHECK (strcmp (again, restricted) == 0);
      fuzz_check_terminal_bytes (out, TRUE);
      if (k <= 1)
        {
          g_autoptr(GString) model = g_string_new (NULL);

          for (const char *p = safe; *p != '\0'; p = g_utf8_next_char (p))
            {
              gunichar c = g_utf8_get_char (p);

              if (c < 0x80 || (k == 1 && c >= 0xa0 && c <= 0xff))
                g_string_append_c (model, (char) c);
              else if (c <= 0xffff)
                g_string_append_printf (model, "\\u%04x", c);
              else
                g_string_append_printf (model, "\\U%08x", c);
            }
          FUZZ_CHECK (strcmp (out, model->str) == 0);
        }
    }
}
