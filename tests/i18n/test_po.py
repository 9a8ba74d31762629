#!/usr/bin/python3
"""The translations are complete and valid (suite 'i18n'). Output is TAP.

Usage: test_po.py CHECK, CHECK one of:
  catalogues  every language of po/LINGUAS has a .po (and no .po is left out of LINGUAS);
              `msgfmt --check --check-accelerators=_ --statistics` accepts each one with no
              fuzzy and no untranslated message
  potfiles    every source file with a gettext call (_(), N_(), C_(), NC_(), ngettext) and
              every desktop file template under data/ is in po/POTFILES.in, and every listed
              file exists
  current     the strings in today's sources (xgettext over POTFILES.in, meson's glib preset)
              are all translated in every .po: a string added or changed since the last
              `ward-update-po` fails here until it is translated
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

SOURCE = os.environ.get("WARD_SOURCE_ROOT", "")
PO = os.path.join(SOURCE, "po")
SOURCE_DIRS = ["agent-tty", "agent-gtk", "helper", "common"]
GETTEXT_CALL = re.compile(r"(?<![A-Za-z0-9_])(_|N_|C_|NC_|g_dngettext|ngettext)\s*\(\s*\"")

# Exactly the arguments meson's i18n.gettext(preset: 'glib') gives xgettext.
XGETTEXT_GLIB = [
    "--from-code=UTF-8", "--add-comments",
    "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2", "--keyword=NC_:1c,2",
    "--keyword=g_dcgettext:2", "--keyword=g_dngettext:2,3", "--keyword=g_dpgettext2:2c,3",
    "--flag=N_:1:pass-c-format", "--flag=C_:2:pass-c-format", "--flag=NC_:2:pass-c-format",
    "--flag=g_dngettext:2:pass-c-format", "--flag=g_strdup_printf:1:c-format",
    "--flag=g_string_printf:2:c-format", "--flag=g_string_append_printf:2:c-format",
    "--flag=g_error_new:3:c-format", "--flag=g_set_error:4:c-format",
    "--flag=g_markup_printf_escaped:1:c-format", "--flag=g_log:3:c-format",
    "--flag=g_print:1:c-format", "--flag=g_printerr:1:c-format", "--flag=g_printf:1:c-format",
    "--flag=g_fprintf:2:c-format", "--flag=g_sprintf:2:c-format",
    "--flag=g_snprintf:3:c-format",
]

results = []


def ok(condition, name, diagnostic=""):
    results.append(bool(condition))
    print("%sok %d - %s" % ("" if condition else "not ", len(results), name), flush=True)
    if not condition and diagnostic:
        for line in str(diagnostic).strip().splitlines():
            print("# " + line, flush=True)
    return bool(condition)


def skip(reason):
    print("1..0 # SKIP %s" % reason, flush=True)
    sys.exit(77)


def run(argv, **kwargs):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          **kwargs)


def linguas():
    with open(os.path.join(PO, "LINGUAS")) as f:
        return [w for line in f for w in line.split("#")[0].split()]


def potfiles():
    with open(os.path.join(PO, "POTFILES.in")) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def need(*tools):
    for tool in tools:
        if shutil.which(tool) is None:
            skip("%s is not installed (gettext)" % tool)


def statistics(path):
    """msgfmt's verdict on PATH: (exit status, its statistics/errors text)."""
    out = run(["msgfmt", "--check", "--check-accelerators=_", "--statistics", "-o", os.devnull,
               path])
    return out.returncode, (out.stdout + out.stderr).strip()


def complete(status, text):
    return status == 0 and "translated message" in text and "fuzzy" not in text and \
        "untranslated" not in text


def check_catalogues():
    need("msgfmt")
    langs = linguas()
    ok(langs, "po/LINGUAS lists languages", "empty")
    for lang in ("de", "fr", "es", "pt_BR"):
        ok(lang in langs, "po/LINGUAS has %s" % lang)
    present = sorted(f[:-3] for f in os.listdir(PO) if f.endswith(".po"))
    ok(present == sorted(langs), "the .po files are exactly LINGUAS",
       "po files: %s; LINGUAS: %s" % (" ".join(present), " ".join(langs)))
    for lang in langs:
        path = os.path.join(PO, lang + ".po")
        if not os.path.exists(path):
            ok(False, "%s.po exists" % lang)
            continue
        status, text = statistics(path)
        ok(complete(status, text), "%s.po: msgfmt --check, no fuzzy or untranslated (%s)"
           % (lang, text.splitlines()[-1] if text else ""), text)


def check_potfiles():
    listed = potfiles()
    missing_files = [p for p in listed if not os.path.isfile(os.path.join(SOURCE, p))]
    ok(not missing_files, "every file in POTFILES.in exists", "\n".join(missing_files))
    wanted = []
    for d in SOURCE_DIRS:
        top = os.path.join(SOURCE, d)
        if not os.path.isdir(top):
            continue
        for name in sorted(os.listdir(top)):
            if not name.endswith((".c", ".h")):
                continue
            with open(os.path.join(top, name), errors="replace") as f:
                if GETTEXT_CALL.search(f.read()):
                    wanted.append(d + "/" + name)
    data = os.path.join(SOURCE, "data")
    for name in sorted(os.listdir(data)) if os.path.isdir(data) else []:
        if name.endswith((".desktop.in", ".metainfo.xml.in", ".policy.in")):
            wanted.append("data/" + name)
    not_listed = [p for p in wanted if p not in listed]
    ok(not not_listed, "every source file with translatable strings is in POTFILES.in (%d)"
       % len(wanted), "not listed: " + " ".join(not_listed))


def check_current():
    need("xgettext", "msgmerge", "msgfmt")
    with tempfile.TemporaryDirectory(prefix="ward-i18n-") as tmp:
        pot = os.path.join(tmp, "ward.pot")
        listed = [p for p in potfiles() if os.path.isfile(os.path.join(SOURCE, p))]
        out = run(["xgettext", "--package-name=ward", "-o", pot] + XGETTEXT_GLIB + listed,
                  cwd=SOURCE)
        if not ok(out.returncode == 0 and os.path.exists(pot),
                  "xgettext extracts today's strings", out.stderr):
            return
        with open(pot) as f:
            count = f.read().count("\nmsgid ") - 1
        ok(count > 0, "the sources have translatable strings (%d)" % count)
        for lang in linguas():
            path = os.path.join(PO, lang + ".po")
            merged = os.path.join(tmp, lang + ".po")
            out = run(["msgmerge", "--quiet", "-o", merged, path, pot])
            if not ok(out.returncode == 0, "msgmerge %s.po" % lang, out.stderr):
                continue
            status, text = statistics(merged)
            problems = untranslated_ids(merged)
            ok(complete(status, text), "%s.po translates every current string (%s)"
               % (lang, text.splitlines()[-1] if text else ""),
               text + "\n" + "\n".join("needs translation: %r" % m for m in problems[:20]) +
               "\nrun `meson compile -C BUILD ward-update-po` and translate")


def untranslated_ids(path):
    out = run(["msgattrib", "--untranslated", "--no-obsolete", path])
    out2 = run(["msgattrib", "--only-fuzzy", "--no-obsolete", path])
    ids = []
    for text in (out.stdout, out2.stdout):
        for block in text.split("\n\n"):
            m = re.search(r'^msgid (".*"(?:\n".*")*)', block, re.M)
            if m:
                s = "".join(re.findall(r'"(.*)"', m.group(1)))
                if s:
                    ids.append(s)
    return ids


CHECKS = {"catalogues": check_catalogues, "potfiles": check_potfiles, "current": check_current}


def main():
    if not SOURCE or len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        print("usage: test_po.py %s (with WARD_SOURCE_ROOT set)" % "|".join(CHECKS),
              file=sys.stderr)
        return 2
    CHECKS[sys.argv[1]]()
    print("1..%d" % len(results), flush=True)
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
