#!/usr/bin/python3
"""Read and click a tray icon's menu from outside the app, as a tray host does.

  tray_client.py --pid PID layout          the menu as JSON: [{"id", "label", "enabled", "visible", "type"}]
  tray_client.py --pid PID click LABEL     dbusmenu Event(id, "clicked") on the item with that label;
                                           "SUBMENU>ITEM" picks ITEM inside the submenu SUBMENU
  tray_client.py --pid PID props           the item's StatusNotifierItem properties a tray host and
                                           assistive tech read, as JSON: {"Id", "Title", "Status",
                                           "Category", "ItemIsMenu", "ToolTip": {"title", "description"}}

The item is the StatusNotifierItem registered (with org.kde.StatusNotifierWatcher) by the D-Bus
connection of process PID, so several apps on one bus never get mixed up. Exit status 3: no such
item yet (the caller polls); 2: no item with that label. Needs Debian's python3-dbus, on the
session bus the app uses (scripts/with-desktop-session.sh).
"""
import argparse
import json
import sys
import time

import dbus

WATCHER = "org.kde.StatusNotifierWatcher"
DBUSMENU = "com.canonical.dbusmenu"


def item_of(bus, pid):
    """(bus name, object path) of the tray item that process `pid` registered, or None."""
    watcher = bus.get_object(WATCHER, "/StatusNotifierWatcher")
    registered = watcher.Get(WATCHER, "RegisteredStatusNotifierItems",
                             dbus_interface=dbus.PROPERTIES_IFACE)
    daemon = bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus")
    for entry in map(str, registered):
        # "bus-name/object/path" (ayatana registers a path), or a bus name alone (KDE-style
        # items such as ksni's), whose item is at the specification's /StatusNotifierItem.
        name, _, path = entry.partition("/")
        path = path or "StatusNotifierItem"
        try:
            owner_pid = int(daemon.GetConnectionUnixProcessID(name, dbus_interface="org.freedesktop.DBus"))
        except dbus.DBusException:
            continue  # gone since it registered
        if owner_pid == pid:
            return name, "/" + path
    return None


def props_of(bus, name, path):
    props = bus.get_object(name, path).GetAll("org.kde.StatusNotifierItem",
                                              dbus_interface=dbus.PROPERTIES_IFACE)
    out = {key: str(props[key]) for key in ("Id", "Title", "Status", "Category") if key in props}
    if "ItemIsMenu" in props:
        out["ItemIsMenu"] = bool(props["ItemIsMenu"])
    if "ToolTip" in props:
        # (icon name, icon pixmaps, title, description)
        _, _, title, description = props["ToolTip"]
        out["ToolTip"] = {"title": str(title), "description": str(description)}
    return out


def menu_of(bus, name, path):
    props = bus.get_object(name, path).GetAll("org.kde.StatusNotifierItem",
                                              dbus_interface=dbus.PROPERTIES_IFACE)
    menu = bus.get_object(name, props["Menu"])
    menu.AboutToShow(0, dbus_interface=DBUSMENU)
    _, layout = menu.GetLayout(0, -1, dbus.Array([], signature="s"), dbus_interface=DBUSMENU)
    items = []

    def walk(node, parent):
        mid, props, children = node
        # GTK mnemonics come through with underscores
        label = str(props.get("label", "")).replace("_", "")
        if int(mid) != 0:  # 0 is the invisible root
            items.append({
                "id": int(mid),
                "label": label,
                "parent": parent,
                "enabled": bool(props.get("enabled", True)),
                "visible": bool(props.get("visible", True)),
                "type": str(props.get("type", "standard")),
            })
        for child in children:
            walk(child, label if int(mid) != 0 else None)

    walk(layout, None)
    return menu, items


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("command", choices=["layout", "click", "props"])
    parser.add_argument("label", nargs="?")
    args = parser.parse_args()
    bus = dbus.SessionBus()
    found = item_of(bus, args.pid)
    if found is None:
        print(f"no tray item registered by pid {args.pid}", file=sys.stderr)
        return 3
    if args.command == "props":
        print(json.dumps(props_of(bus, *found)))
        return 0
    menu, items = menu_of(bus, *found)
    if args.command == "layout":
        print(json.dumps(items))
        return 0
    parent, _, label = args.label.rpartition(">")
    ids = [i["id"] for i in items
           if i["label"] == label and (not parent or i["parent"] == parent)]
    if not ids:
        print(f"no menu item labelled {args.label!r}; the menu has {[i['label'] for i in items]}",
              file=sys.stderr)
        return 2
    try:
        menu.Event(dbus.Int32(ids[0]), "clicked", dbus.Int32(0), dbus.UInt32(int(time.time())),
                   dbus_interface=DBUSMENU)
    except dbus.DBusException as e:
        # The item answers once the click is handled: an app that quits on it ("Quit") may be
        # gone first, which only says the click arrived.
        if e.get_dbus_name() != "org.freedesktop.DBus.Error.NoReply":
            raise
    print(json.dumps({"clicked": args.label, "id": ids[0]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
