#!/usr/bin/env python3
# Zones signed by other DNSSEC implementations are valid for sigil.
#
# The corpus (tests/tools/mkzones, cached in build/test-corpus): one TLD-like
# zone signed by dnssec-signzone, ldns-signzone and kzonesign, each with
# NSEC, NSEC3 and NSEC3 opt-out, each with algorithms 8, 13 and 15.
#
# For every zone:
#   - the peer validators accept it (ldns-verify-zone, dnssec-verify and
#     kzonecheck): a sanity check of the corpus itself;
#   - `sigil verify --json --time T` exits 0, says "valid": true, reports no
#     error, counts every RRSIG of the zone as valid, reports the denial
#     type and NSEC3 parameters and the earliest expiration the signer
#     used, and lists the KSK and ZSK with the right flags, algorithm and
#     no invalid signature;
#   - the same with --ds (the KSK's DS records) exits 0;
#   - the text report (no --json) exits 0 too.
# T is the time the corpus was signed (signatures are valid from T - 1 day,
# for knot T - 90 minutes, to T + 30 days).

import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'tools'))
import dnsutil as du  # noqa: E402
import sigiltest as st  # noqa: E402

tap = st.Tap()
if not st.have_sigil():
    tap.bail('no sigil binary at %s (set SIGIL)' % st.SIGIL)
corpus = st.ensure_corpus(tap)


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return p.returncode, p.stdout.decode(errors='replace')


def check_zone(zid):
    """Returns a list of (ok, name, diag)."""
    res = []
    meta = corpus.meta(zid)
    zf = corpus.signed(zid)
    t = meta['check_time']
    zone = meta['zone']

    rc, out = run(['ldns-verify-zone', '-V', '1', '-t', du.ts_to_str(t), zf])
    res.append((rc == 0, '%s: ldns-verify-zone accepts it' % zid, out))
    # dnssec-verify has no time option: it validates at the current time
    # (the corpus cache is rebuilt long before its signatures expire).
    rc, out = run(['dnssec-verify', '-q', '-o', zone, zf])
    res.append((rc == 0, '%s: dnssec-verify accepts it' % zid, out))
    rc, out = run(['kzonecheck', '-o', zone, '-d', 'on', '-t', str(t), zf])
    res.append((rc == 0, '%s: kzonecheck accepts it' % zid, out))

    r = st.sigil_verify(zf, time=t)
    j = r.json or {}
    errs = r.errors()
    res.append((r.rc == 0 and j.get('valid') is True and not errs,
                '%s: sigil verify: exit 0, valid, no errors' % zid,
                r.describe()))
    s = j.get('summary') or {}
    res.append((s.get('signatures') == meta['signatures'] and
                s.get('signatures_valid') == meta['signatures'] and
                s.get('signatures_invalid') == 0 and
                s.get('errors') == 0 and j.get('zone') == zone,
                '%s: sigil verify: all %d RRSIGs counted valid' % (
                    zid, meta['signatures']),
                'summary: %s' % s))
    den = j.get('denial') or {}
    n3 = meta.get('nsec3')
    want = ({'type': 'NSEC'} if n3 is None else
            {'type': 'NSEC3', 'iterations': n3['iterations'],
             'salt': n3['salt'], 'opt_out': n3['optout']})
    got = {k: den.get(k) for k in want}
    exp_ok = s.get('earliest_expiration') == meta['expiration_min']
    res.append((got == want and exp_ok,
                '%s: sigil verify: denial %s and earliest expiration right'
                % (zid, ' '.join('%s=%s' % kv for kv in sorted(want.items()))),
                'denial: expected %s, got %s\nearliest_expiration: expected '
                '%s, got %s' % (want, den, meta['expiration_min'],
                                s.get('earliest_expiration'))))
    keys = {k.get('tag'): k for k in j.get('keys') or []}
    kd = []
    for k in meta['keys']:
        got = keys.get(k['tag'])
        if (got is None or got.get('flags') != k['flags'] or
                got.get('algorithm') != k['algorithm'] or
                not got.get('valid') or got.get('invalid') != 0):
            kd.append('%s %d: expected flags %d alg %d valid>0 invalid=0, '
                      'got %s' % (k['role'], k['tag'], k['flags'],
                                  k['algorithm'], got))
    res.append((not kd, '%s: sigil verify: KSK %d and ZSK %d listed, '
                'all their signatures valid' % (zid, meta['ksk_tag'],
                                                meta['zsk_tag']),
                '\n'.join(kd)))

    ds = os.path.join(corpus.zdir(zid), meta['ds_file'])
    r = st.sigil_verify(zf, '--ds', ds, time=t)
    j = r.json or {}
    res.append((r.rc == 0 and j.get('valid') is True and not r.errors(),
                '%s: sigil verify --ds %s/%s: exit 0' % (
                    zid, zid, meta['ds_file']), r.describe()))

    r = st.sigil_verify(zf, json_out=False, time=t)
    res.append((r.rc == 0 and r.stdout.strip() != '',
                '%s: sigil verify (text report): exit 0' % zid,
                r.describe() + '\nstdout: ' + r.stdout[-1500:]))
    return res


for zid in corpus.zones:
    n3 = corpus.meta(zid).get('nsec3') or {}
    if n3.get('optout') and not n3.get('insecure_delegations_omitted'):
        tap.diag('%s: the signer set the opt-out flag but left no insecure '
                 'delegation out of the NSEC3 chain (no opt-out span to '
                 'check here; tests/tools/corrupt clear-optout makes one)'
                 % zid)

for zid, msg in corpus.failed:
    tap.ok(False, '%s: corpus zone built' % zid, msg)

for results in st.run_parallel(check_zone, corpus.zones):
    for ok, name, diag in results:
        tap.ok(ok, name, diag)

tap.done()
