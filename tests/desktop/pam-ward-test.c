/* pam_ward_test: a test-only PAM module that talks like a fingerprint reader's (suite 'desktop').
 * Never installed: the desktop tests copy it into the throw-away booted system and put it in
 * front of the helper's PAM stack.
 *
 * Its arguments are steps, done in order (PAM's [ ] quoting keeps spaces in an argument):
 *   info=TEXT        a PAM_TEXT_INFO message          error=TEXT   a PAM_ERROR_MSG message
 *   sleep=MS         wait MS milliseconds
 *   wait-file=PATH   wait until PATH exists (a finger on the reader), at most timeout-ms
 *   timeout-ms=MS    the bound for wait-file (default 30000); when it runs out: PAM_AUTHINFO_UNAVAIL
 *   result=success|ignore|auth_err|authinfo_unavail   what to return (default: ignore)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>

int pam_sm_authenticate (pam_handle_t *pamh, int flags, int argc, const char **argv);
int pam_sm_setcred (pam_handle_t *pamh, int flags, int argc, const char **argv);

static void
sleep_ms (long ms)
{
  struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

  while (nanosleep (&ts, &ts) != 0)
    ;
}

static int
parse_result (const char *name)
{
  if (strcmp (name, "success") == 0)
    return PAM_SUCCESS;
  if (strcmp (name, "auth_err") == 0)
    return PAM_AUTH_ERR;
  if (strcmp (name, "authinfo_unavail") == 0)
    return PAM_AUTHINFO_UNAVAIL;
  return PAM_IGNORE;
}

int
pam_sm_authenticate (pam_handle_t *pamh, int flags, int argc, const char **argv)
{
  long timeout_ms = 30000;
  int result = PAM_IGNORE;

  for (int i = 0; i < argc; i++)
    {
      const char *arg = argv[i];
      const char *value = strchr (arg, '=');
      if (value == NULL)
        continue;
      value++;

      if (strncmp (arg, "info=", 5) == 0)
        pam_info (pamh, "%s", value);
      else if (strncmp (arg, "error=", 6) == 0)
        pam_error (pamh, "%s", value);
      else if (strncmp (arg, "sleep=", 6) == 0)
        sleep_ms (strtol (value, NULL, 10));
      else if (strncmp (arg, "timeout-ms=", 11) == 0)
        timeout_ms = strtol (value, NULL, 10);
      else if (strncmp (arg, "result=", 7) == 0)
        result = parse_result (value);
      else if (strncmp (arg, "wait-file=", 10) == 0)
        {
          long waited = 0;
          while (access (value, F_OK) != 0)
            {
              if (waited >= timeout_ms)
                return PAM_AUTHINFO_UNAVAIL;
              sleep_ms (50);
              waited += 50;
            }
        }
    }
  return result;
}

int
pam_sm_setcred (pam_handle_t *pamh, int flags, int argc, const char **argv)
{
  return PAM_IGNORE;
}
