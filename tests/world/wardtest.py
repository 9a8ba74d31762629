"""Small checks the world tests share: assertions, logging, terminal state, process facts.

wardworld.py builds and drives the world; this module only observes. Import it as
``import wardtest as wt`` from any test that ward-world runs (tests/world is on its PYTHONPATH).
"""

import io
import json
import os
import re
import sys
import termios

import wardworld as ww


def check(condition, what):
    """Fail the test with WHAT unless CONDITION holds (also under python3 -O, unlike assert)."""
    if not condition:
        raise AssertionError(what)


def log(text):
    print(text, flush=True)


class Transcript(io.StringIO):
    """Everything a pexpect spawn printed, to search afterwards (before/after is a window)."""

    @property
    def text(self):
        return self.getvalue()

    def mark(self):
        return len(self.getvalue())

    def since(self, mark):
        return self.getvalue()[mark:]


def term_state(fd):
    """The parts of a terminal's modes an agent changes: iflag, lflag and VMIN."""
    attrs = termios.tcgetattr(fd)
    return attrs[0], attrs[3], attrs[6][termios.VMIN]


def check_sane(fd, before, what):
    """The terminal on FD is back to BEFORE (term_state) with echo, canonical mode and signals."""
    # The result line is printed just before the terminal is restored: allow a moment.
    try:
        ww.wait_for(lambda: term_state(fd) == before, 3)
    except TimeoutError:
        pass
    after = term_state(fd)
    check(after == before, "%s: terminal state %r, expected %r" % (what, after, before))
    lflag = after[1]
    check(lflag & termios.ECHO and lflag & termios.ICANON and lflag & termios.ISIG,
          "%s: echo/icanon/isig not on" % what)


def lines_starting(texts, prefix):
    """The lines of TEXTS (strings, each possibly of several lines) that start with PREFIX once
    leading blanks are stripped: a header line must appear exactly once."""
    lines = []
    for text in texts:
        lines += [line.strip() for line in re.split(r"\r?\n", text)]
    return [line for line in lines if line.startswith(prefix)]


def pids_named(comm):
    """The pids of the running processes whose comm is COMM."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/comm" % entry) as f:
                    if f.read().strip() == comm:
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))


def sanitized_build():
    """Whether the build under test (WARD_BUILD_ROOT) was configured with -Db_sanitize."""
    try:
        with open(os.path.join(os.environ.get("WARD_BUILD_ROOT", ""), "meson-info",
                               "intro-buildoptions.json")) as f:
            options = json.load(f)
    except OSError:
        return False
    return any(o["name"] == "b_sanitize" and o["value"] not in ("none", "") for o in options)


def run_case(cases, needs=(), require=None, label="case %s"):
    """A world test script's main(): run CASES[argv[1]] after REQUIRE (default: being inside the
    world) and after checking that every built program in NEEDS is there (else skip, exit 77)."""
    (require or ww.require_world)()
    for path in needs:
        if not os.access(path, os.X_OK):
            ww.skip("%s is not built" % os.path.basename(path))
    name = sys.argv[1]
    log(label % name)
    cases[name]()
    log("ok")
