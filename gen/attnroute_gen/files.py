"""files.py -- writing outputs: atomically through a temporary file beside
the target, through symlinks, directly to devices and FIFOs; and the check
that an output path is not a directory.
"""

import os
import tempfile

from .errors import GenError


def check_output_path(path, what):
    """A directory cannot be written as a file: refuse it before any work."""
    if os.path.isdir(path):
        raise GenError("%s %s: is a directory" % (what, path))


def write_file(path, text):
    """Write text to path atomically (a temporary file beside it, renamed
    over it).  A symlink is written through (its target replaced, the link
    kept); a device or FIFO (/dev/null, /dev/stdout) is written directly,
    never replaced by a regular file.  On failure no temporary is left."""
    if os.path.exists(path) and not os.path.isfile(path):
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        return
    target = os.path.realpath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target) or ".",
                               prefix=os.path.basename(target) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        if os.path.exists(target):
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
