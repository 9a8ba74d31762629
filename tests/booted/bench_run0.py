#!/usr/bin/python3
"""`run0 true` with ward-tty against polkit's pkttyagent, in one booted Debian 13 system.

Usage (through ward-booted): bench_run0.py [--runs N] [--output FILE] [--json FILE]
A benchmark, not a test: it measures and reports, and fails only when a measurement could not
be made. bob's real logind session runs `run0 true`; alice (the only administrator here, so no
identity question) answers. Per run, from the moment the command line is entered:
  to prompt  until "Password: " is on the terminal (agent spawned, registered, polkitd asked
             it, the helper started and PAM sent its prompt);
  to exit    from the password's Enter until run0 has exited (helper, PAM, polkitd's grant,
             the transient unit run, the agent stopped).
The agents alternate (ward, pkttyagent, pkttyagent, ward, ...) so that drift in the machine's
load falls on both. Writes a Markdown table to FILE (default
$WARD_BOOTED_ARTIFACTS/bench-run0.md) and prints it; --json FILE also writes the samples
({"runs", "when", "system", "samples": {agent: [[to prompt s, to exit s], ...]}}), which
tests/bench/run hands to ward-bench for its section 1c and goals.
"""

import argparse
import json
import os
import statistics
import sys
import time

import booted as bw
import wardworld as ww
from wardtest import check, log

ALICE = ww.USERS["alice"]["password"]
OSC_BACKGROUND_QUERY = "\x1b]11;?\x1b\\"
OSC_BACKGROUND_REPLY = "\x1b]11;rgb:0000/0000/0000\x1b\\"


def one_run(sh):
    """One `run0 true`; returns (seconds to the prompt, seconds from the password to exit)."""
    marker = "WARD_RC_%d" % (time.monotonic_ns() % 100000000)
    sh.sendline("run0 true; echo %s=$?" % marker)
    start = time.monotonic()
    # run0 asks the terminal for its background colour (to tint it) and waits for the answer;
    # answer at once, as a terminal emulator does.
    sh.expect_exact(OSC_BACKGROUND_QUERY, timeout=30)
    sh.send(OSC_BACKGROUND_REPLY)
    sh.expect_exact("Password: ", timeout=30)
    prompt = time.monotonic()
    sh.sendline(ALICE)
    answered = time.monotonic()
    sh.expect(r"%s=(\d+)" % marker, timeout=30)
    ended = time.monotonic()
    check(sh.match.group(1) == "0", "run0 true failed")
    sh.expect_exact(bw.PROMPT)
    return prompt - start, ended - answered


def measure(runs):
    """RUNS alternating runs per agent in one booted system: {agent: [(to_prompt, to_exit)]}."""
    # One administrator: no identity question, the same prompt for both agents.
    bw.run(["gpasswd", "-d", "carol", "sudo"])
    samples = {"ward": [], "pkttyagent": []}
    order = ["ward", "pkttyagent"]
    # A warm-up run each (polkitd's first start, page cache), not counted.
    for agent in order:
        bw.use_agent(agent)
        sh = bw.login_shell("bob")
        one_run(sh)
        sh.close(force=True)
    for i in range(runs):
        for agent in (order if i % 2 == 0 else order[::-1]):
            bw.use_agent(agent)
            sh = bw.login_shell("bob")
            samples[agent].append(one_run(sh))
            sh.close(force=True)
    return samples


def table(samples, runs):
    def ms(values, f):
        return "%.1f" % (1000 * f(values))

    lines = ["| metric | agent | median ms | min ms | p90 ms | ratio of medians (ward / pkttyagent) |",
             "|---|---|---|---|---|---|"]
    for index, metric in enumerate(("start → Password: prompt", "password → run0 exited")):
        medians = {}
        for agent in ("ward", "pkttyagent"):
            values = sorted(s[index] for s in samples[agent])
            medians[agent] = statistics.median(values)
            p90 = values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))]
            lines.append("| %s | %s | %s | %s | %.1f | %s |" % (
                metric, {"ward": "ward-tty", "pkttyagent": "pkttyagent (polkit 126)"}[agent],
                ms(values, statistics.median), ms(values, min), 1000 * p90,
                "%.2f×" % (medians["ward"] / medians["pkttyagent"]) if agent == "pkttyagent"
                else ""))
    lines.append("")
    lines.append("%d runs per agent, alternating, one booted Debian 13 system (systemd 257, "
                 "polkit 126), bob's login session on a pty, `run0 true` answered by alice; "
                 "%s." % (runs, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=int(os.environ.get("WARD_BENCH_RUNS", 20)))
    parser.add_argument("--output", default=os.path.join(bw.ARTIFACTS, "bench-run0.md"))
    parser.add_argument("--json", help="also write the samples to this file, as JSON")
    args = parser.parse_args()
    bw.require_booted()
    samples = measure(args.runs)
    text = table(samples, args.runs)
    with open(args.output, "w") as f:
        f.write(text)
    if args.json:
        # "Debian 13.x, systemd 257.x, polkit 126": what was measured.
        debian = bw.output(["cat", "/etc/debian_version"], check_status=False).strip()
        systemd = bw.output(["systemctl", "--version"], check_status=False).split()[1:2]
        polkit = bw.output(["pkaction", "--version"], check_status=False).split()[-1:]
        system = "Debian %s, systemd %s, polkit %s" % (debian, "".join(systemd), "".join(polkit))
        with open(args.json, "w") as f:
            json.dump({"runs": args.runs, "system": system,
                       "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                       "samples": samples}, f)
    log(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
