"""mytorch.nn.modules.channelshuffle: ChannelShuffle."""

from mytorch.nn import functional as F
from mytorch.nn.modules.module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Regroups the channels of (N, C, *) in ``groups``. Matches torch.nn.ChannelShuffle."""

    __constants__ = ["groups"]

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
