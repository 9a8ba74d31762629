#!/bin/sh
# session.sh KIND TARGET: bob's graphical session in the booted world, started the way a
# display manager and a session manager start one (tests/desktop/README.md). It runs as the
# user, as the leader of the logind session that pam_systemd made for it (systemd-run
# -p PAMName=login -E XDG_SESSION_TYPE=KIND), and:
#   1. starts the display server: Xvfb (KIND x11), or weston on a virtual output (KIND wayland:
#      its x11 backend in a private Xvfb that only weston talks to; the tests type into that
#      Xvfb and the keys reach weston's seat);
#   2. imports the session's environment into the user manager;
#   3. starts TARGET, a session target that binds graphical-session.target;
#   4. waits; on SIGTERM (logout, loginctl terminate-session) stops TARGET, which stops
#      graphical-session.target and everything PartOf it, then the display server.
# It writes $XDG_RUNTIME_DIR/ward-test-session.env (the session's environment) once TARGET is
# reached.
set -u
kind=$1 target=$2
ready=$XDG_RUNTIME_DIR/ward-test-session.env
rm -f "$ready"

wait_for() {
  i=0
  while [ ! -e "$1" ]; do
    i=$((i + 1))
    [ $i -gt 200 ] && { echo "session.sh: no $1 after 20 s" >&2; exit 1; }
    sleep 0.1
  done
}

case $kind in
  x11)
    Xvfb :5 -screen 0 1280x1024x24 -nolisten tcp -noreset >/dev/null 2>&1 &
    server=$!
    wait_for /tmp/.X11-unix/X5
    export DISPLAY=:5
    vars=DISPLAY ;;
  wayland)
    Xvfb :6 -screen 0 1280x1024x24 -nolisten tcp -noreset >/dev/null 2>&1 &
    xserver=$!
    wait_for /tmp/.X11-unix/X6
    # No idle blanking or lock screen, no animations (screenshots would catch them), no
    # on-screen keyboard.
    conf=$XDG_RUNTIME_DIR/weston.ini
    printf '%s\n' "[core]" "idle-time=0" "[shell]" "locking=false" "animation=none" \
      "close-animation=none" "startup-animation=none" "focus-animation=none" \
      "[input-method]" "path=" >"$conf"
    DISPLAY=:6 weston --backend=x11 --config="$conf" --width=1280 --height=1024 --use-pixman \
      --socket=wayland-ward --idle-time=0 --log="$XDG_RUNTIME_DIR/weston.log" >/dev/null 2>&1 &
    server=$!
    wait_for "$XDG_RUNTIME_DIR/wayland-ward"
    export WAYLAND_DISPLAY=wayland-ward
    vars=WAYLAND_DISPLAY ;;
  *) echo "session.sh: KIND is x11 or wayland" >&2; exit 2 ;;
esac

stop() {
  systemctl --user stop "$target"
  systemctl --user unset-environment $vars XDG_SESSION_TYPE XDG_CURRENT_DESKTOP \
    XDG_SESSION_DESKTOP XDG_SESSION_ID
  kill "$server" ${xserver:-} 2>/dev/null
  wait
  exit 0
}
trap stop TERM INT HUP

systemctl --user import-environment $vars XDG_SESSION_TYPE XDG_CURRENT_DESKTOP \
  XDG_SESSION_DESKTOP XDG_SESSION_ID || exit 1
systemctl --user start "$target" || exit 1
{
  echo "DISPLAY=${DISPLAY:-}"
  echo "WAYLAND_DISPLAY=${WAYLAND_DISPLAY:-}"
  echo "X_FOR_KEYS=${DISPLAY:-:6}"
  echo "XDG_SESSION_ID=${XDG_SESSION_ID:-}"
  echo "XDG_CURRENT_DESKTOP=${XDG_CURRENT_DESKTOP:-}"
} >"$ready.new" && mv "$ready.new" "$ready"

# The display server's end ends the session.
while kill -0 "$server" 2>/dev/null; do
  sleep 1 &
  wait $!
done
stop
