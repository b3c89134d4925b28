"""The no-op job the Python peers run."""


def noop(*_args, **_kwargs):
    return None
