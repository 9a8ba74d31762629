#!/usr/bin/python3
"""`meson install` into a temporary DESTDIR gives the FHS layout ward promises (suite 'install').

Usage: test_install.py MESON [KEEP_DIR]. Output is TAP. The expected file list is written down
here from the build's options (prefix and its folders, the systemd unit folders pkg-config gives
for that prefix, LINGUAS, gtk, scdoc, pkttyagent_link), independently of the meson.build files,
and compared with both what the build says it will install (`meson introspect --installed`)
and what `meson install --no-rebuild --destdir` really writes. Then the installed units and the
autostart file must start installed programs, and every installed program must answer
--version and --help.
"""

import configparser
import gettext
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

BUILD = os.environ.get("WARD_BUILD_ROOT", "")
SOURCE = os.environ.get("WARD_SOURCE_ROOT", "")

results = []


def skip_all(reason):
    print("1..0 # SKIP %s" % reason, flush=True)
    sys.exit(77)


def ok(condition, name, diagnostic=""):
    results.append(bool(condition))
    print("%sok %d - %s" % ("" if condition else "not ", len(results), name), flush=True)
    if not condition and diagnostic:
        for line in str(diagnostic).splitlines():
            print("# " + line, flush=True)
    return bool(condition)


def run(argv, **kwargs):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          **kwargs)


def options(meson):
    out = run([meson, "introspect", "--buildoptions", BUILD])
    if out.returncode != 0:
        skip_all("meson introspect failed: " + out.stderr.strip())
    return {o["name"]: o["value"] for o in json.loads(out.stdout)}


def pkg_var(variable, define, prefix, fallback):
    out = run(["pkg-config", "--define-variable=%s=%s" % (define, prefix), "--variable=" + variable,
               "systemd"])
    if out.returncode == 0 and out.stdout.strip():
        return out.stdout.strip()
    return fallback


def gtk_expected(opts):
    if opts.get("gtk") == "disabled":
        return False
    return run(["pkg-config", "--atleast-version=4.8", "gtk4"]).returncode == 0


def linguas():
    with open(os.path.join(SOURCE, "po", "LINGUAS")) as f:
        return [w for line in f for w in line.split("#")[0].split()]


def expected_layout(opts):
    prefix = opts["prefix"]

    def d(name):
        return os.path.join(prefix, opts[name])

    bindir, libexecdir, sysconfdir = d("bindir"), d("libexecdir"), d("sysconfdir")
    localedir, mandir, datadir = d("localedir"), d("mandir"), d("datadir")
    system_units = pkg_var("systemdsystemunitdir", "root_prefix", prefix,
                           os.path.join(prefix, "lib/systemd/system"))
    user_units = pkg_var("systemduserunitdir", "prefix", prefix,
                         os.path.join(prefix, "lib/systemd/user"))
    gtk = gtk_expected(opts)
    man = shutil.which("scdoc") is not None

    files = {
        os.path.join(bindir, "ward-tty"): "program",
        os.path.join(libexecdir, "ward-helper"): "program",
        os.path.join(system_units, "ward-helper.socket"): "unit",
        os.path.join(system_units, "ward-helper@.service"): "unit",
        os.path.join(datadir, "doc", "ward", "ward-helper-pam-drop-in.conf.example"): "data",
    }
    for lang in linguas():
        files[os.path.join(localedir, lang, "LC_MESSAGES", "ward.mo")] = "mo"
    if man:
        files[os.path.join(mandir, "man1", "ward-tty.1")] = "man"
        files[os.path.join(mandir, "man8", "ward-helper.8")] = "man"
    if gtk:
        files[os.path.join(libexecdir, "ward-gtk")] = "program"
        files[os.path.join(libexecdir, "ward-gtk-dialog")] = "program"
        files[os.path.join(user_units, "ward-gtk.service")] = "unit"
        files[os.path.join(sysconfdir, "xdg", "autostart", "ward-gtk.desktop")] = "desktop"
        files[os.path.join(user_units, "app-ward\\x2dgtk@autostart.service.d",
                           "ward-gtk.conf")] = "dropin"
        if man:
            files[os.path.join(mandir, "man1", "ward-gtk.1")] = "man"
    if opts.get("pkttyagent_link"):
        files[os.path.join(bindir, "pkttyagent")] = "link"
    return files, {"libexecdir": libexecdir, "bindir": bindir, "gtk": gtk, "man": man,
                   "system_units": system_units, "user_units": user_units}


def destdir_files(root):
    found = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [n for n in dirnames if os.path.islink(os.path.join(dirpath, n))]:
            found.add("/" + os.path.relpath(os.path.join(dirpath, name), root))
    return found


def describe_diff(want, have):
    lines = ["missing: " + p for p in sorted(set(want) - set(have))]
    lines += ["unexpected: " + p for p in sorted(set(have) - set(want))]
    return "\n".join(lines)


def exec_programs(path):
    """The programs a unit or desktop file starts: first word of each Exec*= value."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(path)
    programs = []
    for section in parser.sections():
        for key, value in parser.items(section):
            if key in ("Exec", "TryExec") or (key.startswith("Exec") and section == "Service"):
                word = value.split()[0] if value.split() else ""
                programs.append((key, word.lstrip("-@:+!")))
    return parser, programs


def main():
    if len(sys.argv) < 2 or not BUILD or not SOURCE:
        skip_all("usage: test_install.py MESON (with WARD_BUILD_ROOT and WARD_SOURCE_ROOT set)")
    meson = sys.argv[1]
    opts = options(meson)
    want, info = expected_layout(opts)
    print("# prefix %s, gtk %s, man pages %s, pkttyagent link %s" %
          (opts["prefix"], info["gtk"], info["man"], bool(opts.get("pkttyagent_link"))),
          flush=True)

    # What the build says it will install.
    out = run([meson, "introspect", "--installed", BUILD])
    planned = set(json.loads(out.stdout).values()) if out.returncode == 0 else set()
    planned_want = set(want)
    ok(planned == planned_want, "meson introspect --installed lists exactly the FHS layout",
       describe_diff(planned_want, planned))

    keep = sys.argv[2] if len(sys.argv) > 2 else None
    tmp = tempfile.mkdtemp(prefix="ward-install-")
    destdir = keep or os.path.join(tmp, "destdir")
    try:
        env = dict(os.environ)
        env.pop("DESTDIR", None)
        inst = run([meson, "install", "-C", BUILD, "--no-rebuild", "--quiet",
                    "--destdir", destdir], env=env)
        if not ok(inst.returncode == 0, "meson install --no-rebuild --destdir exits 0",
                  inst.stdout + inst.stderr):
            return finish()

        have = destdir_files(destdir)
        ok(have == set(want), "DESTDIR holds exactly the FHS layout", describe_diff(want, have))

        def real(path):
            return destdir + path

        # Modes: programs 0755, everything else 0644, nothing writable by others or setuid.
        bad = []
        for path, kind in want.items():
            st = os.lstat(real(path)) if os.path.lexists(real(path)) else None
            if st is None or kind == "link":
                continue
            mode = stat.S_IMODE(st.st_mode)
            wanted = 0o755 if kind == "program" else 0o644
            if mode != wanted:
                bad.append("%s: %o, want %o" % (path, mode, wanted))
        ok(not bad, "file modes (programs 0755, data 0644, no setuid)", "\n".join(bad))

        # No build or source folder leaks into installed data, and no RUNPATH into the build.
        leaks = []
        for path, kind in want.items():
            if kind in ("unit", "desktop", "dropin", "data", "man") and os.path.isfile(real(path)):
                with open(real(path), errors="replace") as f:
                    text = f.read()
                for root in (BUILD, SOURCE):
                    if root in text:
                        leaks.append("%s mentions %s" % (path, root))
            if kind == "program" and shutil.which("readelf") and os.path.isfile(real(path)):
                dyn = run(["readelf", "-d", real(path)]).stdout
                for line in dyn.splitlines():
                    if "RPATH" in line or "RUNPATH" in line:
                        leaks.append("%s: %s" % (path, line.strip()))
        ok(not leaks, "installed files do not point into the build or source tree",
           "\n".join(leaks))

        # Units and the autostart file start installed programs.
        programs = {p for p, kind in want.items() if kind == "program"}
        problems = []
        unit_files = [p for p, kind in want.items() if kind in ("unit", "desktop")]
        for path in unit_files:
            if not os.path.isfile(real(path)):
                continue
            parser, execs = exec_programs(real(path))
            if path.endswith(".service") and not any(k == "ExecStart" for k, _ in execs):
                problems.append("%s has no ExecStart=" % path)
            if path.endswith(".desktop") and not any(k == "Exec" for k, _ in execs):
                problems.append("%s has no Exec=" % path)
            for key, program in execs:
                if program not in programs:
                    problems.append("%s: %s=%s is not an installed program" % (path, key, program))
                elif not os.access(real(program), os.X_OK):
                    problems.append("%s: %s=%s is not executable in DESTDIR" % (path, key,
                                                                                program))
            if path.endswith(".socket"):
                listen = parser.get("Socket", "ListenStream", fallback=None)
                if listen != opts["helper_socket"]:
                    problems.append("%s: ListenStream=%s, want %s" % (path, listen,
                                                                       opts["helper_socket"]))
        helper_service = os.path.join(info["system_units"], "ward-helper@.service")
        if helper_service in want and os.path.isfile(real(helper_service)):
            _, execs = exec_programs(real(helper_service))
            if ("ExecStart", os.path.join(info["libexecdir"], "ward-helper")) not in execs:
                problems.append("ward-helper@.service does not start libexecdir/ward-helper: %r"
                                % execs)
        if info["gtk"]:
            unit = os.path.join(info["user_units"], "ward-gtk.service")
            if os.path.isfile(real(unit)):
                _, execs = exec_programs(real(unit))
                if ("ExecStart", os.path.join(info["libexecdir"], "ward-gtk")) not in execs:
                    problems.append("ward-gtk.service does not start libexecdir/ward-gtk: %r"
                                    % execs)
            # Under systemd the autostart entry starts that unit (no second copy of ward-gtk).
            dropin = [p for p, kind in want.items() if kind == "dropin"][0]
            text = open(real(dropin)).read() if os.path.isfile(real(dropin)) else ""
            lines = [line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#")]
            if lines != ["[Service]", "ExecStart=",
                         "ExecStart=systemctl --user --no-block start ward-gtk.service"]:
                problems.append("%s does not start ward-gtk.service: %r" % (dropin, lines))
        ok(not problems and unit_files, "installed units and autostart file start installed "
           "programs", "\n".join(problems))

        # The autostart file: valid and translated into every language of LINGUAS.
        if info["gtk"]:
            desktop = [p for p, kind in want.items() if kind == "desktop"][0]
            text = open(real(desktop)).read() if os.path.isfile(real(desktop)) else ""
            missing = ["%s[%s]" % (key, lang) for lang in linguas() for key in ("Name", "Comment")
                       if "\n%s[%s]=" % (key, lang) not in text]
            ok(text and not missing, "the autostart file is translated (%s)" % " ".join(linguas()),
               "missing: %s (a stale build? i18n.merge_file does not track po/*.po: remove "
               "the built ward-gtk.desktop)" % " ".join(missing))
            if shutil.which("desktop-file-validate"):
                val = run(["desktop-file-validate", real(desktop)])
                ok(val.returncode == 0 and not val.stdout.strip(),
                   "desktop-file-validate accepts the installed autostart file",
                   val.stdout + val.stderr)

        # The catalogues translate, and the man pages are troff.
        bad = []
        for lang in linguas():
            localedir = os.path.join(opts["prefix"], opts["localedir"])
            try:
                t = gettext.translation("ward", destdir + localedir, [lang])
                probe = "=== Authentication required ==="
                if t.gettext(probe) == probe:
                    bad.append("%s: %r is not translated" % (lang, probe))
            except OSError as e:
                bad.append("%s: %s" % (lang, e))
        ok(not bad, "installed catalogues load and translate", "\n".join(bad))
        if info["man"]:
            bad = []
            for path, kind in want.items():
                if kind == "man" and os.path.isfile(real(path)):
                    with open(real(path)) as f:
                        if "\n.TH " not in "\n" + f.read():
                            bad.append(path)
            ok(not bad, "man pages are troff with a .TH header", "\n".join(bad))

        if opts.get("pkttyagent_link"):
            link = os.path.join(info["bindir"], "pkttyagent")
            ok(os.path.islink(real(link)) and os.readlink(real(link)) == "ward-tty",
               "bindir/pkttyagent is a relative link to ward-tty")

        # Every installed program answers --version and --help.
        for path in sorted(programs):
            if not os.path.isfile(real(path)):
                continue
            name = os.path.basename(path)
            env = dict(os.environ, LANG="C.UTF-8", LC_ALL="C.UTF-8")
            env.pop("DISPLAY", None)
            env.pop("WAYLAND_DISPLAY", None)
            v = run([real(path), "--version"], env=env, timeout=30)
            ok(v.returncode == 0 and v.stdout.strip() == "%s %s" % (name, project_version(meson)),
               "%s --version" % name, "exit %d\n%s%s" % (v.returncode, v.stdout, v.stderr))
            h = run([real(path), "--help"], env=env, timeout=30)
            ok(h.returncode == 0 and name in h.stdout and len(h.stdout.splitlines()) >= 2,
               "%s --help" % name, "exit %d\n%s%s" % (h.returncode, h.stdout, h.stderr))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish()


def project_version(meson):
    out = run([meson, "introspect", "--projectinfo", BUILD])
    return json.loads(out.stdout)["version"]


def finish():
    print("1..%d" % len(results), flush=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
