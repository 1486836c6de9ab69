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

    def lstm_input(self, x, w, b):
        """x (N, I) @ w.T (I, 4H) + b (4H): the input part of a recurrent layer's gates, both
        biases in b."""
        return self.xp.matmul(x, w.T) + b

    def lstm_layer(self, gi, w_hh, h0, c0, reverse, saved):
        """The LSTM recurrence over the T steps of gi (T, B, 4H) (the input parts of the gates,
        biases in) from h0, c0 (B, H) with w_hh (4H, H), the last step first if ``reverse``:
        (out (T, B, H), h_T, c_T). ``saved`` (a dict) receives what lstm_layer_backward reads:
        the steps' summed gates and cell states and the outputs (a copy)."""
        xp = self.xp
        steps = gi.shape[0]
        wt = xp.ascontiguousarray(w_hh.T)
        gates = xp.empty_like(gi)
        out = xp.empty(gi.shape[:-1] + (h0.shape[-1],), dtype=gi.dtype)
        cs = xp.empty_like(out)
        h, c = h0, c0
        for t in range(steps - 1, -1, -1) if reverse else range(steps):
            g = gates[t]
            xp.add(gi[t], xp.matmul(h, wt), out=g)
            h, c = self.lstm_cell_gates(g, c)
            out[t] = h
            cs[t] = c
        saved["gates"], saved["cs"], saved["hs"] = gates, cs, out.copy()
        return out, h, c

    def lstm_layer_backward(self, gout, gh, gc, w_hh, h0, c0, reverse, saved):
        """(d gi, d w_hh, d h0, d c0) of lstm_layer from the gradients of (out, h_T, c_T) (None:
        zeros): the steps backwards through lstm_cell_gates_backward, then d w_hh in one GEMM."""
        xp = self.xp
        gates, cs, hs = saved["gates"], saved["cs"], saved["hs"]
        steps = gates.shape[0]
        dgates = xp.empty_like(gates)
        dh = gh if gh is not None else xp.zeros_like(h0)
        dc = gc if gc is not None else xp.zeros_like(c0)
        prev = 1 if reverse else -1  # the step before t in the forward order
        for t in range(steps) if reverse else range(steps - 1, -1, -1):
            c_prev = cs[t + prev] if 0 <= t + prev < steps else c0
            dht = dh if gout is None else dh + gout[t]
            dg, dc = self.lstm_cell_gates_backward(dht, dc, gates[t], c_prev)
            dgates[t] = dg
            dh = xp.matmul(dg, w_hh)
        h0e = xp.reshape(h0, (1,) + h0.shape)
        h_prev = xp.concatenate([hs[1:], h0e] if reverse else [h0e, hs[:-1]], 0)
        k = h0.shape[-1]
        dw = xp.matmul(xp.reshape(dgates, (-1, 4 * k)).T, xp.reshape(h_prev, (-1, k)))
        return dgates, dw.astype(w_hh.dtype, copy=False), dh, dc

    def gru_cell_gates(self, gi, gh, h):
        """h' = (1 - z) * n + z * h, r and z = sigmoid(gi + gh) of their parts, n = tanh(gi_n +
        r * gh_n): gi, gh (..., 3H) in the order r, z, n, h (..., H)."""
        k = h.shape[-1]
        rz = self.sigmoid(gi[..., : 2 * k] + gh[..., : 2 * k])
        n = self.xp.tanh(gi[..., 2 * k :] + rz[..., :k] * gh[..., 2 * k :])
        z = rz[..., k:]
        return (1 - z) * n + z * h
