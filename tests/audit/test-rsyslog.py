#!/usr/bin/env python3
"""The forwarding set-up of docs/siem.md, exercised: a device rsyslog takes Weir's
records on its syslog socket and forwards them over TCP to a collector rsyslog
listening on 127.0.0.1, which writes them to a file; the records arrive intact and
verify there against the device's pinned key. Both rsyslogd run from configurations
written here, with their own work folders and pid files.

usage: test-rsyslog.py BUILD_DIR   (exit 77, skipped, when rsyslogd is not installed)"""
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from weirtest import Home, read_lines  # noqa: E402

BUILD = sys.argv[1]
RSYSLOGD = shutil.which("rsyslogd") or ("/usr/sbin/rsyslogd" if os.path.exists("/usr/sbin/rsyslogd") else None)

# The collector: what a central syslog server (or a SIEM's syslog input) runs.
COLLECTOR = """
global(workDirectory="{work}" maxMessageSize="64k")
module(load="imtcp")
template(name="WeirRecord" type="string" string="%msg%\\n")
input(type="imtcp" address="127.0.0.1" port="{port}" ruleset="collect")
ruleset(name="collect") {{
  if $programname == "weir-audit" then {{
    action(type="omfile" file="{out}" template="WeirRecord")
  }}
}}
"""

# The device: its syslog daemon forwards Weir's records, queued to disk while the
# collector is away. On a real device the socket is /dev/log; here it is a test path.
DEVICE = """
global(workDirectory="{work}" maxMessageSize="64k")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{sock}" RateLimit.Interval="0")
if $programname == "weir-audit" then {{
  action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp"
         template="RSYSLOG_ForwardFormat"
         queue.type="LinkedList" queue.filename="weir-audit-fwd" queue.saveOnShutdown="on"
         action.resumeRetryCount="-1")
  stop
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_rsyslogd(home, name, text, **values):
    work = home.path(name + "-work")
    os.makedirs(work)
    conf = home.path(name + ".conf")
    with open(conf, "w") as f:
        f.write(text.format(work=work, **values))
    log = open(home.path(name + ".log"), "w")
    proc = subprocess.Popen([RSYSLOGD, "-n", "-f", conf, "-i", home.path(name + ".pid")],
                            stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = log.name
    return proc


def wait_for(what, test, timeout=20.0, procs=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if test():
            return
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(f"rsyslogd exited while waiting for {what}: {open(p.log_path).read()}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def session(home):
    host = home.host()
    for text in ["card 4111 1111 1111 1111 in transit", "plain words, nothing more", "4111111111111111"]:
        reply = host.ask({"type": "scan", "event": "paste", "origin": "https://chat.example", "text": text})
        if reply["verdict"] == "warn":
            host.ask({"type": "decision", "audit": reply["audit"], "action": "cancel"})
    host.close()


def main():
    if RSYSLOGD is None:
        print("rsyslogd is not installed (installer/deps.sh installs it)")
        sys.exit(77)
    home = Home(BUILD, WEIR_AUDIT_SHIP="syslog")
    home.env["WEIR_AUDIT_SYSLOG_SOCKET"] = home.path("log.sock")
    port = free_port()
    collected = home.path("collected.jsonl")
    procs = [start_rsyslogd(home, "collector", COLLECTOR, port=port, out=collected)]
    try:
        wait_for("the collector to listen", lambda: listening(port), procs=procs)
        procs.append(start_rsyslogd(home, "device", DEVICE, port=port, sock=home.path("log.sock")))
        wait_for("the device socket", lambda: os.path.exists(home.path("log.sock")), procs=procs)
        home.weir("audit", "key", "-o", home.path("device.pub"))  # starts the chain: its first record ships too
        session(home)
        home.weir("audit", "export", "-o", home.path("export.jsonl"))
        expected = read_lines(home.path("export.jsonl"))
        wait_for(f"{len(expected)} records at the collector",
                 lambda: os.path.exists(collected) and len(read_lines(collected)) >= len(expected), procs=procs)
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
    arrived = [line.strip() for line in read_lines(collected)]
    assert arrived == expected, "the collector's records differ from the device's"
    result = home.weir("audit", "verify", "--file", collected, "-p", home.path("device.pub"))
    print("# collector:", result.stdout.strip())
    data = open(collected).read()
    assert "4111 1111" not in data and "4111111111111111" not in data and "plain words" not in data
    print("ok")


if __name__ == "__main__":
    main()
