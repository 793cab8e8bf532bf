"""Read filemond's audit JSON lines (docs/AUDIT.md) for audit.bats.

load(dir) parses every line of audit.json and its rotations (oldest
first) with Python's own json module; a line that does not parse, or
lacks the schema version, fails the test.  Paths come back as bytes
through surrogateescape, as the schema documents.
"""
import glob
import json
import os
import sys


def files(d):
    rotated = glob.glob(os.path.join(d, 'audit.json.*'))
    rotated.sort(key=lambda p: -int(p.rsplit('.', 1)[1]))
    return rotated + [os.path.join(d, 'audit.json')]


def load(d):
    events = []
    for path in files(d):
        with open(path, 'rb') as f:
            for n, raw in enumerate(f, 1):
                if not raw.endswith(b'\n'):
                    sys.exit('%s:%d: a line without its newline' % (path, n))
                try:
                    e = json.loads(raw.decode('utf-8'))
                except ValueError as err:
                    sys.exit('%s:%d: not JSON (%s): %r' % (path, n, err, raw[:200]))
                if e.get('filemond', {}).get('schema') != 1:
                    sys.exit('%s:%d: no schema 1: %r' % (path, n, raw[:200]))
                e['_file'] = path
                events.append(e)
    return events


def path_bytes(s):
    return s.encode('utf-8', 'surrogateescape')


def get(e, dotted, default=None):
    for k in dotted.split('.'):
        if not isinstance(e, dict) or k not in e:
            return default
        e = e[k]
    return e


def seq_check(events):
    """The sequence numbers seen, the ranges lost events cover, and what
    is missing that no lost event covers (should be nothing)."""
    seqs = [get(e, 'filemond.seq') for e in events if get(e, 'filemond.seq') is not None]
    dup = len(seqs) - len(set(seqs))
    covered = set()
    ring_lost = 0
    for e in events:
        lost = get(e, 'filemond.lost')
        if lost and lost.get('where') == 'ring':
            ring_lost += lost['count']
            covered.update(range(lost['seq_first'], lost['seq_last'] + 1))
    seen = set(seqs)
    hi = max(seen | covered) if seen or covered else -1
    missing = [s for s in range(0, hi + 1) if s not in seen and s not in covered]
    overlap = seen & covered
    return dup, ring_lost, len(covered), missing, overlap
