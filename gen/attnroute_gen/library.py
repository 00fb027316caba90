"""library.py -- a compiled table (--library): the generated header built
with gen/attnroute_table_export.c into a shared library exporting the table
as attnroute_table_export(), against the attnroute.h of the runtime (found
next to the generator in the source or the install tree, or given).
"""

import os
import subprocess
import tempfile

from .errors import GenError
from .files import write_file

EXPORT_SOURCE = "attnroute_table_export.c"


# The folder holding this package: gen/ in the source tree, share/attnroute
# in an install tree; attnroute_table_export.c lies in it.
HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def runtime_include_dir():
    """The folder holding attnroute.h: the runtime's, next to the generator
    in the source tree (gen/ -> runtime/include) or in an install tree
    (share/attnroute -> include)."""
    here = HOME
    for d in (os.path.join(here, "..", "runtime", "include"),
              os.path.join(here, "..", "..", "include")):
        if os.path.isfile(os.path.join(d, "attnroute.h")):
            return os.path.normpath(d)
    return None


def build_library(header_text, name, library, cc, include_dir):
    """Compile header_text (a generated table named `name`) into the shared
    library `library` through gen/attnroute_table_export.c.  Raises GenError
    naming what failed."""
    source = os.path.join(HOME, EXPORT_SOURCE)
    if not os.path.isfile(source):
        raise GenError("--library: %s not found next to the generator" % EXPORT_SOURCE)
    include_dir = include_dir or runtime_include_dir()
    if not include_dir or not os.path.isfile(os.path.join(include_dir, "attnroute.h")):
        raise GenError("--library: no attnroute.h in %s; give --include-dir"
                       % (include_dir or "the runtime's include folder"))
    cc = (cc or os.environ.get("CC") or "cc").split()
    with tempfile.TemporaryDirectory(prefix="attnroute-gen-") as tmp:
        header = os.path.join(tmp, "attnroute_table_export.h")
        write_file(header, header_text)
        out = os.path.join(tmp, "table.so")
        cmd = cc + ["-std=c99", "-O1", "-shared", "-fPIC", "-I", include_dir,
                    '-DATTNROUTE_TABLE_EXPORT_HEADER="%s"' % header,
                    "-DATTNROUTE_TABLE_EXPORT_NAME=%s" % name, source, "-o", out]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
        except OSError as e:
            raise GenError("--library: cannot run the C compiler %r: %s" % (cc[0], e))
        if p.returncode != 0:
            raise GenError("--library: %s failed (exit %d):\n%s" % (
                " ".join(cmd), p.returncode, (p.stderr or p.stdout).strip()))
        try:
            with open(out, "rb") as f:
                data = f.read()
            tmp_lib = library + ".tmp"
            with open(tmp_lib, "wb") as f:
                f.write(data)
            os.replace(tmp_lib, library)
        except OSError as e:
            raise GenError("--library: %s: cannot write: %s" % (library, e))
