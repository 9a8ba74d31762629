/* fuzz-main.c: runs a libFuzzer target over every file of the corpus directories (or files)
 * given on the command line, so each target is an ordinary test with any compiler. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

static int
run_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 1;
    }
  /* An exact-size copy, so sanitizers see reads past the end of the input. */
  {
    g_autofree uint8_t *copy = g_memdup2 (contents, len);

    LLVMFuzzerTestOneInput (copy, len);
  }
  return 0;
}

int
main (int argc, char **argv)
{
  guint files = 0;

  if (argc < 2)
    {
      fprintf (stderr, "Usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
      return 2;
    }

  /* Always run the empty input too. */
  LLVMFuzzerTestOneInput ((const uint8_t *) "", 0);

  for (int i = 1; i < argc; i++)
    {
      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(GDir) dir = g_dir_open (argv[i], 0, &error);
          g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
          const char *name;

          if (dir == NULL)
            {
              fprintf (stderr, "%s\n", error->message);
              return 1;
            }
          while ((name = g_dir_read_name (dir)) != NULL)
            g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
          /* A stable order makes a failure reproducible. */
          g_ptr_array_sort (names, compare_paths);
          for (guint j = 0; j < names->len; j++)
            {
              const char *path = g_ptr_array_index (names, j);

              printf ("%s\n", path);
              fflush (stdout);
              if (run_file (path) != 0)
                return 1;
              files++;
            }
        }
      else
        {
          if (run_file (argv[i]) != 0)
            return 1;
          files++;
        }
    }

  if (files == 0)
    {
      fprintf (stderr, "No corpus files found\n");
      return 1;
    }
  printf ("%u inputs passed\n", files);
  return 0;
}
