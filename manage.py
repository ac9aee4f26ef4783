#!/usr/bin/env python
from taizhang.__main__ import main

if __name__ == "__main__":
    main()
