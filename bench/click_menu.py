#!/usr/bin/python3
"""Clicks a tray menu entry by its label, over D-Bus (com.canonical.dbusmenu), as a tray host
would. Usage: click_menu.py REGISTRATIONS_FILE LABEL"""

import sys

import dbus

sender, path = open(sys.argv[1]).read().split("\n")[-2].split(" ", 1)
bus = dbus.SessionBus()
menu = dbus.Interface(bus.get_object(sender, path + "/Menu"), "com.canonical.dbusmenu")


def find(layout, label):
    item_id, props, children = layout
    if str(props.get("label", "")).replace("_", "") == label:
        return int(item_id)
    for child in children:
        found = find(child, label)
        if found is not None:
            return found
    return None


_, layout = menu.GetLayout(0, -1, ["label"])
item = find(layout, sys.argv[2])
if item is None:
    sys.exit(f"no menu entry {sys.argv[2]!r}")
menu.Event(item, "clicked", dbus.String("", variant_level=1), dbus.UInt32(0))
