#!/usr/bin/python3
"""Open a reply draft over WebDAV in LibreOffice, edit it, save it, close it.

Driven by libreoffice_test.go, the way an agent works: LibreOffice asks for a
password, this script's interaction handler answers it, LibreOffice LOCKs the
file, the text is changed, the document is stored (PUT with the lock token)
and closed (UNLOCK).

Usage: lo_edit.py SOFFICE PROFILE_DIR URL LOGIN PASSWORD MARKER

Protocol with the test, one line each on stdout: "OPENED" once the document
is open (and locked); the script then waits for one line on stdin before it
edits and saves, so that the test can check the lock meanwhile. At the end a
line "RESULT {json}" gives the timings in seconds. Errors go to stderr and
the exit status is non-zero.
"""

import json
import os
import subprocess
import sys
import time
import uuid

import uno
import unohelper
from com.sun.star.beans import PropertyValue
from com.sun.star.task import XInteractionHandler


def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


class Credentials(unohelper.Base, XInteractionHandler):
    """Answers LibreOffice's authentication request with the agent's login;
    any other question is answered with the first safe continuation, and
    recorded, so that the test sees what LibreOffice asked."""

    def __init__(self, login, password):
        self.login = login
        self.password = password
        self.asked = []

    def handle(self, request):
        try:
            self._handle(request)
        except Exception as e:  # an exception here would silently abort LibreOffice's request
            print("lo_edit.py: interaction handler: %s: %s" % (type(e).__name__, e), file=sys.stderr, flush=True)
            self.asked.append("error: %s" % e)

    def _handle(self, request):
        # The request itself (request.getRequest()) is not read: pyuno 7.4
        # under Python 3.11 fails to convert UNO exception values
        # ("returned a result with an exception set"). The continuations
        # say what is asked well enough.
        conts = request.getContinuations()
        for c in conts:
            if hasattr(c, "setUserName") and hasattr(c, "setPassword"):
                self.asked.append("AuthenticationRequest")
                c.setUserName(self.login)
                c.setPassword(self.password)
                c.select()
                return
        names = []
        for c in conts:
            try:
                names.extend(t.typeName for t in c.getTypes())
            except Exception:
                pass
        self.asked.append("other(%s)" % ",".join(n.rsplit(".", 1)[-1] for n in names if "Interaction" in n))
        # Not a password request: approve if we can, else abort. The test
        # sees the question in "asked" (an "open read-only?" would mean the
        # lock went wrong).
        for want in ("com.sun.star.task.XInteractionApprove", "com.sun.star.task.XInteractionAbort"):
            for c in conts:
                try:
                    if c.queryInterface(uno.getTypeByName(want)) is not None:
                        c.select()
                        return
                except Exception:
                    continue


def connect(pipe, proc, deadline):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    while True:
        try:
            return resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError("soffice exited with status %s before accepting connections" % proc.returncode)
            if time.monotonic() > deadline:
                raise RuntimeError("soffice did not accept connections in time")
            time.sleep(0.2)


def main():
    soffice, profile, url, login, password, marker = sys.argv[1:7]
    pipe = "missive_test_" + uuid.uuid4().hex
    proc = subprocess.Popen(
        [soffice, "-env:UserInstallation=file://" + os.path.abspath(profile), "--headless", "--invisible",
         "--nologo", "--norestore", "--nodefault", "--nolockcheck", "--accept=pipe,name=%s;urp;" % pipe],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=sys.stderr)
    timings = {}
    try:
        t0 = time.monotonic()
        ctx = connect(pipe, proc, t0 + 90)
        timings["start_s"] = time.monotonic() - t0
        smgr = ctx.ServiceManager
        desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        handler = Credentials(login, password)

        t1 = time.monotonic()
        # Type detection opens the URL through an interaction wrapper that
        # hands authentication requests to "AuthenticationHandler" only;
        # loading proper asks "InteractionHandler". Both are ours.
        load_args = (prop("Hidden", True), prop("InteractionHandler", handler), prop("AuthenticationHandler", handler))
        try:
            doc = desktop.loadComponentFromURL(url, "_blank", 0, load_args)
        except Exception as e:
            raise RuntimeError("LibreOffice could not open %s (asked: %s): %s" % (url, handler.asked, e))
        if doc is None:
            raise RuntimeError("LibreOffice could not open %s (asked: %s)" % (url, handler.asked))
        timings["open_s"] = time.monotonic() - t1
        args = {p.Name: p.Value for p in doc.getArgs()}
        read_only = bool(args.get("ReadOnly", False))
        print("OPENED", json.dumps({"read_only": read_only, "asked": handler.asked}), flush=True)
        sys.stdin.readline()

        t2 = time.monotonic()
        text = doc.getText()
        text.insertString(text.getEnd(), marker, False)
        doc.store()
        timings["edit_save_s"] = time.monotonic() - t2
        t3 = time.monotonic()
        doc.close(True)
        timings["close_s"] = time.monotonic() - t3
        timings["cycle_s"] = time.monotonic() - t1
        print("RESULT", json.dumps({"timings": timings, "asked": handler.asked, "read_only": read_only}), flush=True)
        try:
            desktop.terminate()
        except Exception:
            pass  # the bridge goes away with soffice
    finally:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report anything UNO raises, with its message
        print("lo_edit.py: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)
