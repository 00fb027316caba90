"""_lib.py -- finding and loading libattnroute (the runtime's shared library).

Looked for, in order: the file named by $ATTNROUTE_LIBRARY; the paths the
build wrote into _paths.py (the build tree's library when the package is
imported from the build tree, the install tree's library, relative to this
package, when it was installed by `cmake --install`); then the system's
library search (ctypes.util.find_library).  The library is loaded by full
path, so no LD_LIBRARY_PATH or rpath is needed.

Functions on the per-call path are bound through ctypes.PyDLL (the GIL is
held for the few hundred nanoseconds a select takes, which also makes a
per-call environment change atomic for Python threads); the rest through
ctypes.CDLL.  Argument and result types are set once here.
"""
import ctypes
import ctypes.util
import os

from . import _abi


class Error(Exception):
    """An attnroute error: a library or table that cannot be loaded, a bad
    argument, or (strict routers) a problem the runtime rejects."""


def _candidates():
    here = os.path.dirname(os.path.abspath(__file__))
    env = os.environ.get("ATTNROUTE_LIBRARY")
    if env:
        return [env], True
    found = []
    try:
        from . import _paths
        for p in _paths.LIBRARIES:
            found.append(p if os.path.isabs(p) else os.path.normpath(os.path.join(here, p)))
    except ImportError:
        pass
    sys_lib = ctypes.util.find_library("attnroute")
    if sys_lib:
        found.append(sys_lib)
    return found, False


def _load():
    paths, explicit = _candidates()
    errors = []
    for path in paths:
        if os.path.isabs(path) and not os.path.exists(path):
            errors.append("%s: no such file" % path)
            continue
        try:
            return ctypes.CDLL(path), ctypes.PyDLL(path), path
        except OSError as e:
            errors.append(str(e))
    where = "; ".join(errors) if errors else "no build or install path recorded and " \
        "the system has no libattnroute"
    if explicit:
        raise Error("ATTNROUTE_LIBRARY=%s cannot be loaded: %s" % (paths[0], where))
    raise Error("libattnroute not found (%s); set ATTNROUTE_LIBRARY to the library's path"
                % where)


_c, _py, PATH = _load()
P = ctypes.POINTER

_sigs = {
    "attnroute_version": (ctypes.c_int, []),
    "attnroute_status_str": (ctypes.c_char_p, [ctypes.c_int]),
    "attnroute_route_name": (ctypes.c_char_p, [ctypes.c_int]),
    "attnroute_policy_name": (ctypes.c_char_p, [ctypes.c_int]),
    "attnroute_dtype_name": (ctypes.c_char_p, [ctypes.c_int]),
    "attnroute_policy_parse": (ctypes.c_int, [ctypes.c_char_p]),
    "attnroute_problem_init": (None, [P(_abi.Problem)]),
    "attnroute_env_init": (None, [P(_abi.Env)]),
    "attnroute_problem_check": (ctypes.c_int, [P(_abi.Problem)]),
    "attnroute_legacy_route": (ctypes.c_int, [ctypes.c_int, P(_abi.Env), P(_abi.Problem)]),
    "attnroute_legacy_standin": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                                P(_abi.Problem)]),
    "attnroute_router_init": (ctypes.c_int, [P(_abi.Router), ctypes.c_void_p,
                                             ctypes.c_char_p, ctypes.c_int32]),
    "attnroute_device_init": (None, [P(_abi.Device)]),
    "attnroute_router_init_device": (ctypes.c_int, [P(_abi.Router), ctypes.c_void_p,
                                                    P(_abi.Device)]),
    "attnroute_problem_shape_line": (ctypes.c_int, [P(_abi.Problem), ctypes.c_char_p,
                                                    ctypes.c_size_t]),
    "attnroute_miss_set_init": (None, [P(_abi.MissSet), P(_abi.MissEntry), ctypes.c_uint32]),
}
for _name, (_res, _args) in _sigs.items():
    _f = getattr(_c, _name)
    _f.restype, _f.argtypes = _res, _args
    globals()[_name[len("attnroute_"):]] = _f

# The per-call function: no argtypes, called with byref() objects made once
# (the cheapest ctypes call there is).
select = _py.attnroute_select
select.restype = ctypes.c_int
select.argtypes = None

# The miss hook, as a plain function pointer stored in the router.
MISS_SHAPES = ctypes.cast(_c.attnroute_miss_shapes, ctypes.c_void_p).value


def status_text(status):
    return status_str(status).decode()
