"""The reference kernels of the recurrent cells' time steps (their primitives live in
mytorch._ops.rnn), written once against the backend's array module ``xp``: a base class of
reference.Backend. The compiled CPU backend replaces them with csrc/_rnn.pyx (one fused pass)."""


class RnnKernels:
    """lstm_cell_gates and gru_cell_gates over ``self.xp`` (``self.sigmoid`` for the gates)."""

    def lstm_cell_gates(self, gates, c):
        """(h, c') = (o * tanh(c'), f * c + i * g): gates (..., 4H) pre-activation i, f, g, o
        (sigmoid, sigmoid, tanh, sigmoid), c (..., H)."""
        k = c.shape[-1]
        s = self.sigmoid(gates)
        g = self.xp.tanh(gates[..., 2 * k : 3 * k])
        c2 = s[..., k : 2 * k] * c + s[..., :k] * g
        return s[..., 3 * k :] * self.xp.tanh(c2), c2

    def lstm_cell_gates_backward(self, gh, gc, gates, c):
        """(d gates, d c) of lstm_cell_gates given the gradients gh, gc of (h, c')."""
        xp = self.xp
        k = c.shape[-1]
        s = self.sigmoid(gates)
        i, f, o = s[..., :k], s[..., k : 2 * k], s[..., 3 * k :]
        g = xp.tanh(gates[..., 2 * k : 3 * k])
        tc = xp.tanh(f * c + i * g)
        dc = gc + gh * o * (1 - tc * tc)
        out = xp.empty_like(gates)
        out[..., :k] = dc * g * i * (1 - i)
        out[..., k : 2 * k] = dc * c * f * (1 - f)
        out[..., 2 * k : 3 * k] = dc * i * (1 - g * g)
        out[..., 3 * k :] = gh * tc * o * (1 - o)
        return out, dc * f

    def gru_cell_gates(self, gi, gh, h):
        """h' = (1 - z) * n + z * h, r and z = sigmoid(gi + gh) of their parts, n = tanh(gi_n +
        r * gh_n): gi, gh (..., 3H) in the order r, z, n, h (..., H)."""
        k = h.shape[-1]
        rz = self.sigmoid(gi[..., : 2 * k] + gh[..., : 2 * k])
        n = self.xp.tanh(gi[..., 2 * k :] + rz[..., :k] * gh[..., 2 * k :])
        z = rz[..., k:]
        return (1 - z) * n + z * h
