"""gen_path.py -- lets a tool run from the source tree import the generator
package, gen/attnroute_gen (its legacy gates included): when this file lies
in the source tree's tools/, it puts gen/ first on sys.path.  Installed, the
package lies beside the tools in share/attnroute, the folder Python puts
first on sys.path for a script there, and this does nothing.  Every tool
that imports attnroute_gen imports this first: the tools' one path edit.
"""

import os
import sys

_GEN = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     os.pardir, "gen"))
if os.path.isfile(os.path.join(_GEN, "attnroute_gen", "__init__.py")) and _GEN not in sys.path:
    sys.path.insert(0, _GEN)
