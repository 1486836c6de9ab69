"""pixel_shuffle, pixel_unshuffle and channel_shuffle (torch and nn.functional): composites of
reshape and permute."""

from mytorch._ops._declare import composite

BOTH = ("torch", "nn.functional")


def _check_factor(name, what, factor):
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {what}, but got {factor}")


def _check_dims(name, input, least=3):
    if input.dim() < least:
        raise RuntimeError(
            f"{name} expects input to have at least {least} dimensions, but got input with "
            f"{input.dim()} dimension(s)"
        )


@composite(namespace=BOTH)
def pixel_shuffle(input, upscale_factor):
    """Matches torch.pixel_shuffle: (*, C r^2, H, W) -> (*, C, H r, W r)."""
    r = int(upscale_factor)
    _check_dims("pixel_shuffle", input)
    _check_factor("pixel_shuffle", "upscale_factor", r)
    *batch, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
            f"of upscale_factor, but input.size(-3)={c} is not divisible by {r * r}"
        )
    n = len(batch)
    x = input.reshape(*batch, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*batch, c // (r * r), h * r, w * r)


@composite(namespace=BOTH)
def pixel_unshuffle(input, downscale_factor):
    """Matches torch.pixel_unshuffle: (*, C, H r, W r) -> (*, C r^2, H, W)."""
    r = int(downscale_factor)
    _check_dims("pixel_unshuffle", input)
    _check_factor("pixel_unshuffle", "downscale_factor", r)
    *batch, c, h, w = input.shape
    if h % r:
        raise RuntimeError(
            "pixel_unshuffle expects height to be divisible by downscale_factor, but "
            f"input.size(-2)={h} is not divisible by {r}"
        )
    if w % r:
        raise RuntimeError(
            "pixel_unshuffle expects width to be divisible by downscale_factor, but "
            f"input.size(-1)={w} is not divisible by {r}"
        )
    n = len(batch)
    x = input.reshape(*batch, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*batch, c * r * r, h // r, w // r)


@composite(namespace=BOTH)
def channel_shuffle(input, groups):
    """Matches torch.channel_shuffle: (N, C, *) with channels regrouped as (C/g, g)."""
    g = int(groups)
    if g <= 0:
        raise RuntimeError(
            f"Number of groups to divide channels in must be positive. Value of groups:{g}"
        )
    if input.dim() < 3:
        raise RuntimeError(
            "channel_shuffle expects input with > 2 dims, but got input with sizes "
            f"{list(input.shape)}"
        )
    n, c = input.shape[0], input.shape[1]
    if c % g:
        raise RuntimeError(
            f"Number of channels must be divisible by groups. Got {c} channels and {g} groups."
        )
    rest = tuple(input.shape[2:])
    x = input.reshape(n, g, c // g, *rest).transpose(1, 2)
    return x.reshape(n, c, *rest)


__all__ = []
INTERNAL = []
