"""errors.py -- GenError, the generator's one exception for bad input."""


class GenError(Exception):
    """Bad input: reported on stderr, exit status 2."""
