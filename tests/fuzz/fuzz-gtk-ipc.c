/* fuzz-gtk-ipc.c: the dialog's reader of ward-gtk's request frame (agent-gtk/ward-gtk-ipc.h).
 *
 * The payload comes from the listener (same user), but the dialog parses it before anything is
 * shown: it must never crash, and what it accepts must be what the encoder could have written.
 * Invariants: the length prefix is accepted exactly when 0 < len <= WARD_GTK_IPC_MAX_REQUEST; a
 * decoded request has an action, a cookie and at least one identity, and survives re-encoding
 * and decoding unchanged; outcome lines parse only as "done" or "cancelled". */
#include "config.h"

#include <string.h>

#include "fuzz-common.h"
#include "ward-gtk-ipc.h"

static void
check_same (const WardRequest *a, const WardRequest *b)
{
  FUZZ_CHECK (strcmp (a->action_id, b->action_id) == 0);
  FUZZ_CHECK (strcmp (a->message, b->message) == 0);
  FUZZ_CHECK (strcmp (a->icon_name, b->icon_name) == 0);
  FUZZ_CHECK (strcmp (a->cookie, b->cookie) == 0);
  FUZZ_CHECK (g_hash_table_size (a->details) == g_hash_table_size (b->details));
  FUZZ_CHECK (a->identities->len == b->identities->len);
  for (guint i = 0; i < a->identities->len; i++)
    FUZZ_CHECK (((WardIdentity *) g_ptr_array_index (a->identities, i))->uid ==
                ((WardIdentity *) g_ptr_array_index (b->identities, i))->uid);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(WardRequest) request = NULL;

  if (size >= 4)
    {
      g_autoptr(GError) length_error = NULL;
      guint32 be;
      gssize len = ward_gtk_ipc_parse_length (data, &length_error);

      memcpy (&be, data, 4);
      if (GUINT32_FROM_BE (be) == 0 || GUINT32_FROM_BE (be) > WARD_GTK_IPC_MAX_REQUEST)
        FUZZ_CHECK (len == -1 && length_error != NULL);
      else
        FUZZ_CHECK (len == (gssize) GUINT32_FROM_BE (be) && length_error == NULL);
    }

  {
    WardGtkIpcOutcome outcome = ward_gtk_ipc_outcome_from_line ((const char *) data, size);
    if (outcome != WARD_GTK_IPC_OUTCOME_INVALID)
      {
        const char *line = ward_gtk_ipc_outcome_to_line (outcome);
        gsize n = size > 0 && data[size - 1] == '\n' ? size - 1 : size;
        FUZZ_CHECK (line != NULL && strlen (line) == n + 1 && memcmp (line, data, n) == 0);
      }
  }

  if (size > 64 * 1024)
    return 0;

  request = ward_gtk_ipc_decode_request (data, size, &error);
  if (request == NULL)
    {
      FUZZ_CHECK (error != NULL && error->domain == WARD_GTK_IPC_ERROR);
      return 0;
    }
  FUZZ_CHECK (error == NULL);
  FUZZ_CHECK (request->action_id[0] != '\0' && request->cookie[0] != '\0');
  FUZZ_CHECK (request->identities->len > 0 && request->requester != NULL);

  {
    g_autoptr(GBytes) frame = ward_gtk_ipc_encode_request (request, &error);
    gsize frame_len;
    const guint8 *bytes;
    g_autoptr(WardRequest) again = NULL;

    FUZZ_CHECK (frame != NULL);
    bytes = g_bytes_get_data (frame, &frame_len);
    FUZZ_CHECK (frame_len > 4);
    FUZZ_CHECK (ward_gtk_ipc_parse_length (bytes, NULL) == (gssize) (frame_len - 4));
    again = ward_gtk_ipc_decode_request (bytes + 4, frame_len - 4, &error);
    FUZZ_CHECK (again != NULL);
    check_same (request, again);
  }
  return 0;
}
