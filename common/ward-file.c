/* ward-file.c: bounded reads of small files (see ward-file.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "ward-file.h"

char *
ward_file_read_bounded (int dir_fd, const char *name, gsize max, gsize *len_out)
{
  g_autofree char *buf = NULL;
  gsize len = 0;
  int fd;

  *len_out = 0;
  fd = openat (dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
  if (fd < 0)
    return NULL;

  buf = g_malloc (max + 1);
  while (len < max)
    {
      ssize_t n = read (fd, buf + len, max - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          close (fd);
          return NULL;
        }
      if (n == 0)
        break;
      len += (gsize) n;
    }
  close (fd);

  buf[len] = '\0';
  *len_out = len;
  return g_steal_pointer (&buf);
}
