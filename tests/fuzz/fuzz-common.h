/* fuzz-common.h: what every fuzz target shares. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib.h>

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
