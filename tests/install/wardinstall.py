"""The build, installed and laid over its real prefix inside a ward-world (tests/world).

`meson install --no-rebuild --destdir` writes into the world's folder; a read-only overlayfs
mount then shows DESTDIR/PREFIX on top of PREFIX, in the world's private mount namespace only.
The programs run from their installed paths and find their catalogues, dialog and helper where
they were built to look, as on a packaged system; nothing on the host changes.
"""

import gettext
import json
import os
import subprocess

import wardworld as ww

BUILD = os.environ.get("WARD_BUILD_ROOT", "")


class Installed:
    def __init__(self, meson):
        out = subprocess.run([meson, "introspect", "--buildoptions", BUILD],
                             stdout=subprocess.PIPE, text=True, check=True)
        opts = {o["name"]: o["value"] for o in json.loads(out.stdout)}
        self.options = opts
        self.prefix = opts["prefix"]
        self.bindir = os.path.join(self.prefix, opts["bindir"])
        self.libexecdir = os.path.join(self.prefix, opts["libexecdir"])
        self.localedir = os.path.join(self.prefix, opts["localedir"])
        self.destdir = os.path.join(ww.world_dir(), "destdir")
        if not os.path.isdir(self.prefix):
            ww.skip("the prefix %s does not exist on this system" % self.prefix)
        env = dict(os.environ)
        env.pop("DESTDIR", None)
        inst = subprocess.run([meson, "install", "-C", BUILD, "--no-rebuild", "--quiet",
                               "--destdir", self.destdir], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if inst.returncode != 0:
            raise AssertionError("meson install failed:\n" + inst.stdout)
        lower = "%s:%s" % (self.destdir + self.prefix, self.prefix)
        mount = subprocess.run(["mount", "-t", "overlay", "ward-installed", "-o",
                                "lowerdir=" + lower, self.prefix],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if mount.returncode != 0:
            ww.skip("cannot overlay the DESTDIR on %s: %s" % (self.prefix, mount.stdout.strip()))
        print("installed into %s, overlaid on %s" % (self.destdir, self.prefix), flush=True)

    def catalogue(self, lang):
        return gettext.translation("ward", self.localedir, [lang])

    def staged(self, path):
        """The DESTDIR copy of installed PATH."""
        return self.destdir + path


def writable(path):
    """Make PATH writable inside the world: an overlay with its upper layer on a fresh tmpfs
    (overlayfs refuses an upper layer on another overlay, as / may be in a container)."""
    scratch = os.path.join(ww.world_dir(), "rw" + path.replace("/", "_"))
    os.makedirs(scratch)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", scratch], check=True)
    os.makedirs(os.path.join(scratch, "upper"))
    os.makedirs(os.path.join(scratch, "work"))
    mount = subprocess.run(["mount", "-t", "overlay", "ward-rw", "-o",
                            "lowerdir=%s,upperdir=%s/upper,workdir=%s/work"
                            % (path, scratch, scratch), path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if mount.returncode != 0:
        ww.skip("cannot make %s writable in the world: %s" % (path, mount.stdout.strip()))
