/* bench-mapwatch: reports when top-level windows are mapped, unmapped and focused on $DISPLAY,
 * for ward's benchmark runner (tests/bench/ward-bench). Never installed.
 *
 * One line per event on stdout, flushed at once; times are CLOCK_MONOTONIC in nanoseconds (the
 * clock Python's time.monotonic_ns() reads):
 *   ready T                 the watch is armed
 *   map WINDOW T            a (non override-redirect) child of the root window was mapped
 *   unmap WINDOW T          it was unmapped or destroyed
 *   focus WINDOW T          the input focus went into it (polled every 2 ms for 3 s after map)
 * Event-driven, so the watcher does not steal CPU from the agents it measures.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <X11/Xlib.h>

static long long
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The child of the root window that contains @w (or None). */
static Window
toplevel_of (Display *dpy, Window root, Window w)
{
  while (w != None && w != PointerRoot && w != root)
    {
      Window r, parent, *children = NULL;
      unsigned int n;

      if (!XQueryTree (dpy, w, &r, &parent, &children, &n))
        return None;
      if (children != NULL)
        XFree (children);
      if (parent == root)
        return w;
      w = parent;
    }
  return None;
}

static int
ignore_errors (Display *dpy, XErrorEvent *ev)
{
  (void) dpy;
  (void) ev;
  return 0;
}

int
main (void)
{
  Display *dpy = XOpenDisplay (NULL);
  Window root, pending = None;
  long long pending_until = 0;

  if (dpy == NULL)
    {
      fprintf (stderr, "bench-mapwatch: cannot open display\n");
      return 1;
    }
  XSetErrorHandler (ignore_errors);
  root = DefaultRootWindow (dpy);
  XSelectInput (dpy, root, SubstructureNotifyMask);
  XSync (dpy, False);
  printf ("ready %lld\n", now_ns ());
  fflush (stdout);

  for (;;)
    {
      struct pollfd pfd = { .fd = ConnectionNumber (dpy), .events = POLLIN };

      while (XPending (dpy))
        {
          XEvent ev;

          XNextEvent (dpy, &ev);
          if (ev.type == MapNotify && ev.xmap.event == root && !ev.xmap.override_redirect)
            {
              printf ("map 0x%lx %lld\n", ev.xmap.window, now_ns ());
              pending = ev.xmap.window;
              pending_until = now_ns () + 3000000000LL;
            }
          else if (ev.type == UnmapNotify && ev.xunmap.event == root)
            printf ("unmap 0x%lx %lld\n", ev.xunmap.window, now_ns ());
          else if (ev.type == DestroyNotify && ev.xdestroywindow.event == root)
            printf ("unmap 0x%lx %lld\n", ev.xdestroywindow.window, now_ns ());
          fflush (stdout);
        }

      if (pending != None)
        {
          Window focus;
          int revert;

          XGetInputFocus (dpy, &focus, &revert);
          if (toplevel_of (dpy, root, focus) == pending)
            {
              printf ("focus 0x%lx %lld\n", pending, now_ns ());
              fflush (stdout);
              pending = None;
            }
          else if (now_ns () > pending_until)
            pending = None;
        }

      if (poll (&pfd, 1, pending != None ? 2 : -1) < 0)
        return 1;
      if (pfd.revents & (POLLERR | POLLHUP))
        return 0;
    }
}
