#!/usr/bin/python3
"""The installed programs speak the user's language (suite 'i18n'), in the polkit world.

Usage (inside ward-world): test_translated.py MESON CASE.

The build is installed into a DESTDIR laid over its real prefix (tests/install/wardinstall.py):
the programs run from their installed paths and find their catalogues in the LOCALEDIR they were
built with, as on a packaged system. Nothing on the host changes.

Cases:
  help         `--help` of each installed program, run as bob under LANG=<locale> for every
               language of po/LINGUAS, prints the catalogue's translation of its summary
  prompt       ward-tty as bob under LANG=de_DE.UTF-8 answers a real pkcheck: the header, the
               identity question, the retry message and the result are German, and so is the
               action's message, which polkitd localises from the locale ward-tty registered
               with (org.freedesktop.policykit.exec has German messages in Debian's polkitd)
  lc-messages  LANG=C.UTF-8 and LC_MESSAGES=de_DE.UTF-8: ward-tty's own text and polkitd's
               message are both German (ward registers LC_ALL, else LC_MESSAGES, else LANG,
               the variable that decides the language of messages)
  latin1       LANG=de_DE.ISO-8859-1, a terminal that does not use UTF-8: the same German
               conversation, written in Latin-1 ("können" with the byte 0xf6), and no byte in
               0x80-0x9f on the terminal (issue 16, item 3)
"""

import gettext
import io
import os
import subprocess
import sys

import wardworld as ww

sys.path.insert(0, os.path.join(os.environ.get("WARD_SOURCE_ROOT", ""), "tests", "install"))
from wardinstall import Installed  # noqa: E402

BUILD = os.environ.get("WARD_BUILD_ROOT", "")
SOURCE = os.environ.get("WARD_SOURCE_ROOT", "")
LOCALES = {"de": "de_DE.UTF-8", "fr": "fr_FR.UTF-8", "es": "es_ES.UTF-8",
           "pt_BR": "pt_BR.UTF-8"}
ACTION = "org.freedesktop.policykit.exec"
ALICE = ww.USERS["alice"]["password"]
# pam_unix's "Password: " comes from the helper in the system's locale; the agents show their
# own translation of it instead, so the German prompt is required.
PASSWORD_PROMPT = r"%s: "


def check(condition, what):
    if not condition:
        raise AssertionError(what)


def log(text):
    print(text, flush=True)


def langs():
    with open(os.path.join(SOURCE, "po", "LINGUAS")) as f:
        return [w for line in f for w in line.split("#")[0].split()]


def normal_locale(name):
    """de_DE.UTF-8, de_DE.utf8 -> de_de.utf8; de_DE.ISO-8859-1 -> de_de.iso88591 (locale -a)."""
    return name.strip().lower().replace("-", "")


def available_locales():
    out = subprocess.run(["locale", "-a"], stdout=subprocess.PIPE, text=True).stdout
    return {normal_locale(l) for l in out.splitlines()}


def require_locale(locale):
    if normal_locale(locale) not in available_locales():
        ww.skip("locale %s is not installed (tools/install-deps installs it)" % locale)


# ---- help ----

SUMMARIES = {
    "ward-tty": "Answer polkit authentication requests on the terminal.",
    "ward-helper": "Authenticates a user for polkit on behalf of the agent connected to its "
                   "socket.",
    "ward-gtk": "polkit authentication agent for a desktop session: asks for passwords in a "
                "small GTK dialog.",
}


def case_help(inst):
    programs = {"ward-tty": os.path.join(inst.bindir, "ward-tty"),
                "ward-helper": os.path.join(inst.libexecdir, "ward-helper"),
                "ward-gtk": os.path.join(inst.libexecdir, "ward-gtk")}
    for lang in langs():
        locale = LOCALES.get(lang)
        check(locale is not None, "no locale known for %s: add it to LOCALES" % lang)
        require_locale(locale)
        cat = inst.catalogue(lang)
        for name, path in programs.items():
            if not os.path.exists(path):
                log("%s is not installed (not built here)" % name)
                continue
            english = SUMMARIES[name]
            if name == "ward-helper":
                msgid = ("Usage: %s\n\nAuthenticates a user for polkit on behalf of the agent "
                         "connected to its socket.\nStarted by systemd through "
                         "ward-helper.socket; not meant to be run by hand.\n")
                translated = cat.gettext(msgid).split("\n")[2]
            else:
                translated = cat.gettext(english)
            check(translated != english, "%s: %r has no %s translation" % (name, english, lang))
            out = ww.run_as_sync("bob", [path, "--help"], env={"LANG": locale, "DISPLAY": None})
            log("%s --help under %s: exit %d, %r" % (name, locale, out.returncode,
                                                     out.stdout[:200]))
            check(out.returncode == 0, "%s --help failed: %s" % (name, out.stderr))
            check(translated in out.stdout, "%s --help under %s lacks %r:\n%s"
                  % (name, locale, translated, out.stdout))
            check(english not in out.stdout, "%s --help under %s still has English" % (name,
                                                                                       locale))


# ---- prompt ----

def polkit_message(lang):
    """The action's message in Debian's policy file for LANG (and the English one)."""
    import xml.etree.ElementTree as ET
    tree = ET.parse("/usr/share/polkit-1/actions/org.freedesktop.policykit.policy")
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    for action in tree.getroot().iter("action"):
        if action.get("id") != ACTION:
            continue
        english, translated = None, None
        for m in action.iter("message"):
            if m.get(xml_lang) is None:
                english = m.text.strip()
            elif m.get(xml_lang) == lang:
                translated = m.text.strip()
        return english, translated
    return None, None


def german_prompt(inst, env, encoding="utf-8"):
    de = inst.catalogue("de")
    english_msg, german_msg = polkit_message("de")
    if german_msg is None:
        ww.skip("%s has no German message in this polkit's policy file" % ACTION)
    agent_path = os.path.join(inst.bindir, "ward-tty")
    subject = ww.popen_as("bob", ["sleep", "600"])
    r, w = ww.notify_pipe()
    try:
        agent = ww.run_as("bob", [agent_path, "--process", str(subject.pid), "--notify-fd",
                                  str(w)], pass_fds=(w,), env=env, encoding=encoding)
    finally:
        os.close(w)
    agent.logfile_read = io.StringIO()
    ww.wait_notified(r, 15)
    pk = ww.popen_as("bob", ["pkcheck", "--action-id", ACTION, "--process", str(subject.pid),
                             "--allow-user-interaction"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        agent.expect_exact(de.gettext("=== Authentication required ==="))
        agent.expect_exact(german_msg)
        agent.expect_exact(de.gettext("  Action:       %s\n").replace("%s\n", ACTION))
        agent.expect_exact(de.gettext("Several users may authorize this:\n").strip())
        agent.expect_exact(de.gettext("Authenticate as which user? [%u]: ").replace("%u", "1"))
        agent.sendline("")
        agent.expect_exact(de.gettext("Authenticating as: %s\n").split("%s")[0])
        # pam_unix's prompt comes from the helper in English (polkit's setuid helper clears its
        # environment and never calls setlocale(); pkttyagent shows it so); ward shows its own
        # translation of that plain prompt instead.
        agent.expect(PASSWORD_PROMPT % de.gettext("Password: ").strip(": "))
        agent.sendline("wrong-password")
        agent.expect_exact(de.gettext("Sorry, that did not work. Please try again."),
                           timeout=30)
        agent.expect(PASSWORD_PROMPT % de.gettext("Password: ").strip(": "))
        agent.sendline(ALICE)
        agent.expect_exact(de.gettext("=== Authentication succeeded ==="), timeout=30)
        out, err = pk.communicate(timeout=30)
        log("pkcheck exited %d %s %s" % (pk.returncode, out.strip(), err.strip()))
        check(pk.returncode == 0, "pkcheck was not authorized")
    finally:
        transcript = agent.logfile_read.getvalue()
        log("---- ward-tty transcript ----\n" + transcript + "\n----")
        agent.terminate(force=True)
        subject.kill()
        if pk.poll() is None:
            pk.kill()
    check(english_msg not in transcript, "polkitd's message arrived in English")
    check("=== Authentication required ===" not in transcript, "ward-tty spoke English")
    check(ALICE not in transcript, "the password was echoed")
    return transcript


def case_prompt(inst):
    require_locale("de_DE.UTF-8")
    german_prompt(inst, {"LANG": "de_DE.UTF-8"})


def case_lc_messages(inst):
    require_locale("de_DE.UTF-8")
    german_prompt(inst, {"LANG": "C.UTF-8", "LC_MESSAGES": "de_DE.UTF-8"})


def case_latin1(inst):
    locale = "de_DE.ISO-8859-1"
    require_locale(locale)
    # Decoded as Latin-1, the German text matches only if ward-tty wrote Latin-1 bytes.
    transcript = german_prompt(inst, {"LANG": locale}, encoding="latin-1")
    c1 = [c for c in transcript if "\x80" <= c <= "\x9f"]
    check(not c1, "bytes in 0x80-0x9f reached the terminal: %r" % c1)
    check("k\u00f6nnen" in transcript, "no Latin-1 umlaut in ward-tty's own text")


CASES = {"help": case_help, "prompt": case_prompt, "lc-messages": case_lc_messages,
         "latin1": case_latin1}


def main():
    ww.require_world()
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print("usage: test_translated.py MESON %s" % "|".join(CASES), file=sys.stderr)
        return 2
    name = sys.argv[2]
    log("case %s" % name)
    inst = Installed(sys.argv[1])
    CASES[name](inst)
    log("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
