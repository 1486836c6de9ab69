"""Draws that the backends' ``random`` makes from uniform numbers with array-module functions
only (so that they run on any device): multinomial with and without replacement."""


def multinomial(xp, u, probs, n, replacement):
    """``n`` category indices per row of ``probs`` (rows, k), from uniforms ``u``: (rows, n)
    with replacement, (rows, k) without.

    With replacement: inverse CDF (the first category whose cumulative weight exceeds u).
    Without: the n smallest keys -log(u) / p (an exponential race, each row's winners in the
    order they arrive), which draws as successive sampling without replacement does.
    """
    k = probs.shape[1]
    if replacement:
        cdf = xp.cumsum(probs, axis=1)
        cdf = cdf / cdf[:, -1:]
        idx = (u[:, :, None] >= cdf[:, None, :]).sum(axis=2)
        return xp.minimum(idx, k - 1)
    positive = probs > 0
    safe_p = xp.where(positive, probs, 1.0)
    safe_u = xp.where(u > 0, u, 1.0)  # NOTE: u == 0 (the one draw of 2**53): key +inf
    keys = xp.where(positive & (u > 0), -xp.log(safe_u) / safe_p, xp.inf)
    return xp.argsort(keys, axis=1, kind="stable")[:, :n]
