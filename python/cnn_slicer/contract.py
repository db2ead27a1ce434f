"""The contract shared with CNN Slicer's TypeScript side: ``contract.json`` beside this module.

It is generated from ``src/contract`` (``pytorchOps.ts``, ``sharedContract.ts``) by ``npm run contract``
and checked in; ``npm run lint`` fails when it differs from its source (python/README.md, "The
contract"). It holds the PyTorch classes and ops the recorder records (ops.py), the options it records
of a layer (trace.py), the recording defaults (recorder.py), the loss's clamp (measures.py), the
control's seed streams (control.py) and the seeded generator's known answers (tests/test_control.py).
"""

import json
import os

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "contract.json")

with open(PATH, encoding="utf-8") as _f:
    CONTRACT = json.load(_f)
