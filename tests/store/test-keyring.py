#!/usr/bin/env python3
"""The store key wrapped by a real secret service: a private dbus-daemon and Debian's
gnome-keyring-daemon (secrets component, login keyring unlocked with a password on
stdin), driven through the real weir-host and weir binaries.

- A store made in that session has a key file of kind 2 with no key-encryption key in
  it, and the keyring holds the item (label, store id); the host and the CLI open it
  and decide pastes; weir store info says "desktop keyring".
- With the keyring daemon stopped, locked, or frozen (SIGSTOP: it owns its name but
  never answers), the CLI refuses with one line and exit 2, and the host answers with
  the fail verdict, within a bounded time.
- Without DBUS_SESSION_BUS_ADDRESS, or with WEIR_KEYRING=off, a new store's key stays
  in the key file.

Exit 77 (skipped) only when the daemons cannot start here, saying why.
usage: test-keyring.py BUILD_DIR"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "audit"))
from weirtest import Host as FramedHost  # noqa: E402

BUILD = sys.argv.pop(1) if len(sys.argv) > 1 else "build"
HOST = os.path.join(BUILD, "host/src/host/weir-host")
WEIR = os.path.join(BUILD, "host/src/cli/weir")
PASSWORD = b"correct horse battery staple"
KEY_FILE_BYTES = 136
# Generous bounds for a loaded machine (and ASan): the host's own limit is 2 s per ask.
BOUND_S = 8.0
RETRY_S = 1.2  # a little over the host's store retry interval (CONTEXT_STORE_RETRY_US)
PRIVATE_KEY = ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
               "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n-----END PRIVATE KEY-----")

# A session bus of our own with no service folders: nothing is started by D-Bus
# activation behind the test's back (Debian's gnome-keyring installs an activation
# file for org.freedesktop.secrets, which would restart the daemon we stop).
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

# Reads the store's item over D-Bus with the Secret Service API (plain session), as any
# client of the user's keyring could: prints {"label", "store", "secret" (hex)}.
READ_ITEM = r"""
import dbus, json, sys
bus = dbus.SessionBus()
service = dbus.Interface(bus.get_object("org.freedesktop.secrets", "/org/freedesktop/secrets"),
                         "org.freedesktop.Secret.Service")
unlocked, locked = service.SearchItems({"store": sys.argv[1]})
_, session = service.OpenSession("plain", dbus.String("", variant_level=1))
out = []
for path in unlocked:
    props = dbus.Interface(bus.get_object("org.freedesktop.secrets", path),
                           "org.freedesktop.DBus.Properties")
    item = "org.freedesktop.Secret.Item"
    secret = dbus.Interface(bus.get_object("org.freedesktop.secrets", path), item).GetSecret(session)
    out.append({"label": str(props.Get(item, "Label")),
                "attributes": {str(k): str(v) for k, v in props.Get(item, "Attributes").items()},
                "secret": bytes(secret[2]).hex()})
print(json.dumps({"items": out, "locked": len(locked)}))
"""


class Session:
    """A dbus-daemon and a gnome-keyring-daemon in a temporary HOME."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.home = os.path.join(tmp, "user")
        self.run = os.path.join(tmp, "run")
        os.makedirs(self.home)
        os.makedirs(self.run, mode=0o700)
        config = os.path.join(tmp, "bus.conf")
        with open(config, "w") as f:
            f.write(BUS_CONFIG.format(dir=tmp))
        self.bus = subprocess.Popen(["dbus-daemon", "--config-file=" + config, "--nofork",
                                     "--print-address=1"], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True)
        self.address = self.bus.stdout.readline().strip()
        if not self.address:
            raise RuntimeError("dbus-daemon printed no address")
        self.env = dict(os.environ, HOME=self.home, XDG_RUNTIME_DIR=self.run,
                        XDG_DATA_HOME=os.path.join(self.home, ".local/share"),
                        XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                        DBUS_SESSION_BUS_ADDRESS=self.address, WEIR_KEYRING="auto",
                        WEIR_AUDIT_SHIP="off")
        for var in ("DISPLAY", "WAYLAND_DISPLAY"):
            self.env.pop(var, None)
        self.keyring = None

    def start_keyring(self, unlock=True):
        args = ["gnome-keyring-daemon", "--components=secrets", "--foreground"]
        if unlock:
            args.insert(1, "--unlock")
        self.keyring = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, env=self.env)
        # --unlock reads the login keyring's password from stdin up to end of file.
        self.keyring.stdin.write(PASSWORD if unlock else b"")
        self.keyring.stdin.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.keyring.poll() is not None:
                raise RuntimeError(f"gnome-keyring-daemon exited {self.keyring.returncode}")
            if self.name_owned():
                return
            time.sleep(0.1)
        raise RuntimeError("gnome-keyring-daemon did not take org.freedesktop.secrets")

    def name_owned(self):
        r = subprocess.run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
                            "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
                            "string:org.freedesktop.secrets"], env=self.env, capture_output=True,
                           text=True, timeout=10)
        return "boolean true" in r.stdout

    def stop_keyring(self):
        if self.keyring is not None:
            self.keyring.send_signal(signal.SIGCONT)
            self.keyring.terminate()
            self.keyring.wait(timeout=20)
            self.keyring = None
        deadline = time.monotonic() + 10
        while self.name_owned() and time.monotonic() < deadline:
            time.sleep(0.1)

    def read_item(self, store_id):
        r = subprocess.run(["/usr/bin/python3", "-c", READ_ITEM, store_id], env=self.env,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def close(self):
        self.stop_keyring()
        self.bus.terminate()
        self.bus.wait(timeout=10)
        self.bus.stdout.close()


class Host(FramedHost):
    """weir-host over pipes (tests/audit/weirtest.py), with the one request these tests make."""

    def __init__(self, env):
        super().__init__(HOST, env)

    def paste(self, text):
        return self.ask({"type": "scan", "event": "paste", "origin": "https://chat.example",
                         "url": "https://chat.example/c/1", "text": text})

    def threads(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/task"))


class Keyring(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="weir-keyring-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.session = Session(self.tmp)
        self.addCleanup(self.session.close)
        self.session.start_keyring()
        self.home = os.path.join(self.tmp, "weir")
        os.makedirs(self.home)

    def env(self, **changes):
        env = dict(self.session.env, WEIR_HOME=self.home)
        for key, value in changes.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def weir(self, *args, env=None, status=0, stdin=None):
        start = time.monotonic()
        r = subprocess.run([WEIR, *args], env=env or self.env(), capture_output=True, text=True,
                           timeout=60, input=stdin)
        elapsed = time.monotonic() - start
        self.assertEqual(r.returncode, status, f"weir {' '.join(args)}: {r.stderr}")
        return r, elapsed

    def key_file(self):
        with open(os.path.join(self.home, "store.key"), "rb") as f:
            data = f.read()
        self.assertEqual(len(data), KEY_FILE_BYTES)
        self.assertEqual(data[:8], b"WEIRSK01")
        self.assertEqual(os.stat(os.path.join(self.home, "store.key")).st_mode & 0o777, 0o600)
        return data

    def info(self, env=None):
        r, _ = self.weir("store", "info", "--json", env=env)
        return json.loads(r.stdout)

    def assert_refused(self, fragment, env=None):
        r, elapsed = self.weir("store", "check", env=env, status=2)
        self.assertIn("wrapped by the desktop keyring", r.stderr)
        self.assertIn(fragment, r.stderr)
        self.assertEqual(r.stderr.count("\n"), 1, f"one line: {r.stderr!r}")
        self.assertLess(elapsed, BOUND_S, "refused in bounded time")
        return elapsed

    def assert_host_fails_safe(self, env=None, retry=False):
        start = time.monotonic()
        host = Host(env or self.env())
        hello = host.ask({"type": "hello", "extension_version": "1.0.0"})
        self.assertTrue(any("wrapped by the desktop keyring" in p for p in hello.get("problems", [])),
                        hello)
        for attempt in range(2 if retry else 1):
            if attempt:
                time.sleep(RETRY_S)  # the store is retried, now inside the sandbox: no crash
            reply = host.paste("hello from the clipboard, nothing to see here")
            self.assertEqual(reply["type"], "verdict", reply)
            self.assertEqual(reply["verdict"], "block", reply)
            self.assertEqual(reply["error"]["code"], "store", reply)
            self.assertNotIn("audit", reply)
        host.close()
        limit = BOUND_S + (RETRY_S if retry else 0)
        self.assertLess(time.monotonic() - start, limit, "the host answered in bounded time")

    def make_wrapped_store(self):
        info = self.info()
        self.assertEqual(info["key_wrap"], "secret-service", info)
        return info

    def test_new_store_wrapped_by_keyring(self):
        info = self.make_wrapped_store()
        self.assertIn("desktop keyring", info["key_protection"])
        data = self.key_file()
        self.assertEqual(data[24], 2, "wrap kind: secret service")
        self.assertEqual(data[32:64], bytes(32), "no key-encryption key in the file")
        store_id = data[8:24].hex()
        found = self.session.read_item(store_id)
        self.assertEqual(len(found["items"]), 1, found)
        item = found["items"][0]
        self.assertEqual(item["attributes"]["store"], store_id)
        self.assertEqual(item["attributes"]["xdg:schema"], "dev.weir.StoreKey")
        self.assertEqual(item["label"], f"Weir store key ({os.path.join(self.home, 'weir.db')})")
        secret = bytes.fromhex(item["secret"])
        self.assertEqual(len(secret), 32)
        self.assertNotIn(secret, data)
        r, _ = self.weir("store", "info")
        self.assertIn("key             desktop keyring (secret service)", r.stdout)

        # The host opens it before its sandbox, decides, and keeps no D-Bus thread.
        host = Host(self.env())
        hello = host.ask({"type": "hello", "extension_version": "1.0.0"})
        self.assertEqual(hello.get("problems", []), [], hello)
        self.assertEqual(host.threads(), 1, "no GDBus thread in the host")
        allow = host.paste("hello from the clipboard, nothing to see here")
        self.assertEqual(allow["verdict"], "allow", allow)
        self.assertIn("audit", allow)
        block = host.paste(PRIVATE_KEY)
        self.assertEqual(block["verdict"], "block", block)
        self.assertIn("audit", block)
        host.close()
        # The CLI decides too, and the audit log says the host ran sandboxed.
        sample = os.path.join(self.tmp, "paste.txt")
        with open(sample, "w") as f:
            f.write(PRIVATE_KEY)
        r, _ = self.weir("scan", "--json", sample)
        self.assertEqual(json.loads(r.stdout)["verdict"], "block")
        self.weir("store", "check")
        out = os.path.join(self.tmp, "audit.jsonl")
        self.weir("audit", "export", "-o", out)
        with open(out) as f:
            records = [json.loads(line) for line in f if line.strip()]
        sandbox = [r for r in records if r["event"] == "sandbox"]
        self.assertTrue(sandbox and "seccomp on" in sandbox[0]["detail"], sandbox)
        self.assertIn(allow["audit"], [r["id"] for r in records])

        # The key file alone, copied elsewhere, opens nothing.
        copy = os.path.join(self.tmp, "copy")
        shutil.copytree(self.home, copy)
        elsewhere = self.env(WEIR_HOME=copy, DBUS_SESSION_BUS_ADDRESS=None)
        self.assert_refused("DBUS_SESSION_BUS_ADDRESS is not set", env=elsewhere)
        self.assert_host_fails_safe(env=elsewhere)
        off = self.env(WEIR_HOME=copy, WEIR_KEYRING="off")
        r, _ = self.weir("store", "check", env=off, status=2)
        self.assertIn("WEIR_KEYRING=off forbids", r.stderr)

    def test_keyring_stopped(self):
        self.make_wrapped_store()
        self.session.stop_keyring()
        self.assert_refused("no secret service is running")
        self.assert_host_fails_safe(retry=True)
        # Back again: the store opens.
        self.session.start_keyring()
        self.weir("store", "check")

    def test_keyring_locked(self):
        self.make_wrapped_store()
        self.session.stop_keyring()
        self.session.start_keyring(unlock=False)
        self.assert_refused("the keyring is locked")
        self.assert_host_fails_safe()
        # A new store in a session whose keyring is locked: the key file, no prompt.
        fresh = self.env(WEIR_HOME=os.path.join(self.tmp, "fresh"))
        self.assertEqual(self.info(env=fresh)["key_wrap"], "key-file")

    def test_keyring_frozen(self):
        """The service owns its name but never answers: the ask is cut at its deadline."""
        self.make_wrapped_store()
        self.session.keyring.send_signal(signal.SIGSTOP)
        try:
            elapsed = self.assert_refused("did not answer within")
            self.assertGreaterEqual(elapsed, 1.5, "the deadline, not an early error")
            self.assert_host_fails_safe()
            fresh = self.env(WEIR_HOME=os.path.join(self.tmp, "fresh"))
            start = time.monotonic()
            self.assertEqual(self.info(env=fresh)["key_wrap"], "key-file")
            self.assertLess(time.monotonic() - start, BOUND_S)
        finally:
            self.session.keyring.send_signal(signal.SIGCONT)

    def test_no_session_bus_uses_key_file(self):
        info = self.info(env=self.env(DBUS_SESSION_BUS_ADDRESS=None))
        self.assertEqual(info["key_wrap"], "key-file", info)
        self.assertEqual(info["key_protection"], "key file, readable by the user only")
        data = self.key_file()
        self.assertEqual(data[24], 1, "wrap kind: key file")
        self.assertEqual(self.session.read_item(data[8:24].hex())["items"], [])
        # ... and it stays readable inside the session too.
        self.weir("store", "check")

    def test_rewrap_both_ways(self):
        """A key-file store moved into the keyring and back, its records intact."""
        off = self.env(WEIR_KEYRING="off")
        self.weir("scan", "--json", "-", env=off, stdin=PRIVATE_KEY)
        records = self.info(env=off)["records"]
        self.assertGreater(records, 0)
        old = self.key_file()
        self.assertEqual(old[24], 1)
        r, _ = self.weir("store", "rewrap", "--to", "keyring")
        self.assertIn("now wrapped by the desktop keyring", r.stdout)
        data = self.key_file()
        self.assertEqual((data[24], data[32:64]), (2, bytes(32)))
        self.assertEqual(data[8:24], old[8:24], "the same store")
        secret = bytes.fromhex(self.session.read_item(data[8:24].hex())["items"][0]["secret"])
        self.assertNotEqual(secret, old[32:64], "a new wrapping key, not the one on disk before")
        info = self.info()
        self.assertEqual((info["key_wrap"], info["records"]), ("secret-service", records), info)
        self.weir("store", "check", env=self.env(DBUS_SESSION_BUS_ADDRESS=None), status=2)
        self.weir("store", "rewrap", "--to", "file")
        data = self.key_file()
        self.assertEqual(data[24], 1)
        self.assertEqual(self.session.read_item(data[8:24].hex())["items"], [], "the item is gone")
        info = self.info(env=self.env(DBUS_SESSION_BUS_ADDRESS=None))
        self.assertEqual((info["key_wrap"], info["records"]), ("key-file", records), info)
        # Into a keyring that is not there: refused, the key file untouched.
        self.session.stop_keyring()
        r, _ = self.weir("store", "rewrap", "--to", "keyring", status=2)
        self.assertIn("cannot put the store key in the desktop keyring", r.stderr)
        self.assertEqual(self.key_file(), data)

    def test_keyring_off_uses_key_file(self):
        info = self.info(env=self.env(WEIR_KEYRING="off"))
        self.assertEqual(info["key_wrap"], "key-file", info)
        self.assertEqual(self.session.read_item(self.key_file()[8:24].hex())["items"], [])


def missing():
    """Why the keyring session cannot run here, or None."""
    for tool in ("dbus-daemon", "gnome-keyring-daemon", "dbus-send"):
        if not shutil.which(tool):
            return f"no {tool} (Debian packages dbus-daemon, dbus-bin and gnome-keyring)"
    probe = subprocess.run(["/usr/bin/python3", "-c", "import dbus"], capture_output=True)
    if probe.returncode:
        return "no python3-dbus for /usr/bin/python3"
    tmp = tempfile.mkdtemp(prefix="weir-keyring-probe-")
    session = None
    try:
        session = Session(tmp)
        session.start_keyring()
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        return f"the keyring session cannot start here: {e}"
    finally:
        if session is not None:
            session.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return None



if __name__ == "__main__":
    reason = missing()
    if reason:
        print(f"SKIP: {reason}", file=sys.stderr)
        sys.exit(77)
    unittest.main(verbosity=2)
