"""Internals of mytorch.utils.data, at torch.utils.data._utils's paths: collation, fetching,
and the worker processes."""

from mytorch._utils import ExceptionWrapper
from mytorch.utils.data._utils import collate, fetch, worker
from mytorch.utils.data._utils.worker import MP_STATUS_CHECK_INTERVAL

__all__ = ["MP_STATUS_CHECK_INTERVAL", "ExceptionWrapper", "collate", "fetch", "worker"]
