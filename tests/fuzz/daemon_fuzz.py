#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""daemon_fuzz.py - fuzz a running filemond daemon over its socket.

    daemon_fuzz.py fuzz SOCKET DIR [--seed N] [--frames N]
        Send N (default 1500) random and mutated request frames, one
        connection after another: valid requests, bad magic/op/flags, bit
        flips, truncated frames, trailing garbage, noise; pids 0, -1, 1,
        self, parent, a short-lived child, random; 0-5 passed fds of odd
        kinds (write-only and read-only files, pipes with no reader, dead
        socketpairs, directories, O_PATH, eventfds, /dev/null, /dev/full);
        whole, split and byte-by-byte sends, abrupt closes, half-closes.
        Every reply must follow src/protocol.h and come within 10 s: one
        per whole request, with the request's op (EINVAL for a malformed
        one); EOF after a malformed request, CLOSE's reply, an ENDED note,
        a refused connection or a half-close.  DIR must be writable (the
        log files go there).  Prints the three slowest replies and a
        summary; exit 0 if every reply was as the protocol says, 1 if not.

    daemon_fuzz.py hold SOCKET LOG STATE
        The well-behaved session: SET_FD LOG, SET_PID a child that reads
        /etc/hostname every 50 ms.  Writes "ready" to STATE, then waits
        for SIGTERM or SIGUSR1; then ends the child, waits for the EMPTY
        note, sends CLOSE, checks the log and writes "ok ..." or
        "FAIL ..." to STATE.

The seed is printed; the same seed sends the same frames (what the daemon
answers can still depend on timing and on the processes running).
"""
import array
import errno
import os
import random
import select
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fmproto import MAGIC, VERSION, PID_TREE, LOG_JSON, REPLY, NOTE_EMPTY, NOTE_ENDED, REQ, REP, request, parse_request, parse_reply  # noqa: E402
from fmproto import SET_FD as OP_SET_FD, SET_PID as OP_SET_PID, CLOSE as OP_CLOSE, STATUS as OP_STATUS  # noqa: E402

# replies after which the daemon may close the connection: a limit was hit
LIMIT_ERRS = (errno.ENFILE, errno.EMFILE, errno.EDQUOT, errno.EUSERS, errno.ENOSPC)
REPLY_WAIT = 10.0 * float(os.environ.get("TIME_SCALE", "1"))  # seconds a reply may take before it counts as missing (times TIME_SCALE in a slow guest)
MAX_PROBLEMS = 10  # then the run stops (it stays bounded when the daemon is stuck)


def frame_valid(b):
    """(valid, op, the errno a bad one gets): EPROTONOSUPPORT for another
    protocol version, EINVAL for anything else malformed."""
    magic, op, _, flags = parse_request(b)
    if magic == MAGIC and struct.unpack_from("<H", b, 6)[0] != VERSION:
        return False, op, errno.EPROTONOSUPPORT
    allowed = LOG_JSON if op == OP_SET_FD else PID_TREE
    return magic == MAGIC and OP_SET_FD <= op <= OP_STATUS and flags & ~allowed == 0, op, errno.EINVAL


class Closed(Exception):
    pass


class Replies:
    """Read struct fm_reply (+ text) from a socket, with a deadline."""

    def __init__(self, sock):
        self.sock, self.buf, self.eof = sock, b"", False

    def _fill(self, need, deadline):
        while len(self.buf) < need:
            if self.eof:
                raise Closed()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError()
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            try:
                got = self.sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                got = b""
            if not got:
                self.eof = True
            self.buf += got

    def next(self, deadline):
        """(magic, type, op, err, value, text); Closed at EOF, TimeoutError."""
        self._fill(REP.size, deadline)
        magic, typ, op, err, value, length = parse_reply(self.buf[: REP.size])
        if magic != MAGIC or length > 1 << 24:
            raise ValueError("reply header magic %#x len %d" % (magic, length))
        self._fill(REP.size + length, deadline)
        text = self.buf[REP.size : REP.size + length]
        self.buf = self.buf[REP.size + length :]
        return magic, typ, op, err, value, text

    def wait_eof(self, deadline):
        """True at EOF; False if a whole reply came first (kept in .extra)."""
        try:
            self.extra = self.next(deadline)
            return False
        except Closed:
            if self.buf:
                raise ValueError("EOF inside a reply (%d bytes)" % len(self.buf))
            return True


def connect(path, timeout=REPLY_WAIT):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def send_part(sock, data, fds):
    anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    view = memoryview(data)
    first = True
    while view:
        n = sock.sendmsg([view], anc if first else [], socket.MSG_NOSIGNAL)
        first = False
        view = view[n:]


class Fuzzer:
    def __init__(self, path, workdir, seed, frames):
        self.path, self.dir, self.budget = path, workdir, frames
        self.rng = random.Random(seed)
        self.seed = seed
        self.pid_max = int(open("/proc/sys/kernel/pid_max").read())
        self.children = []
        self.problems = []
        self.refused = 0  # connects in a row that failed
        self.desc = ""  # what the current connection sends, for the messages
        self.slowest = []
        self.stats = {"connections": 0, "frames": 0, "replies": 0, "empty notes": 0, "ended notes": 0, "bytes": 0}
        self.errs = {}

    # --- what is sent -------------------------------------------------
    def pid(self):
        r = self.rng
        kind = r.choice(["0", "-1", "1", "self", "parent", "child", "random", "random", "max", "min"])
        if kind == "self":
            return os.getpid()
        if kind == "parent":
            return os.getppid()
        if kind == "child":  # short-lived: gone soon, perhaps before the request
            delay = r.choice([0, 0.002, 0.02])
            pid = os.fork()
            if pid == 0:
                time.sleep(delay)
                os._exit(0)
            self.children.append(pid)
            return pid
        if kind == "random":
            return r.randint(2, self.pid_max)
        return {"0": 0, "-1": -1, "1": 1, "max": 0x7FFFFFFF, "min": -0x80000000}[kind]

    def valid(self):
        r = self.rng
        op = r.choice([OP_SET_FD, OP_SET_FD, OP_SET_PID, OP_SET_PID, OP_SET_PID, OP_STATUS, OP_CLOSE])
        flag = LOG_JSON if op == OP_SET_FD else PID_TREE
        return request(op, self.pid() if op == OP_SET_PID else r.choice([0, 0, self.pid()]), r.choice([0, 0, flag]))

    def frame(self):
        """One frame's bytes, valid or mutated."""
        r = self.rng
        kind = r.choice(["valid"] * 6 + ["magic", "op", "version", "flags", "bitflip", "truncated", "trailing", "noise"])
        b = self.valid()
        if kind == "magic":
            b = struct.pack("<I", r.choice([0, MAGIC ^ (1 << r.randrange(32)), r.getrandbits(32)])) + b[4:]
        elif kind == "op":
            b = b[:4] + struct.pack("<H", r.choice([0, 5, 0xFFFF, r.getrandbits(16)])) + b[6:]
        elif kind == "version":
            b = b[:6] + struct.pack("<H", r.choice([0, 1, VERSION + 1, r.getrandbits(16)])) + b[8:]
        elif kind == "flags":
            b = b[:12] + struct.pack("<I", r.choice([1, 2, 3, 0x80000000, r.getrandbits(32) | 4]))
        elif kind == "bitflip":
            b = bytearray(b)
            for _ in range(r.randint(1, 3)):
                b[r.randrange(16)] ^= 1 << r.randrange(8)
            b = bytes(b)
        elif kind == "truncated":
            b = b[: r.randint(1, 15)]
        elif kind == "trailing":
            b += r.randbytes(r.randint(1, 20))
        elif kind == "noise":
            b = r.randbytes(r.randint(1, 64))
        return b

    def odd_fd(self):
        """One fd of an odd kind; never one a write could block on (F6)."""
        r = self.rng
        kind = r.choice(["wronly", "wronly", "rdonly", "pipe", "socket", "dir", "opath", "eventfd", "null", "full"])
        self.kinds.append(kind)
        if kind == "wronly":
            return os.open(os.path.join(self.dir, "log%d" % r.randrange(4)), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        if kind == "rdonly":
            return os.open("/etc/hostname", os.O_RDONLY)
        if kind == "pipe":  # no reader: writes fail with EPIPE
            rd, wr = os.pipe()
            os.close(rd)
            os.set_blocking(wr, False)
            return wr
        if kind == "socket":  # a dead socketpair
            a, b = socket.socketpair()
            b.close()
            a.setblocking(False)
            return a.detach()
        if kind == "dir":
            return os.open(self.dir, os.O_RDONLY | os.O_DIRECTORY)
        if kind == "opath":
            return os.open("/etc/hostname", os.O_PATH)
        if kind == "eventfd":
            return os.eventfd(0, os.EFD_NONBLOCK)
        return os.open("/dev/null" if kind == "null" else "/dev/full", os.O_WRONLY)

    # --- one connection -----------------------------------------------
    def connection(self, n):
        r = self.rng
        frames = [self.frame() for _ in range(min(r.choice([1, 1, 1, 2, 2, 3, 4]), self.budget))]
        self.budget -= len(frames)
        self.stats["frames"] += len(frames)
        stream = b"".join(frames)
        # how it goes out: parts, the fds on one of them, and how it ends
        how = r.choice(["whole", "whole", "split", "split", "bytes"]) if len(stream) > 1 else "whole"
        if how == "whole":
            cuts = []
        elif how == "bytes":
            cuts = list(range(1, min(len(stream), 40)))
        else:
            cuts = sorted(r.sample(range(1, len(stream)), min(len(stream) - 1, r.randint(1, 3))))
        parts = [stream[a:b] for a, b in zip([0] + cuts, cuts + [len(stream)])]
        self.kinds = []
        fds = [self.odd_fd() for _ in range(r.choice([0, 0, 1, 1, 1, 2, 3, 5]))]
        fd_part = r.randrange(len(parts))
        end = r.choice(["read", "read", "read", "halfclose", "abrupt", "midclose"])
        if end == "midclose" and len(parts) > 1:
            parts = parts[: r.randrange(1, len(parts))]
        elif end == "midclose":
            end = "abrupt"
        pause = r.choice([0, 0, 0.001, 0.003])
        self.desc = "frames %s, %s in %d parts, fds %s on part %d, %s" % (
            " ".join(f.hex() for f in frames), how, len(parts), ",".join(self.kinds) or "none", fd_part, end)

        sent = b""
        try:
            s = connect(self.path)
        except OSError as e:
            self.problem(n, "connect: %s" % e)
            self.close_fds(fds)
            self.refused += 1
            return
        self.refused = 0
        self.stats["connections"] += 1
        try:
            for i, part in enumerate(parts):
                try:
                    send_part(s, part, fds if i == fd_part else [])
                except (BrokenPipeError, ConnectionResetError):
                    break  # the daemon closed it: a malformed frame before this part
                sent += part
                if pause and i + 1 < len(parts):
                    time.sleep(pause)
            self.close_fds(fds)
            self.stats["bytes"] += len(sent)
            if end in ("abrupt", "midclose"):
                return
            if end == "halfclose":
                s.shutdown(socket.SHUT_WR)
            self.check_replies(n, s, sent, end == "halfclose")
        finally:
            s.close()
            self.reap(False)

    def check_replies(self, n, s, sent, halfclosed):
        """The replies to what was sent, as src/protocol.h says: one per
        whole request, the request's op, EINVAL for a malformed one; EOF
        after a malformed request, after CLOSE's reply, after an ENDED note,
        after a refused connection (op 0, ENFILE/EMFILE), after a half-close;
        perhaps after a reply saying a limit was hit."""
        expect, closes = [], halfclosed
        for off in range(0, len(sent) - len(sent) % 16, 16):
            ok, op, bad_err = frame_valid(sent[off : off + 16])
            expect.append((op, ok, bad_err))
            if not ok or op == OP_CLOSE:
                closes = True
                break
        rd = Replies(s)
        t0 = time.monotonic()
        deadline = t0 + REPLY_WAIT
        got, may_close = 0, False
        try:
            while got < len(expect):
                try:
                    magic, typ, op, err, value, text = rd.next(deadline)
                except Closed:
                    if may_close and not rd.buf:
                        return
                    raise
                if typ == NOTE_EMPTY:
                    self.stats["empty notes"] += 1
                    if op != 0 or err != 0 or text:
                        self.problem(n, "EMPTY note with op %d err %d len %d" % (op, err, len(text)))
                    continue
                if typ == NOTE_ENDED:
                    self.stats["ended notes"] += 1
                    if err not in (errno.ETIMEDOUT, errno.ESHUTDOWN):
                        self.problem(n, "ENDED note with err %d" % err)
                    closes = True
                    break
                self.count(err)
                self.slow(time.monotonic() - t0, n, op, err)
                if typ != REPLY:
                    self.problem(n, "reply type %d" % typ)
                if got == 0 and op == 0 and err in (errno.ENFILE, errno.EMFILE):
                    closes = True  # refused at accept: over a connection limit
                    break
                want_op, ok, bad_err = expect[got]
                got += 1
                if op != want_op:
                    self.problem(n, "reply %d answers op %d, the request was op %d" % (got, op, want_op))
                if not ok and err != bad_err:
                    self.problem(n, "malformed request answered with err %d, not %d" % (err, bad_err))
                if not 0 <= err < 4096:
                    self.problem(n, "reply err %d is no errno" % err)
                if ok and want_op == OP_STATUS and err == 0 and not text.startswith(b"sessions "):
                    self.problem(n, "STATUS text %r" % text[:40])
                if ok and want_op != OP_STATUS and text:
                    self.problem(n, "op %d reply carries %d bytes of text" % (want_op, len(text)))
                may_close = may_close or err in LIMIT_ERRS
            if closes:
                while not rd.wait_eof(deadline):
                    if rd.extra[1] not in (NOTE_EMPTY, NOTE_ENDED):
                        self.problem(n, "a reply after the connection should have closed")
                        break
        except Closed:
            self.problem(n, "EOF after %d of %d replies (sent %d bytes)" % (got, len(expect), len(sent)))
        except TimeoutError:
            what = "EOF" if got == len(expect) else "reply %d of %d" % (got + 1, len(expect))
            self.problem(n, "no %s within %.0f s (sent %d bytes)" % (what, REPLY_WAIT, len(sent)))
        except ValueError as e:
            self.problem(n, str(e))

    def slow(self, secs, n, op, err):
        """Keep the three slowest replies."""
        self.slowest = sorted(self.slowest + [(secs, n, op, err, self.desc)], reverse=True)[:3]

    def count(self, err):
        self.stats["replies"] += 1
        name = errno.errorcode.get(err, str(err)) if err else "OK"
        self.errs[name] = self.errs.get(name, 0) + 1

    # --- housekeeping -------------------------------------------------
    def problem(self, n, what):
        self.problems.append("connection %d: %s" % (n, what))
        if len(self.problems) <= 20:
            print("daemon_fuzz: seed %d: connection %d: %s [%s]" % (self.seed, n, what, self.desc), file=sys.stderr)

    @staticmethod
    def close_fds(fds):
        for fd in fds:
            os.close(fd)

    def reap(self, block):
        left = []
        for pid in self.children:
            if os.waitpid(pid, 0 if block else os.WNOHANG)[0] == 0:
                left.append(pid)
        self.children = left

    def run(self):
        n = 0
        while self.budget > 0:
            self.connection(n)
            n += 1
            if self.refused >= 3:
                self.problem(n, "the daemon no longer answers: stopping")
                break
            if len(self.problems) >= MAX_PROBLEMS:
                self.problem(n, "%d problems: stopping" % len(self.problems))
                break
        self.reap(True)
        st = ", ".join("%s %d" % kv for kv in self.stats.items())
        errs = " ".join("%s:%d" % kv for kv in sorted(self.errs.items()))
        for secs, n, op, err, desc in self.slowest:
            print("daemon_fuzz: slow: %.3f s for op %d err %d on connection %d [%s]" % (secs, op, err, n, desc))
        print("daemon_fuzz: uid %d seed %d: %s; replies %s; %d problems" % (os.getuid(), self.seed, st, errs, len(self.problems)))
        return 1 if self.problems else 0


# --- the well-behaved session -------------------------------------------
def reader():
    """The traced child of 'hold': read /etc/hostname until stdin closes."""
    while True:
        with open("/etc/hostname", "rb") as f:
            f.read()
        r, _, _ = select.select([sys.stdin], [], [], 0.05)
        if r and not os.read(sys.stdin.fileno(), 1):
            return 0


def check_log(path, child):
    lines = open(path, "rb").read().decode("latin-1").split("\n")
    if lines[-1] != "":
        return "the log does not end in a newline"
    lines = lines[:-1]
    if lines[:1] != ["# filemon version 5"] or len(lines) < 6 or lines[3] != "V 5":
        return "bad header: %r" % lines[:4]
    if not lines[-2].startswith("# Stop ") or lines[-1] != "# Bye bye":
        return "bad trailer: %r" % lines[-2:]
    for i, line in enumerate(lines):
        if not line or any(ord(c) < 0x20 for c in line):
            return "line %d is empty or has a control byte" % (i + 1)
        if i > 3 and line[0] != "#":
            f = line.split(" ", 2)
            if len(f) < 3 or len(f[0]) != 1 or not f[0].isupper() or not f[1].isdigit() or not f[2]:
                return "malformed line %d: %r" % (i + 1, line)
    if "R %d /etc/hostname" % child not in lines:
        return "no 'R %d /etc/hostname' in the log" % child
    if "X %d 0 0" % child not in lines:
        return "no 'X %d 0 0' in the log" % child
    return None


def hold(path, log, state):
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGUSR1})
    rd_fd, wr_fd = os.pipe()
    child = os.fork()
    if child == 0:
        os.dup2(rd_fd, 0)
        os.close(wr_fd)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGUSR1})
        os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), "reader"])
    os.close(rd_fd)

    def result(text):
        with open(state, "w") as f:
            f.write(text + "\n")
        return 0 if text.startswith("ok") else 1

    def call(s, rd, op, pid=0, fds=()):
        send_part(s, request(op, pid), list(fds))
        while True:
            _, typ, rop, err, value, _ = rd.next(time.monotonic() + REPLY_WAIT)
            if typ == NOTE_ENDED:
                raise ValueError("the daemon ended the session: err %d" % err)
            if typ == REPLY:
                return rop, err, value

    try:
        s = connect(path)
        rd = Replies(s)
        logfd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        r1 = call(s, rd, OP_SET_FD, fds=[logfd])
        os.close(logfd)
        r2 = call(s, rd, OP_SET_PID, pid=child)
        if r1[1] or r2[1]:
            return result("FAIL SET_FD err %d, SET_PID err %d" % (r1[1], r2[1]))
        result("ready")
        signal.sigwait({signal.SIGTERM, signal.SIGUSR1})
        os.close(wr_fd)  # the child ends
        os.waitpid(child, 0)
        deadline = time.monotonic() + REPLY_WAIT
        while rd.next(deadline)[1] != NOTE_EMPTY:
            pass
        _, err, lost = call(s, rd, OP_CLOSE)
        if err:
            return result("FAIL CLOSE err %d" % err)
        if not rd.wait_eof(time.monotonic() + REPLY_WAIT):
            return result("FAIL a reply after CLOSE")
        s.close()
        bad = check_log(log, child)
        if bad:
            return result("FAIL " + bad)
        return result("ok: child %d, %d events lost" % (child, lost))
    except (OSError, TimeoutError, Closed, ValueError) as e:
        return result("FAIL %s: %s" % (type(e).__name__, e))


def main(argv):
    if len(argv) >= 1 and argv[0] == "reader":
        return reader()
    if len(argv) == 4 and argv[0] == "hold":
        return hold(*argv[1:])
    if len(argv) >= 3 and argv[0] == "fuzz":
        seed, frames = int(time.time() * 1000) % 1000000, 1500
        rest = argv[3:]
        while rest:
            opt, val, rest = rest[0], int(rest[1]), rest[2:]
            if opt == "--seed":
                seed = val
            elif opt == "--frames":
                frames = val
            else:
                raise SystemExit("daemon_fuzz: unknown option " + opt)
        print("daemon_fuzz: uid %d seed %d frames %d (rerun: --seed %d)" % (os.getuid(), seed, frames, seed), flush=True)
        return Fuzzer(argv[1], argv[2], seed, frames).run()
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
