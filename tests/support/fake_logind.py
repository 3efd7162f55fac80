"""A stand-in for logind on a private bus, for tests/tests/daemon_sleep.rs: owns
org.freedesktop.login1, prints "ready", then for each line "sleep" on stdin announces a sleep
and a wake as logind does (PrepareForSleep(true), then PrepareForSleep(false)).

Usage: fake_logind.py BUS_ADDRESS
"""
import sys

import dbus
import dbus.lowlevel

PATH = "/org/freedesktop/login1"
INTERFACE = "org.freedesktop.login1.Manager"


def prepare_for_sleep(bus, going):
    signal = dbus.lowlevel.SignalMessage(PATH, INTERFACE, "PrepareForSleep")
    signal.append(dbus.Boolean(going), signature="b")
    bus.send_message(signal)
    bus.flush()


def main():
    bus = dbus.bus.BusConnection(sys.argv[1])
    if bus.request_name("org.freedesktop.login1") != dbus.bus.REQUEST_NAME_REPLY_PRIMARY_OWNER:
        print("cannot own org.freedesktop.login1", file=sys.stderr)
        return 2
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "sleep":
            prepare_for_sleep(bus, True)
            prepare_for_sleep(bus, False)
            print("announced", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
