#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""make_corpus.py - write the seed corpora of the libFuzzer harnesses.

    tests/fuzz/make_corpus.py      (re)writes tests/fuzz/corpus/{protocol,record}/

The seeds are a handful of small valid inputs, laid out as the harnesses
read them (see the comments of fuzz_protocol.c and fuzz_record.c).  The
files are committed; rerun this after a layout change.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# --- protocol (src/protocol.h) ---------------------------------------------
MAGIC = 0x464D4F4E
SET_FD, SET_PID, CLOSE, STATUS = 1, 2, 3, 4
REPLY, NOTE_EMPTY = 1, 2


VERSION = 2


def req(op, pid=0, flags=0, magic=MAGIC, version=VERSION):
    return struct.pack("<IHHiI", magic, op, version, pid, flags)


def rep(typ, op, err=0, value=0, text=b"", version=VERSION):
    return struct.pack("<IHHIiII5Q", MAGIC, typ, version, op, err, len(text), 0, value, 0, 0, 0, 0) + text


def plan(stream, sizes=(), fd_chunks=0, fd_counts=0):
    """fuzz_protocol input: nsizes, fd chunk bits, fd count bits, sizes - 1, stream."""
    assert len(sizes) <= 7 and all(1 <= s <= 256 for s in sizes)
    return bytes([len(sizes), fd_chunks, fd_counts] + [s - 1 for s in sizes]) + stream


PROTOCOL = {
    # a log fd passed with SET_FD, then a tree attach and CLOSE, in one send
    "set-fd-pid-close": plan(req(SET_FD) + req(SET_PID, 1234, 1) + req(CLOSE), fd_chunks=1),
    # the same split 4/8/16 bytes, 3 fds riding on the second chunk
    "split-fds-on-second": plan(req(SET_FD) + req(SET_PID, 1, 0) + req(CLOSE), (4, 8, 16), 0x02, 0x04),
    # SET_FD with its one flag (--format json), and with SET_PID's (invalid there)
    "set-fd-json-flags": plan(req(SET_FD, 0, 2) + req(SET_FD, 0, 1) + req(SET_PID, 1, 2), fd_chunks=1),
    # one byte at a time
    "bytewise-status": plan(req(STATUS) + req(STATUS), (1,)),
    # five fds in one message (the receiver has room for four)
    "five-fds": plan(req(SET_FD), fd_chunks=1, fd_counts=0x02),
    # a malformed request (bad magic) and a truncated one
    "bad-magic-truncated": plan(req(SET_PID, 7, 0, magic=0x464D4F4F) + req(SET_PID, 7)[:10], (5, 11)),
    # replies: STATUS with text, an EMPTY note, CLOSE with 3 events lost
    "replies": plan(rep(REPLY, STATUS, 0, 0, b"sessions 0, tracer map entries 0\n")
                    + rep(NOTE_EMPTY, 0) + rep(REPLY, CLOSE, 0, 3), (32, 7)),
    # a reply whose text runs past the end
    "reply-short-text": plan(rep(REPLY, STATUS, 0, 0, b"0123456789")[:38]),
}

# --- record (include/filemond.h) -------------------------------------------
FORK, EXEC, EXIT, OPEN, CHDIR, UNLINK, RENAME, LINK, SYMLINK, IOURING = range(1, 11)
S_FILE, S_NAME, S_BASE, S_DIRFD, S_INTERP, S_TEXT, S_BASE_PARENT, S_DIRFD_PARENT = range(1, 9)
TRUNCATED, UNREADABLE, MISSING = 1, 2, 4
O_RDONLY, O_WRONLY, O_RDWR = 0, 1, 2


def seg(role, data, flags=0):
    pad = (-len(data)) % 4
    return struct.pack("<BBH", role, flags, len(data)) + data + b"\0" * pad


def walk(*names):
    """A walked path, leaf first: walk('f', 'w') is /w/f."""
    return b"".join(n.encode() + b"\0" for n in names)


def name(s):
    return s.encode() + b"\0"


def event(kind, pid, aux, *segs, flags=0, session=0, gen=0):
    data = b"".join(segs)
    return struct.pack("<BBHIIIII", kind, len(segs), flags, session, pid, aux, len(data), gen) + data


RECORD = {
    "open-dirfd": event(OPEN, 7, O_RDONLY, seg(S_FILE, walk("f", "w")), seg(S_NAME, name("../f")),
                        seg(S_DIRFD, walk("sub", "w"))),
    "open-rdwr-symlink": event(OPEN, 7, O_RDWR, seg(S_FILE, walk("f", "w")), seg(S_NAME, name("link")),
                               seg(S_BASE, walk("w"))),
    "open-base-parent": event(OPEN, 7, O_WRONLY, seg(S_FILE, walk("f", "w")), seg(S_NAME, name("f")),
                              seg(S_BASE_PARENT, b"")),
    "open-dirfd-parent": event(OPEN, 7, O_RDONLY, seg(S_FILE, walk("t", "w")), seg(S_NAME, name("./l")),
                               seg(S_DIRFD_PARENT, b"")),
    "open-handle": event(OPEN, 7, O_RDONLY, seg(S_FILE, walk("f", "w"))),
    "open-truncated": event(OPEN, 7, O_RDONLY, seg(S_FILE, walk("f"), TRUNCATED)),
    "exec-dropped": event(EXEC, 8, 1, seg(S_FILE, walk("passwd", "bin", "usr")), seg(S_NAME, name("/usr/bin/passwd"))),
    "exec-script": event(EXEC, 8, 0, seg(S_FILE, walk("dash", "bin", "usr")), seg(S_NAME, name("./script")),
                         seg(S_BASE, walk("w")), seg(S_INTERP, name("/bin/sh"))),
    "fexecve-gone": event(EXEC, 8, 0, seg(S_FILE, walk("prog", "w")), seg(S_NAME, name("/dev/fd/5")),
                          seg(S_DIRFD, b"", MISSING)),
    "execveat": event(EXEC, 8, 0, seg(S_FILE, walk("prog", "w")), seg(S_NAME, name("/dev/fd/5/prog")),
                      seg(S_DIRFD, walk("w"))),
    "rename-quotes": event(RENAME, 9, 0, seg(S_NAME, name("it's\n")), seg(S_DIRFD, walk("w")),
                           seg(S_NAME, name("/x/b\\c"))),
    "link": event(LINK, 9, 0, seg(S_NAME, name("/w/a")), seg(S_NAME, name("b")), seg(S_BASE, walk("w"))),
    "symlink": event(SYMLINK, 9, 0, seg(S_TEXT, name("../f")), seg(S_NAME, name("s")), seg(S_BASE, walk("sub", "w"))),
    "chdir-root": event(CHDIR, 9, 0, seg(S_FILE, b"")),
    "unlink-rel-nobase": event(UNLINK, 7, 1, seg(S_NAME, name("rel"))),
    "fork": event(FORK, 10, 11),
    "exit-signal": event(EXIT, 11, 0x8B),
    "iouring": event(IOURING, 12, 0),
    "too-big": event(OPEN, 7, O_RDONLY, seg(S_FILE, walk("f", "w")), flags=1),
    # near PATH_MAX: a 4095-byte file path; a 2 KiB relative name on a 2 KiB base
    "open-path-max": event(OPEN, 7, O_RDONLY, seg(S_FILE, walk(*(["d" * 254] * 15 + ["f" * 254, "e" * 14])))),
    "open-long-join": event(OPEN, 7, O_WRONLY, seg(S_FILE, walk("f", "w")), seg(S_NAME, name("n" * 2047)),
                            seg(S_BASE, walk(*(["b" * 200] * 10)))),
    # The security review's F12: an empty name with a real dirfd wrote
    # "A 7 " -- no field after the pid (fuzz_record aborts on this seed
    # with src/consumer.c before 7dc2f18; kept as a regression seed).
    "f12-empty-dirfd-name": event(OPEN, 7, O_RDONLY, seg(S_FILE, walk("f", "w")), seg(S_NAME, name("")),
                                  seg(S_DIRFD, walk("w"))),
}


def write(corpus, seeds):
    d = os.path.join(HERE, "corpus", corpus)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.unlink(os.path.join(d, f))
    for n, data in sorted(seeds.items()):
        with open(os.path.join(d, n), "wb") as f:
            f.write(data)
    print("%s: %d seeds, %d bytes" % (d, len(seeds), sum(map(len, seeds.values()))))


if __name__ == "__main__":
    write("protocol", PROTOCOL)
    write("record", RECORD)
    sys.exit(0)
