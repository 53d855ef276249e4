"""`python -m autograd_lite ...` runs the `autograd-lite` command."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
