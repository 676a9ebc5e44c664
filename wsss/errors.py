"""One exception type for bad input, so every stage fails with a message a person can act on."""


class BadInputError(RuntimeError):
    """Raised for unusable input files: says which file, what is wrong and how to fix it."""
