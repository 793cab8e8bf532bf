"""filemond's socket protocol (src/protocol.h) for the tests' raw clients.

Imported by the scripts security.bats and isolation.bats write next to a
copy of this file, and by tests/fuzz/daemon_fuzz.py.
"""
import array
import socket
import struct
import time

MAGIC = 0x464D4F4E  # "FMON"
SET_FD, SET_PID, CLOSE, STATUS = 1, 2, 3, 4  # enum fm_op
PID_TREE = 1  # SET_PID
LOG_JSON = 2  # SET_FD
REPLY, NOTE_EMPTY, NOTE_ENDED = 1, 2, 3  # enum fm_reply_type
VERSION = 2  # FM_PROTO_VERSION
REQ = struct.Struct('<IHHiI')  # struct fm_request: magic op version pid flags
# struct fm_reply: magic type version op err len reserved, then the result:
# lost malformed unresolved untraced iouring
REP = struct.Struct('<IHHIiII5Q')
assert REQ.size == 16 and REP.size == 64


def request(op, pid=0, flags=0, magic=MAGIC, version=VERSION):
    """The bytes of one request (any field may be out of range: fuzzing)."""
    return REQ.pack(magic & 0xFFFFFFFF, op & 0xFFFF, version & 0xFFFF, pid, flags & 0xFFFFFFFF)


def parse_request(b):
    """(magic, op, pid, flags) of request bytes."""
    magic, op, _, pid, flags = REQ.unpack(b)
    return magic, op, pid, flags


def parse_reply(b):
    """(magic, type, op, err, value, len) of a reply header; value is the
    events lost (lost + malformed) of a CLOSE reply or ENDED note."""
    magic, typ, _, op, err, ln, _, lost, malformed, _, _, _ = REP.unpack(b[: REP.size])
    return magic, typ, op, err, lost + malformed, ln


def connect(path, timeout=10):
    """Connect, retrying while the listen backlog is full (EAGAIN), for at
    most timeout seconds; the socket then has that timeout."""
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
            s.settimeout(timeout)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > deadline:
                raise TimeoutError('connect: the backlog stayed full')
            time.sleep(0.001)


def recv_exact(s, n):
    b = b''
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError('daemon closed the connection')
        b += c
    return b


def recv_reply(s):
    """(type, op, err, value, text) of the next reply or note."""
    magic, typ, op, err, value, ln = parse_reply(recv_exact(s, REP.size))
    if magic != MAGIC:
        raise ValueError('bad reply magic')
    text = recv_exact(s, ln) if ln else b''
    return typ, op, err, value, text


def call(s, op, pid=0, flags=0, fd=None):
    """Send one request (with fd by SCM_RIGHTS), return (err, value) of its
    reply, skipping EMPTY notes."""
    try:
        if fd is None:
            s.sendall(request(op, pid, flags))
        else:
            s.sendmsg([request(op, pid, flags)], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', [fd]))])
    except (BrokenPipeError, ConnectionResetError):
        pass  # turned away at accept: its one reply may be waiting
    while True:
        typ, _, err, value, _ = recv_reply(s)
        if typ == REPLY:
            return err, value
