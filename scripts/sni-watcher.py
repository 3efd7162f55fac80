#!/usr/bin/python3
"""A minimal org.kde.StatusNotifierWatcher (and a pretend tray host) for headless tray tests.

libayatana-appindicator, which Tauri's tray uses on Linux, exports its StatusNotifierItem only
while some process owns org.kde.StatusNotifierWatcher on the session bus; without one it falls
back to an XEmbed icon that nothing on a bare Xvfb can see. scripts/with-desktop-session.sh
starts this watcher so the tray app's icon and menu can be inspected and clicked over D-Bus.

Registered items are listed by the RegisteredStatusNotifierItems property as
"<unique-bus-name><object-path>" (or a bare bus name, for KDE-style clients). Every event is
printed on stdout, one line each, flushed:
    WATCHER_READY <our unique name>
    REGISTERED <item>
    UNREGISTERED <item>
    HOST_REGISTERED <service>

Usage: /usr/bin/python3 scripts/sni-watcher.py   (Debian's python3 with python3-dbus and
python3-gi; run inside the session bus, i.e. with DBUS_SESSION_BUS_ADDRESS set)
"""
import os
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = "org.kde.StatusNotifierWatcher"
PATH = "/StatusNotifierWatcher"


def event(*words):
    print(*words, flush=True)


class Watcher(dbus.service.Object):
    def __init__(self, bus):
        self.items = []
        self.hosts = []
        # do_not_queue: fail at once if another watcher already owns the name.
        self.name = dbus.service.BusName(IFACE, bus, do_not_queue=True)
        super().__init__(bus, PATH)
        bus.add_signal_receiver(
            self._owner_changed,
            "NameOwnerChanged",
            "org.freedesktop.DBus",
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
        )

    def _owner_changed(self, name, _old, new):
        if new:
            return
        # A client left the bus: drop its items, as a real watcher does.
        for item in [i for i in self.items if i == name or i.startswith(name + "/")]:
            self.items.remove(item)
            event("UNREGISTERED", item)
            self.StatusNotifierItemUnregistered(item)

    @dbus.service.method(IFACE, in_signature="s", out_signature="", sender_keyword="sender")
    def RegisterStatusNotifierItem(self, service, sender=None):
        # ayatana passes an object path (the item lives on the caller's connection);
        # KDE-style clients pass a bus name.
        item = sender + service if service.startswith("/") else service
        if item not in self.items:
            self.items.append(item)
            event("REGISTERED", item)
            self.StatusNotifierItemRegistered(item)

    @dbus.service.method(IFACE, in_signature="s", out_signature="")
    def RegisterStatusNotifierHost(self, service):
        self.hosts.append(service)
        event("HOST_REGISTERED", service)
        self.StatusNotifierHostRegistered()

    @dbus.service.signal(IFACE, signature="s")
    def StatusNotifierItemRegistered(self, item):
        pass

    @dbus.service.signal(IFACE, signature="s")
    def StatusNotifierItemUnregistered(self, item):
        pass

    @dbus.service.signal(IFACE, signature="")
    def StatusNotifierHostRegistered(self):
        pass

    def _props(self):
        return {
            "RegisteredStatusNotifierItems": dbus.Array(self.items, signature="s"),
            "IsStatusNotifierHostRegistered": dbus.Boolean(True),
            "ProtocolVersion": dbus.Int32(0),
        }

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, _iface, prop):
        props = self._props()
        if prop not in props:
            raise dbus.exceptions.DBusException(
                "no such property: " + prop, name="org.freedesktop.DBus.Error.UnknownProperty"
            )
        return props[prop]

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(self, _iface):
        return self._props()


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    # Pretend a tray host (a panel) is present too, so items believe they are shown.
    host = dbus.service.BusName("org.kde.StatusNotifierHost-%d" % os.getpid(), bus)
    watcher = Watcher(bus)
    event("WATCHER_READY", bus.get_unique_name())
    try:
        GLib.MainLoop().run()
    except KeyboardInterrupt:
        pass
    del host, watcher
    return 0


if __name__ == "__main__":
    sys.exit(main())
