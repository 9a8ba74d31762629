/* test-file.c: ward_file_read_bounded() never reads past its bound and refuses symlinks. */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ward-file.h"

static char *
temp_file (const char *contents, gsize len)
{
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("ward-test-file-XXXXXX", &path, &error);

  g_assert_no_error (error);
  g_assert_cmpint (write (fd, contents, len), ==, (gssize) len);
  close (fd);
  return path;
}

static void
test_bounds (void)
{
  static const char data[] = "0123456789";
  g_autofree char *path = temp_file (data, 10);
  gsize len = 99;

  g_autofree char *whole = ward_file_read_bounded (AT_FDCWD, path, 11, &len);
  g_assert_cmpuint (len, ==, 10);
  g_assert_cmpstr (whole, ==, data);

  g_autofree char *exact = ward_file_read_bounded (AT_FDCWD, path, 10, &len);
  g_assert_cmpuint (len, ==, 10);
  g_assert_cmpstr (exact, ==, data);

  g_autofree char *cut = ward_file_read_bounded (AT_FDCWD, path, 4, &len);
  g_assert_cmpuint (len, ==, 4);
  g_assert_cmpstr (cut, ==, "0123");

  g_autofree char *none = ward_file_read_bounded (AT_FDCWD, path, 0, &len);
  g_assert_cmpuint (len, ==, 0);
  g_assert_cmpstr (none, ==, "");
  unlink (path);
}

static void
test_nul_and_relative (void)
{
  g_autofree char *path = temp_file ("a\0b", 3);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gsize len = 0;

  g_assert_cmpint (dir_fd, >=, 0);
  g_autofree char *got = ward_file_read_bounded (dir_fd, base, 100, &len);
  g_assert_cmpuint (len, ==, 3);
  g_assert_cmpmem (got, 4, "a\0b\0", 4);
  close (dir_fd);
  unlink (path);
}

static void
test_refused (void)
{
  g_autofree char *path = temp_file ("x", 1);
  g_autofree char *link = g_strconcat (path, "-link", NULL);
  gsize len = 99;

  g_assert_cmpint (symlink (path, link), ==, 0);
  g_assert_null (ward_file_read_bounded (AT_FDCWD, link, 10, &len));
  g_assert_cmpuint (len, ==, 0);
  g_assert_null (ward_file_read_bounded (AT_FDCWD, "/nonexistent/ward-test", 10, &len));
  unlink (link);
  unlink (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/file/bounds", test_bounds);
  g_test_add_func ("/file/nul-and-relative", test_nul_and_relative);
  g_test_add_func ("/file/refused", test_refused);
  return g_test_run ();
}
