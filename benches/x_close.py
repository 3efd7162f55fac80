#!/usr/bin/python3
"""Ask an X11 top-level window to close, as a window manager's close button does: send it a
WM_PROTOCOLS / WM_DELETE_WINDOW client message. Debian 12's xdotool (2016) has no `windowclose`,
and a bare Xvfb has no window manager, so this talks to libX11 directly through ctypes.

  x_close.py WINDOW_ID        (decimal or 0x hex, e.g. from `xdotool search --name '^RoleKeeper$'`)

Also importable: `close_window(wid)`. Needs libX11.so.6 and $DISPLAY.
"""
import ctypes
import sys

CLIENT_MESSAGE = 33  # X.h ClientMessage
NO_EVENT_MASK = 0


class XClientMessageEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong),
                ("message_type", ctypes.c_ulong), ("format", ctypes.c_int),
                ("data", ctypes.c_long * 5)]


class XEvent(ctypes.Union):
    _fields_ = [("xclient", XClientMessageEvent), ("pad", ctypes.c_long * 24)]


def _libx11():
    x = ctypes.CDLL("libX11.so.6")
    x.XOpenDisplay.restype = ctypes.c_void_p
    x.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x.XInternAtom.restype = ctypes.c_ulong
    x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x.XSendEvent.restype = ctypes.c_int
    x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                             ctypes.c_void_p]
    x.XFlush.argtypes = [ctypes.c_void_p]
    x.XCloseDisplay.argtypes = [ctypes.c_void_p]
    return x


def close_window(wid):
    """Send WM_DELETE_WINDOW to window `wid` (an int) on $DISPLAY."""
    x = _libx11()
    dpy = x.XOpenDisplay(None)
    if not dpy:
        raise RuntimeError("cannot open the X display ($DISPLAY)")
    try:
        ev = XEvent()
        ev.xclient.type = CLIENT_MESSAGE
        ev.xclient.window = wid
        ev.xclient.message_type = x.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
        ev.xclient.format = 32
        ev.xclient.data[0] = x.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
        ev.xclient.data[1] = 0  # CurrentTime
        if not x.XSendEvent(dpy, wid, 0, NO_EVENT_MASK, ctypes.byref(ev)):
            raise RuntimeError(f"XSendEvent to window {wid:#x} failed")
        x.XFlush(dpy)
    finally:
        x.XCloseDisplay(dpy)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    close_window(int(sys.argv[1], 0))
    print(f"sent WM_DELETE_WINDOW to {int(sys.argv[1], 0):#x}")
