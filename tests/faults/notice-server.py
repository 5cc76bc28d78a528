#!/usr/bin/python3
"""A desktop notification server for tests: owns org.freedesktop.Notifications on the
session bus it is started on and appends each Notify call to FILE as a JSON line, the
way a desktop's notification daemon receives them from libnotify. Prints "ready" once
it owns the name. Needs Debian's python3-dbus and python3-gi (hence /usr/bin/python3).

usage: notice-server.py FILE"""
import json
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

IFACE = "org.freedesktop.Notifications"


class Notices(dbus.service.Object):
    def __init__(self, bus, path):
        super().__init__(bus, "/org/freedesktop/Notifications")
        self.path = path
        self.count = 0

    @dbus.service.method(IFACE, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        self.count += 1
        with open(self.path, "a") as f:
            f.write(json.dumps({"app": str(app), "summary": str(summary), "body": str(body)}) + "\n")
        return self.count

    @dbus.service.method(IFACE, out_signature="as")
    def GetCapabilities(self):
        return ["body"]

    @dbus.service.method(IFACE, out_signature="ssss")
    def GetServerInformation(self):
        return ("weir-test", "weir", "1", "1.2")

    @dbus.service.method(IFACE, in_signature="u")
    def CloseNotification(self, notice_id):
        pass


def main():
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    name = dbus.service.BusName(IFACE, bus)  # noqa: F841 (owned while referenced)
    Notices(bus, sys.argv[1])
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
