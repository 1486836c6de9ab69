"""The autocast state that the matmul-like ops read (mytorch.amp.autocast sets it).

While autocast is on for a device type, the ops of torch's lower-precision list (matmul, mm,
bmm, addmm, addbmm, baddbmm, linear, conv1d/2d/3d, conv_transpose1d/2d/3d) first cast their
float32/float16/bfloat16 tensor arguments on that device to the autocast dtype (float64 is
left alone, as torch's autocast does), so they run and return in that dtype.
"""

import threading

from mytorch import _dtype as D


class _State(threading.local):
    def __init__(self):
        self.dtypes = {}  # device type -> the dtype its eligible ops run in (while on)
        self.on = False


STATE = _State()


def cast(*args):
    """``args`` with each eligible tensor cast to the autocast dtype of its device."""
    out = []
    dtypes = STATE.dtypes
    for a in args:
        if a is not None and hasattr(a, "_data"):
            dt = dtypes.get(a.device.type)
            d = a.dtype
            if dt is not None and d is not dt and d.is_floating_point and d is not D.float64:
                a = a.to(dt)
        out.append(a)
    return out
