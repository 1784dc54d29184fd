#!/usr/bin/env python3
"""Reads a wasm module's sections, for scripts/size.sh and scripts/panic-free.sh.

    wasm-module.py sizes FILE   prints "CODE DATA": the code and data sections' bytes
    wasm-module.py names FILE   prints each function name of the `name` section, one a line
"""
import sys


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def sections(b):
    """Yields (id, start, end) of each section after the 8-byte header."""
    i = 8
    while i < len(b):
        sid = b[i]
        n, i = leb(b, i + 1)
        yield sid, i, i + n
        i += n


def function_names(b):
    for sid, start, end in sections(b):
        if sid != 0:
            continue
        n, j = leb(b, start)
        if b[j:j + n] != b'name':
            continue
        j += n
        while j < end:
            sub = b[j]
            size, j = leb(b, j + 1)
            sub_end = j + size
            if sub == 1:
                count, j = leb(b, j)
                for _ in range(count):
                    _, j = leb(b, j)
                    n, j = leb(b, j)
                    yield b[j:j + n].decode('utf-8', 'replace')
                    j += n
            j = sub_end


def main():
    what, path = sys.argv[1], sys.argv[2]
    b = open(path, 'rb').read()
    if what == 'sizes':
        size = {sid: end - start for sid, start, end in sections(b)}
        print(size.get(10, 0), size.get(11, 0))
    elif what == 'names':
        for name in function_names(b):
            print(name)
    else:
        sys.exit(f'usage: {sys.argv[0]} sizes|names FILE')


main()
