#!/usr/bin/env python3
# Known answers from the RFCs: the signed example zones of RFC 4035
# Appendix A (NSEC, RSASHA1) and RFC 5155 Appendix A (NSEC3 with opt-out,
# RSASHA1-NSEC3-SHA1), in tests/data/rfc4035-example.zone and
# tests/data/rfc5155-example.zone.  They were signed by other people's
# software long ago, with keys nobody here has, so they check sigil against
# an outside reference that cannot drift with sigil itself.
#
# Both zones are valid as published: ldns-verify-zone and kzonecheck accept
# them at a time inside the validity of their signatures (every RRSIG
# verifies, both chains are complete), and so must sigil.  No defect is
# known in them.  (RFC 5155 has an erratum on its Appendix A zone, EID
# 4993, whose text could not be consulted here; whatever it changes, the
# zone as published validates with every peer tool.  The RRSIG example of
# RFC 4034 section 3.3, which does not verify, is not part of these zones.)
#
# Validity windows (UTC):
#   RFC 4035: 20040409183619 .. 20040509183619, checked at 20040420000000
#   RFC 5155: 20051021000000 .. 20150420235959, checked at 20100101000000
#
# Counted in the zone files by hand:
#   RFC 4035: 27 RRSIGs (26 by ZSK 38519, the DNSKEY RRset also by KSK
#             9465), 13 NSEC records, delegations a.example. (DS, secure)
#             and b.example. (insecure)
#   RFC 5155: 30 RRSIGs (29 by ZSK 40430, the DNSKEY RRset only by KSK
#             12708), 12 NSEC3 records, all with opt-out; delegations
#             a.example. (DS, secure) and c.example. (insecure, left out of
#             the chain: it lies in the opt-out span of
#             35mthgpgcu1qg68fab165klnsnk3dpvl = H(a.example.), which runs to
#             b4um86eghhds6nea196smvmlo4ors995 = H(x.w.example.);
#             H(c.example.) = 4g6p9u5gvfshp30pqecj98b3maqbn1ck, RFC 5155 B.3)
#
# Mutations, each on a copy (expected findings are errors unless noted):
#   flip one base64 character of one RRSIG   sig-bogus, owner and type of it
#   validate after the expiration            sig-expired for every RRSIG
#   validate before the inception            sig-not-yet-valid for every one
#         (and possibly dnskey-not-sep-signed: no valid KSK signature left)
#   5155: drop the NSEC3 of ns1.example.     nsec3-missing for ns1.example.,
#         nsec3-next for the previous NSEC3 (0p9mhaveqv..., whose next
#         hashed owner is now missing)
#         (owner 2t7b4g4vsa5smi47k61mv5bv1a22bojr; the name
#         2t7b4g4vsa5smi47k61mv5bv1a22bojr.example. also owns an A RRset,
#         which stays)
#   5155: drop the NSEC3 of a.example.       nsec3-missing for a.example.,
#         nsec3-next for 2vptu5timamqttgl4luu9kg21e0aor3s
#         (35mthgpgcu1qg68fab165klnsnk3dpvl; c.example. stays covered by
#         the opt-out span of the previous record, 2vptu5tim...)
#   5155: clear the opt-out flag of 35mthgpgcu1qg68fab165klnsnk3dpvl
#         nsec3-optout for c.example. (now in a span without opt-out), and
#         sig-bogus for that NSEC3 (its RRSIG covered the flag); warning
#         nsec3-optout-mixed
#   4035: drop the NSEC of ai.example.       nsec-missing for ai.example.
#
# Environment: SIGIL (default ./build/sigil).  The peer tools are required:
# a missing peer tool fails the test (it is a dependency).

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'tools'))
import sigiltest as st  # noqa: E402

tap = st.Tap()
if not st.have_sigil():
    tap.bail('sigil binary not found: %s' % st.SIGIL)

DATA = os.path.join(st.ROOT, 'tests', 'data')
TMP = tempfile.mkdtemp(prefix='sigil-rfc-')

ZONES = {
    'rfc4035': dict(
        file=os.path.join(DATA, 'rfc4035-example.zone'),
        time='20040420000000', after='20040509183620',
        before='20040409183618',
        sigs=27, keys={38519: (256, 5, 26), 9465: (257, 5, 1)},
        denial={'type': 'NSEC'}, records=63,
        # first base64 line of the RRSIG over xx.example. HINFO
        flip=('GY2PLSXmMHkWHfLdggiox8+chWpeMNJLkML0', 8,
              'xx.example.', 'HINFO', 38519)),
    'rfc5155': dict(
        file=os.path.join(DATA, 'rfc5155-example.zone'),
        time='20100101000000', after='20150421000000',
        before='20051020235959',
        sigs=30, keys={40430: (256, 7, 29), 12708: (257, 7, 1)},
        denial={'type': 'NSEC3', 'algorithm': 1, 'iterations': 12,
                'salt': 'aabbccdd', 'opt_out': True, 'records': 12},
        records=70,
        # first base64 line of the RRSIG over ai.example. HINFO
        flip=('Yi42uOq43eyO6qXHNvwwfFnIustWgV5urFcx', 10,
              'ai.example.', 'HINFO', 40430)),
}


def canon(name):
    return st.canon(name)


def run(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
    except OSError as e:
        return 'not run', str(e)
    return p.returncode, p.stdout.decode(errors='replace')


def epoch(ts):
    import calendar
    import time
    return calendar.timegm(time.strptime(ts, '%Y%m%d%H%M%S'))


# --------------------------------------------------------------------------
# The zone files keep the RFCs' multi-line layout.  For the mutations they
# are flattened to one record a line: comments out, parenthesised groups
# joined, a blank owner field is the previous owner.

def tokens(text):
    return re.findall(r'"[^"]*"|[^\s"]+', text)


def flatten(path):
    recs = []
    owner = None
    pending = None
    with open(path) as f:
        for raw in f:
            line = re.sub(r';.*$', '', raw.rstrip('\n'))
            if pending is not None:
                pending += ' ' + line
            else:
                if not line.strip():
                    continue
                if not line[0].isspace():
                    owner = line.split()[0]
                    line = line[len(owner):]
                pending = line
            if pending.count('(') > pending.count(')'):
                continue
            t = tokens(pending.replace('(', ' ').replace(')', ' '))
            pending = None
            ttl = t.pop(0) if t[0].isdigit() else '3600'
            if t[0].upper() == 'IN':
                t.pop(0)
            recs.append([owner, ttl, 'IN', t[0].upper()] + t[1:])
    return recs


def write_flat(recs, name):
    path = os.path.join(TMP, name)
    with open(path, 'w') as f:
        for r in recs:
            f.write(' '.join(r) + '\n')
    return path


def finds(r, code, owner=None, rtype=None, severity='error'):
    out = []
    for f in r.findings:
        if f.get('severity') != severity or f.get('code') != code:
            continue
        if owner is not None and canon(f.get('owner')) != canon(owner):
            continue
        if rtype is not None and str(f.get('type', '')).upper() != rtype:
            continue
        out.append(f)
    return out


def codes(r, severity='error'):
    return sorted({f.get('code') for f in r.findings
                   if f.get('severity') == severity})


# --------------------------------------------------------------------------

for zid, z in ZONES.items():
    path = z['file']
    if not os.path.isfile(path):
        tap.ok(False, '%s: %s exists' % (zid, path))
        continue

    # peer tools on the zone file as committed
    if shutil.which('ldns-read-zone'):
        rc, out = run(['ldns-read-zone', path])
        tap.ok(rc == 0, '%s: ldns-read-zone parses the RFC layout' % zid,
               out[-1500:])
    else:
        tap.ok(False, '%s: ldns-read-zone parses it' % zid,
               'ldns-read-zone is not installed (ldnsutils)')
    if shutil.which('ldns-verify-zone'):
        rc, out = run(['ldns-verify-zone', '-V', '1', '-t', z['time'], path])
        tap.ok(rc == 0, '%s: ldns-verify-zone -t %s accepts it' % (
            zid, z['time']), out[-1500:])
    else:
        tap.ok(False, '%s: ldns-verify-zone accepts it' % zid,
               'ldns-verify-zone is not installed (ldnsutils)')
    if shutil.which('kzonecheck'):
        rc, out = run(['kzonecheck', '-o', 'example.', '-d', 'on', '-t',
                       str(epoch(z['time'])), path])
        tap.ok(rc == 0, '%s: kzonecheck -d on accepts it' % zid,
               out[-1500:])
    else:
        tap.ok(False, '%s: kzonecheck accepts it' % zid,
               'kzonecheck is not installed (knot)')

    # sigil: valid, with the counts of the zone
    r = st.sigil_verify(path, time=z['time'])
    j = r.json or {}
    s = j.get('summary') or {}
    tap.ok(r.rc == 0 and j.get('valid') is True and not r.errors(),
           '%s: sigil verify --time %s: exit 0, valid, no errors' % (
               zid, z['time']), r.describe())
    tap.ok(j.get('zone') == 'example.' and s.get('records') == z['records']
           and s.get('delegations') == 2 and
           s.get('secure_delegations') == 1,
           '%s: zone example., %d records, 2 delegations (1 secure)' % (
               zid, z['records']), 'summary: %s' % s)
    tap.ok(s.get('signatures') == z['sigs'] and
           s.get('signatures_valid') == z['sigs'] and
           s.get('signatures_invalid') == 0,
           '%s: %d RRSIGs checked, %d valid, 0 invalid' % (
               zid, z['sigs'], z['sigs']), 'summary: %s' % s)
    keys = {k.get('tag'): k for k in j.get('keys') or []}
    kd = []
    for tag, (flags, alg, valid) in z['keys'].items():
        k = keys.get(tag)
        if (k is None or k.get('flags') != flags or
                k.get('algorithm') != alg or k.get('valid') != valid or
                k.get('invalid') != 0):
            kd.append('key %d: expected flags %d alg %d valid %d invalid 0,'
                      ' got %s' % (tag, flags, alg, valid, k))
    tap.ok(not kd and len(keys) == len(z['keys']),
           '%s: per key: %s' % (zid, ', '.join(
               '%d alg %d %d valid' % (t, a, v)
               for t, (_, a, v) in z['keys'].items())), '\n'.join(kd))
    d = j.get('denial') or {}
    bad = {k: (v, d.get(k)) for k, v in z['denial'].items()
           if d.get(k) != v}
    tap.ok(not bad, '%s: denial %s' % (zid, ', '.join(
        '%s=%s' % kv for kv in z['denial'].items())),
        'expected vs got: %s; denial: %s' % (bad, d))

    # the flattened copy is the same zone (guards the flattener used below)
    recs = flatten(path)
    flat = write_flat(recs, zid + '-flat.zone')
    r2 = st.sigil_verify(flat, time=z['time'])
    s2 = (r2.json or {}).get('summary') or {}
    tap.ok(r2.rc == 0 and s2.get('records') == z['records'] and
           s2.get('signatures_valid') == z['sigs'],
           '%s: flattened copy: exit 0, same counts' % zid, r2.describe())

    # one base64 character of one RRSIG flipped, in the RFC layout itself
    chunk, pos, fowner, ftype, ftag = z['flip']
    with open(path) as f:
        text = f.read()
    if text.count(chunk) != 1:
        tap.ok(False, '%s: flip: signature line %s found once' % (
            zid, chunk))
    else:
        c = chunk[pos]
        bad_chunk = chunk[:pos] + ('B' if c != 'B' else 'C') + \
            chunk[pos + 1:]
        fpath = os.path.join(TMP, zid + '-flip.zone')
        with open(fpath, 'w') as f:
            f.write(text.replace(chunk, bad_chunk))
        r = st.sigil_verify(fpath, time=z['time'])
        hit = [f for f in finds(r, 'sig-bogus', fowner, ftype)
               if f.get('key_tag') == ftag]
        tap.ok(r.rc == 1 and (r.json or {}).get('valid') is False,
               '%s: flip one base64 char in RRSIG %s %s: exit 1' % (
                   zid, fowner, ftype), r.describe())
        tap.ok(len(hit) == 1 and len(finds(r, 'sig-bogus')) == 1,
               '%s: flip: exactly one sig-bogus, for %s %s key %d' % (
                   zid, fowner, ftype, ftag), r.describe())
        s = (r.json or {}).get('summary') or {}
        tap.ok(s.get('signatures_valid') == z['sigs'] - 1 and
               s.get('signatures_invalid') == 1,
               '%s: flip: %d valid, 1 invalid' % (zid, z['sigs'] - 1),
               'summary: %s' % s)
        if shutil.which('ldns-verify-zone'):
            rc, out = run(['ldns-verify-zone', '-V', '1', '-t', z['time'],
                           fpath])
            tap.ok(rc != 0, '%s: flip: ldns-verify-zone rejects it too' %
                   zid, out[-1500:])

    # after the expiration / before the inception: every RRSIG reported
    for when, code, label in ((z['after'], 'sig-expired', 'expiration'),
                              (z['before'], 'sig-not-yet-valid',
                               'inception')):
        r = st.sigil_verify(path, time=when)
        got = finds(r, code)
        tap.ok(r.rc == 1 and len(got) == z['sigs'],
               '%s: --time %s (%s %s): exit 1, %d %s findings' % (
                   zid, when, 'after' if code == 'sig-expired' else
                   'before', label, z['sigs'], code),
               '%d %s findings\n%s' % (len(got), code, r.describe(5)))
        # besides: the DNSKEY RRset then has no valid KSK signature
        tap.ok(set(codes(r)) <= {code, 'dnskey-not-sep-signed',
                                 'rrset-no-valid-sig'},
               '%s: --time %s: no other errors (no sig-bogus: the '
               'signatures are good, only out of time)' % (zid, when),
               'error codes: %s\n%s' % (codes(r), r.describe(5)))

    if zid == 'rfc5155':
        # drop the NSEC3 RRset (and its RRSIG) of a name
        for name, h, prev in (
                ('ns1.example.', '2t7b4g4vsa5smi47k61mv5bv1a22bojr',
                 '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom'),
                ('a.example.', '35mthgpgcu1qg68fab165klnsnk3dpvl',
                 '2vptu5timamqttgl4luu9kg21e0aor3s')):
            owner = h + '.example.'
            keep = [x for x in recs
                    if not (canon(x[0]) == owner and
                            (x[3] == 'NSEC3' or
                             (x[3] == 'RRSIG' and x[4].upper() == 'NSEC3')))]
            dropped = len(recs) - len(keep)
            mpath = write_flat(keep, '%s-drop-nsec3-%s.zone' % (zid, h))
            r = st.sigil_verify(mpath, time=z['time'])
            hit = finds(r, 'nsec3-missing', name) + \
                finds(r, 'nsec3-missing', owner)
            tap.ok(dropped == 2 and r.rc == 1 and len(hit) >= 1,
                   '%s: NSEC3 of %s (%s) removed: exit 1, nsec3-missing '
                   'naming it' % (zid, name, h),
                   'records dropped: %d\n%s' % (dropped, r.describe()))
            tap.ok(len(finds(r, 'nsec3-next', prev + '.example.',
                             'NSEC3')) == 1,
                   '%s: NSEC3 of %s removed: nsec3-next for its predecessor '
                   '%s (its next hashed owner is gone)' % (zid, name, prev),
                   r.describe())
            tap.ok(codes(r) == ['nsec3-missing', 'nsec3-next'],
                   '%s: NSEC3 of %s removed: nsec3-missing and nsec3-next '
                   'are the only errors' % (zid, name),
                   'error codes: %s\n%s' % (codes(r), r.describe()))

        # clear the opt-out flag of the NSEC3 whose span holds c.example.
        owner = '35mthgpgcu1qg68fab165klnsnk3dpvl.example.'
        mut = []
        n = 0
        for x in recs:
            if canon(x[0]) == owner and x[3] == 'NSEC3' and x[5] == '1':
                x = x[:5] + ['0'] + x[6:]
                n += 1
            mut.append(x)
        mpath = write_flat(mut, zid + '-clear-optout.zone')
        r = st.sigil_verify(mpath, time=z['time'])
        tap.ok(n == 1 and r.rc == 1,
               '%s: opt-out cleared on %s: exit 1' % (zid, owner),
               r.describe())
        tap.ok(len(finds(r, 'nsec3-optout', 'c.example.')) >= 1,
               '%s: clear-optout: nsec3-optout for c.example.' % zid,
               r.describe())
        tap.ok(len(finds(r, 'sig-bogus', owner, 'NSEC3')) == 1 and
               len(finds(r, 'sig-bogus')) == 1,
               '%s: clear-optout: sig-bogus for %s NSEC3 (its RRSIG covered '
               'the flag), and no other' % (zid, owner), r.describe())
        tap.ok(set(codes(r)) == {'nsec3-optout', 'sig-bogus'},
               '%s: clear-optout: errors are nsec3-optout and sig-bogus '
               'only' % zid, 'error codes: %s\n%s' % (codes(r),
                                                     r.describe()))
        tap.ok(len(finds(r, 'nsec3-optout-mixed', severity='warning')) == 1,
               '%s: clear-optout: warning nsec3-optout-mixed (11 of 12 '
               'records opt-out)' % zid, r.describe())

    if zid == 'rfc4035':
        # drop the NSEC RRset (and its RRSIG) of ai.example.
        keep = [x for x in recs
                if not (canon(x[0]) == 'ai.example.' and
                        (x[3] == 'NSEC' or
                         (x[3] == 'RRSIG' and x[4].upper() == 'NSEC')))]
        dropped = len(recs) - len(keep)
        mpath = write_flat(keep, zid + '-drop-nsec.zone')
        r = st.sigil_verify(mpath, time=z['time'])
        tap.ok(dropped == 2 and r.rc == 1 and
               len(finds(r, 'nsec-missing', 'ai.example.')) == 1,
               '%s: NSEC of ai.example. removed: exit 1, nsec-missing for '
               'ai.example.' % zid,
               'records dropped: %d\n%s' % (dropped, r.describe()))
        tap.ok(codes(r) == ['nsec-missing'],
               '%s: drop-nsec: nsec-missing is the only error' % zid,
               'error codes: %s\n%s' % (codes(r), r.describe()))

shutil.rmtree(TMP, ignore_errors=True)
tap.done()
