#!/usr/bin/env python3
# Edge cases that validators get wrong on zones from other signers.
#
# Zones: the peer-signed corpus of tests/tools/mkzones (cached in
# build/test-corpus), modified here.  Every sigil run is
# `sigil verify --json --max-findings 0 --time T` with T inside the
# signatures' validity (the corpus check time) unless said otherwise, and
# asserts the exit status and the findings.
#
#  1. Record order does not matter.  The zone in one-record-per-line form
#     (ldns-read-zone), then: shuffled (fixed seed); the apex records moved
#     to the end of the file; the records of the apex and of www split into
#     two places far apart (the DNSKEY RRset at the top, its RRSIGs at the
#     end); the DNSKEY RRset itself split (KSK at the top, ZSK at the end)
#     and an NSEC/NSEC3 RRSIG before the SOA; owner names in random case
#     record by record.  Each is valid with exactly the report of the
#     original (JSON minus "run" and "file").  One zone per signer.
# 1b. A record repeated at the end of the file (an A record; the ZSK's
#     DNSKEY record): one RR (RFC 2181 section 5), so valid with the
#     original's report (summary.records aside), no key tag collision.
#  2. Key tag collision: the ZSK replaced by two P-256 ZSKs with the same
#     key tag (found deterministically: d, d+1, d+2, ... from a fixed d,
#     until two DNSKEYs collide), both published, the RRsets signed
#     alternately by one and the other (re-signed here, through openssl).
#     Valid, a dnskey-tag-collision warning, no signature error, and the
#     keys entry of the tag has "keys": 2.  Then one signature (by the
#     second key) corrupted: exactly one sig-bogus.  Then every RRset
#     signed by both keys (enough signatures per key for sigil's ECDSA
#     fixed-base tables).  Also the KSK and the ZSK with one tag, with and
#     without --ds.  ldns-verify-zone checks each re-signed zone.
#  3. Out-of-zone records (one before the SOA, two at the end, one of them
#     glue.xtld., whose text ends with the apex's): valid, an out-of-zone
#     warning for each.
#  4. $INCLUDE: the zone split into two files joined by $INCLUDE with a
#     relative path (run from the zone's directory, and from elsewhere with
#     an absolute zone file path: libzscanner resolves the path relative to
#     the including file): valid, same report as the single file.
#  5. --ds with DS digest types 1, 2 and 4 (dnssec-dsfromkey): valid.  Only
#     a DS of digest type 3 (GOST R 34.11-94) or 5 (GOST R 34.11-2012):
#     ds-digest-unsupported warning and ds-no-match error.  Types 2 and 3
#     together: valid with the warning.  A DS file for another zone name:
#     exit 2.
#  6. --expire-warn: at 2 days before the signatures expire, 7d gives one
#     sig-expires-soon warning and summary.expiring_soon = all signatures;
#     1d gives none.
#  7. Usage and input errors, exit 2: unknown option; --time garbage
#     (a word, trailing garbage, 31 February, hour 25); --expire-warn
#     garbage; missing zone file (named on stderr); missing --ds file
#     (named); a bad record in an $INCLUDEd file (that file and its line
#     named).
#  8. An unsigned zone: exit 1, dnskey-missing and denial-none.
#  9. A CNAME beside an A record, both signed and the NSEC/NSEC3 bitmap
#     fixed and re-signed: exit 1, cname-and-other (and no other error).
#     Once with NSEC, once with NSEC3.
#
# A failing case prints the command that reproduces it and keeps its files
# in build/test-failures/edge/.  SIGIL_TEST_KEEP=DIR keeps every generated
# file in DIR/edge.  The peer tools (ldnsutils, bind9-utils, openssl) are
# dependencies: missing, they fail the test.

import hashlib
import json
import os
import random
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'tools'))
import corruptlib  # noqa: E402
import dnsutil as du  # noqa: E402
import sigiltest as st  # noqa: E402

RRSIG, NSEC, NSEC3, DNSKEY, A, CNAME = 46, 47, 50, 48, 1, 5
CDS, CDNSKEY = 59, 60

tap = st.Tap()
if not st.have_sigil():
    tap.bail('no sigil binary at %s (set SIGIL)' % st.SIGIL)
# the peer tools are dependencies: missing, they fail the test
for tool, pkg in (('ldns-read-zone', 'ldnsutils'),
                  ('ldns-verify-zone', 'ldnsutils'),
                  ('dnssec-dsfromkey', 'bind9-utils'), ('openssl', 'openssl')):
    if not shutil.which(tool):
        tap.bail('%s is not installed (%s)' % (tool, pkg))
corpus = st.ensure_corpus(tap)
for zid, msg in corpus.failed:
    tap.ok(False, '%s: corpus zone built' % zid, msg)
tmp = tempfile.mkdtemp(prefix='sigil-edge-')
FAILDIR = os.path.join(st.FAILDIR, 'edge')
shutil.rmtree(FAILDIR, ignore_errors=True)


def pick(*candidates):
    """The first of candidates that is in the corpus (None if none is)."""
    for z in candidates:
        if z in corpus.zones:
            return z
    return None


def run_case(fn, what, *candidates):
    """fn(zone) for the first of candidates in the corpus."""
    zid = pick(*candidates)
    if zid:
        fn(zid)
    else:
        tap.ok(False, what, 'none of %s in the corpus' % ', '.join(
            candidates))


def casedir(name):
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    return d


def report(ok, name, r, probs, cdir=None, cwd=None, limit=30):
    """One TAP line; on failure the problems, sigil's output, the kept
    files and a command that reproduces the run."""
    diag = list(probs)
    if not ok:
        cmd = list(r.cmd)
        where = cwd
        if cdir is not None:
            kept = os.path.join(FAILDIR, os.path.basename(cdir))
            shutil.copytree(cdir, kept, dirs_exist_ok=True)
            cmd = [c.replace(cdir, kept) for c in cmd]
            where = cwd.replace(cdir, kept) if cwd else None
            diag.append('kept: %s' % kept)
        diag.append(r.describe(limit))
        diag.append('reproduce: %s%s' % (
            'cd %s && ' % shlex.quote(where) if where else '',
            ' '.join(shlex.quote(c) for c in cmd)))
    tap.ok(ok, name, '\n'.join(diag))
    return ok


def codes(r, severity):
    return sorted(f.get('code') for f in r.findings
                  if f.get('severity') == severity)


def check_rc(r, rc, probs):
    if r.rc != rc:
        probs.append('exit %s, expected %s' % (r.rc, rc))
    if rc in (0, 1):
        if r.json is None:
            probs.append('no JSON report')
        elif r.json.get('valid') is not (rc == 0):
            probs.append('"valid" is %s' % r.json.get('valid'))


def comparable(j):
    j = dict(j or {})
    j.pop('run', None)
    j.pop('file', None)
    return j


def json_diff(a, b, limit=40):
    import difflib
    x = json.dumps(a, indent=1, sort_keys=True).splitlines()
    y = json.dumps(b, indent=1, sort_keys=True).splitlines()
    return '\n'.join(list(difflib.unified_diff(x, y, 'original', 'variant',
                                               lineterm=''))[:limit])


def zone_lines(path):
    """The zone as ldns-read-zone prints it: one record per line, absolute
    owner names, explicit TTL and class, the SOA first."""
    p = du.run(['ldns-read-zone', path])
    return [l for l in p.stdout.decode().splitlines()
            if l.strip() and not l.startswith(';')]


def write_lines(path, lines):
    with open(path, 'w') as f:
        f.write(''.join(l + '\n' for l in lines))


def l_owner(line):
    return du.canon_name(line.split()[0])


def l_type(line):
    return line.split()[3].upper()


def l_covered(line):
    f = line.split()
    return f[4].upper() if f[3].upper() == 'RRSIG' else None


# ===========================================================================
# 1. Record order

def order_variants(lines, apex, denial_owner):
    """name -> list of lines."""
    rng = random.Random(20261128)
    out = {}
    sh = list(lines)
    rng.shuffle(sh)
    out['shuffled'] = sh

    at_apex = [l for l in lines if l_owner(l) == apex]
    others = [l for l in lines if l_owner(l) != apex]
    out['apex-last'] = others + at_apex

    # apex and www in two places each; the DNSKEY RRset far from its RRSIGs
    www = 'www.' + apex
    head = [l for l in at_apex if l_type(l) in ('SOA', 'DNSKEY')]
    ns = [l for l in at_apex if l_type(l) == 'NS']
    head.append(ns[0])
    tail = [l for l in at_apex if l not in head]
    www_l = [l for l in lines if l_owner(l) == www]
    www_head = [l for l in www_l if l_type(l) == 'A' or l_covered(l) == 'A']
    www_tail = [l for l in www_l if l not in www_head]
    rest = [l for l in others if l_owner(l) != www]
    out['split-names'] = head + www_head + rest + www_tail + tail

    # the DNSKEY RRset itself split, and an RRSIG before its RRset (and
    # before the SOA)
    dnskeys = [l for l in at_apex if l_type(l) == 'DNSKEY']
    ksk = [l for l in dnskeys if l.split()[4] == '257']
    zsk = [l for l in dnskeys if l not in ksk]
    den_sig = [l for l in lines if l_owner(l) == denial_owner and
               l_covered(l) in ('NSEC', 'NSEC3')]
    first = den_sig + [l for l in at_apex if l_type(l) == 'SOA'] + ksk
    last = zsk + [l for l in at_apex if l not in first and l not in zsk]
    mid = [l for l in others if l not in den_sig]
    out['split-rrsets'] = first + mid + last

    # owner names in random case, record by record (the records of one
    # RRset, and the NSEC3 hash labels, too)
    rc = random.Random(4034)

    def recase(line):
        o, rest = line.split(None, 1)
        o = ''.join(c.upper() if rc.random() < 0.5 else c.lower() for c in o)
        return o + '\t' + rest
    out['owner-case'] = [recase(l) for l in lines]
    for k, v in out.items():
        assert len(v) == len(lines), k
        if k != 'owner-case':
            assert sorted(v) == sorted(lines), k
    return out


def order_case(zid):
    meta = corpus.meta(zid)
    t = meta['check_time']
    apex = du.canon_name(meta['zone'])
    cdir = casedir('order-' + zid)
    lines = zone_lines(corpus.signed(zid))
    orig = os.path.join(cdir, 'original.zone')
    write_lines(orig, lines)
    r0 = st.sigil_verify(orig, time=t)
    probs = []
    check_rc(r0, 0, probs)
    if r0.errors() or r0.findings:
        probs.append('findings on the original zone')
    report(not probs, 'order %s: the one-record-per-line zone is valid, no '
           'findings' % zid, r0, probs, cdir)
    if meta['denial'] == 'nsec':
        den_owner = 'www.' + apex
    else:
        salt, it = bytes.fromhex(meta['nsec3']['salt']), \
            meta['nsec3']['iterations']
        den_owner = du.b32hex(du.nsec3_hash('www.' + apex, salt, it)) + \
            '.' + apex
    for name, vl in order_variants(lines, apex, den_owner).items():
        path = os.path.join(cdir, name + '.zone')
        write_lines(path, vl)
        r = st.sigil_verify(path, time=t)
        probs = []
        check_rc(r, 0, probs)
        if r.json is not None and r0.json is not None and \
                comparable(r.json) != comparable(r0.json):
            probs.append('report differs from the original\'s:\n' +
                         json_diff(comparable(r0.json), comparable(r.json)))
        report(not probs, 'order %s %s: valid, same report as the original'
               % (zid, name), r, probs, cdir)


run_case(order_case, 'record order (bind)', 'bind-nsec3-optout-a13',
         'bind-nsec3-a13')
run_case(order_case, 'record order (ldns)', 'ldns-nsec-a8', 'ldns-nsec-a13')
run_case(order_case, 'record order (knot)', 'knot-nsec3-a15',
         'knot-nsec3-a13')


def duplicate_case(zid):
    """Records repeated far from their first copy: RFC 2181 section 5
    makes them one RR, so the zone is the same zone."""
    meta = corpus.meta(zid)
    t = meta['check_time']
    apex = du.canon_name(meta['zone'])
    cdir = casedir('duplicate-' + zid)
    lines = zone_lines(corpus.signed(zid))
    orig = os.path.join(cdir, 'original.zone')
    write_lines(orig, lines)
    r0 = st.sigil_verify(orig, time=t)
    for what, pred in (
            ('the A record of www', lambda l: l_owner(l) == 'www.' + apex
             and l_type(l) == 'A'),
            ('the ZSK DNSKEY record', lambda l: l_owner(l) == apex and
             l_type(l) == 'DNSKEY' and l.split()[4] == '256')):
        dup = [l for l in lines if pred(l)]
        assert len(dup) == 1, what
        path = os.path.join(cdir, re.sub(r'\W+', '-', what) + '.zone')
        write_lines(path, lines + dup)
        r = st.sigil_verify(path, time=t)
        probs = []
        check_rc(r, 0, probs)
        a, b = comparable(r0.json), comparable(r.json)
        for j in (a, b):
            j['summary'] = dict(j.get('summary') or {})
            j['summary'].pop('records', None)
        if r.json is not None and a != b:
            probs.append('report differs from the original\'s (apart from '
                         'summary.records):\n' + json_diff(a, b))
        report(not probs, 'duplicate record %s: %s at the end of the file '
               'again: valid, same report as the original' % (zid, what),
               r, probs, cdir)


run_case(duplicate_case, 'duplicate records', 'bind-nsec-a13',
         'bind-nsec3-a13')


# ===========================================================================
# 2. Key tag collision

P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff
P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
P256_G = (0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296,
          0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5)


def ec_add(p, q):
    if p is None:
        return q
    if q is None:
        return p
    (x1, y1), (x2, y2) = p, q
    if x1 == x2:
        if (y1 + y2) % P256_P == 0:
            return None
        lam = (3 * x1 * x1 - 3) * pow(2 * y1, -1, P256_P) % P256_P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P256_P) % P256_P
    x3 = (lam * lam - x1 - x2) % P256_P
    return x3, (lam * (x1 - x3) - y1) % P256_P


def ec_mul(k, p):
    r = None
    while k:
        if k & 1:
            r = ec_add(r, p)
        p = ec_add(p, p)
        k >>= 1
    return r


def p256_dnskey(point, flags):
    return (struct.pack('!HBB', flags, 3, 13) + point[0].to_bytes(32, 'big')
            + point[1].to_bytes(32, 'big'))


def colliding_keys(seed, flags_a, flags_b, avoid_tags, limit=20000):
    """Two P-256 keys, the first with DNSKEY flags flags_a, the second with
    flags_b, whose DNSKEYs have the same key tag.  Deterministic: private
    keys d0, d0+1, ... (d0 from seed; public keys Q, Q+G, ...) until two
    tags collide, ~320 keys on average (birthday bound).  Returns
    ((index, d, rdata), (index, d, rdata))."""
    d0 = int.from_bytes(hashlib.sha256(seed).digest(), 'big') % P256_N
    q = ec_mul(d0, P256_G)
    seen = ({}, {})                  # tag -> index, for flags_a, flags_b
    for i in range(limit):
        pa, pb = p256_dnskey(q, flags_a), p256_dnskey(q, flags_b)
        ta, tb = du.key_tag(pa), du.key_tag(pb)
        j = seen[1].get(ta)
        if j is not None and ta not in avoid_tags:
            return ((i, d0 + i, pa),
                    (j, d0 + j, p256_dnskey(ec_mul(d0 + j, P256_G), flags_b)))
        j = seen[0].get(tb)
        if j is not None and tb not in avoid_tags:
            return ((j, d0 + j, p256_dnskey(ec_mul(d0 + j, P256_G), flags_a)),
                    (i, d0 + i, pb))
        seen[0].setdefault(ta, i)
        seen[1].setdefault(tb, i)
        q = ec_add(q, P256_G)
    raise RuntimeError('no key tag collision in %d keys' % limit)


def p256_pem(path, d, rdata):
    body = du.der_seq(du.der_int(1), du.der_octets(d.to_bytes(32, 'big')),
                      du.der(0xA0, du.der_oid(du.OID_P256)),
                      du.der(0xA1, du.der_bits(b'\x04' + rdata[4:])))
    with open(path, 'w') as f:
        f.write(du.pem('EC PRIVATE KEY', body))
    os.chmod(path, 0o600)
    if not du.pem_matches_dnskey(path, rdata):
        raise RuntimeError('self-check: %s does not match its DNSKEY' % path)
    return path


def rrset_of(recs, key, rtype):
    return [r for r in recs if r.key == key and r.rtype == rtype]


def sign_into(recs, sigrec, pem, dnskey_rdata, **fields):
    """Remake RRSIG record sigrec over its RRset in recs with the key pem
    (public key dnskey_rdata), after setting header fields."""
    s = du.Rrsig.parse(sigrec.rdata)
    for k, v in fields.items():
        setattr(s, k, v)
    data = du.signing_input(s, rrset_of(recs, sigrec.key, s.covered))
    s.signature = du.sign(s.alg, pem, data)
    if not du.verify(dnskey_rdata, data, s.signature):
        raise RuntimeError('self-check: new signature over %s %s does not '
                           'verify' % (sigrec.owner, du.type_name(s.covered)))
    sigrec.rdata = s.rdata()


def rekey(zid, replace, every=False):
    """The zone's records with the keys replaced and every RRSIG re-made.

    replace: old key tag -> list of new keys (pem, DNSKEY RDATA); the old
    DNSKEY gives way to the new ones, and each RRSIG the old key made is
    re-made by the new keys in turn (every=False) or by each of them
    (every=True: one RRSIG per new key).  A key not in replace keeps its
    RRSIGs, except over the apex RRsets that changed (DNSKEY, and CDNSKEY
    and CDS when they named a replaced key), which it re-signs.
    Returns (records, {new key index: [RRSIG records]})."""
    meta = corpus.meta(zid)
    apex = du.canon_name(meta['zone'])
    zdir = corpus.zdir(zid)
    recs = du.read_zone(corpus.signed(zid))
    own = {}
    for k in meta['keys']:
        rd = [r.rdata for r in recs if r.key == apex and r.rtype == DNSKEY
              and du.key_tag(r.rdata) == k['tag']][0]
        own[k['tag']] = [(os.path.join(zdir, k['pem']), rd)]
    changed = {DNSKEY}
    for old, new in replace.items():
        i = [n for n, r in enumerate(recs) if r.key == apex and
             r.rtype == DNSKEY and du.key_tag(r.rdata) == old][0]
        old_rd = recs[i].rdata
        ttl = recs[i].ttl
        recs[i:i + 1] = [du.Rec(apex, ttl, 'IN', DNSKEY, rd)
                         for _, rd in new]
        # knot publishes CDNSKEY and CDS for its KSK: follow the new key
        for r in [r for r in recs if r.key == apex]:
            if r.rtype == CDNSKEY and r.rdata == old_rd:
                r.rdata = new[0][1]
                changed.add(CDNSKEY)
            elif r.rtype == CDS and r.rdata[:3] == struct.pack('!HB', old,
                                                           old_rd[3]):
                dt = r.rdata[3]
                r.rdata = struct.pack('!HBB', du.key_tag(new[0][1]),
                                      new[0][1][3], dt) + \
                    du.ds_digest(apex, new[0][1], dt)
                changed.add(CDS)
    by = {}
    turn = {}
    for rec in [r for r in recs if r.rtype == RRSIG]:
        s = du.Rrsig.parse(rec.rdata)
        if s.key_tag not in replace:
            if rec.key == apex and s.covered in changed:
                pem, rd = own[s.key_tag][0]
                sign_into(recs, rec, pem, rd)
            continue
        new = replace[s.key_tag]
        if every:
            targets = list(range(len(new)))
        else:
            n = turn.get(s.key_tag, 0)
            turn[s.key_tag] = n + 1
            targets = [n % len(new)]
        for k, w in enumerate(targets):
            if k > 0:
                r2 = rec.copy()
                recs.insert(recs.index(rec) + k, r2)
            else:
                r2 = rec
            pem, rd = new[w]
            sign_into(recs, r2, pem, rd, key_tag=du.key_tag(rd))
            by.setdefault((s.key_tag, w), []).append(r2)
    return recs, by


def oracle(path, t, name):
    """The peer oracle: ldns-verify-zone accepts the re-signed zone."""
    lv = subprocess.run(['ldns-verify-zone', '-V', '1', '-t',
                         du.ts_to_str(t), path], stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT)
    tap.ok(lv.returncode == 0, '%s: ldns-verify-zone accepts the re-signed '
           'zone (test sanity)' % name,
           lv.stdout.decode(errors='replace')[-2000:])


def key_entry(r, tag, alg=13):
    return [k for k in (r.json or {}).get('keys') or []
            if k.get('tag') == tag and k.get('algorithm') == alg]


def collision_checks(r, ctag, nsig, ninvalid, probs):
    """Common assertions: only dnskey-tag-collision warnings (at least one,
    naming the tag), signature counts, the key entry of the tag."""
    w = codes(r, 'warning')
    if 'dnskey-tag-collision' not in w or set(w) != {'dnskey-tag-collision'}:
        probs.append('warnings %s, expected dnskey-tag-collision' % w)
    if any(f.get('code') == 'dnskey-tag-collision' and
           str(f.get('key_tag')) != str(ctag) for f in r.findings):
        probs.append('a dnskey-tag-collision finding without key_tag %d'
                     % ctag)
    s = (r.json or {}).get('summary') or {}
    if s.get('signatures_invalid') != ninvalid or \
            s.get('signatures_valid') != s.get('signatures', -1) - ninvalid:
        probs.append('summary: %s signatures, %s valid, %s invalid; '
                     'expected %d invalid' % (
                         s.get('signatures'), s.get('signatures_valid'),
                         s.get('signatures_invalid'), ninvalid))
    ke = key_entry(r, ctag)
    if len(ke) != 1 or ke[0].get('keys') != 2 or \
            ke[0].get('valid') != nsig - ninvalid or \
            ke[0].get('invalid') != ninvalid:
        probs.append('keys entry for tag %d: %s; expected "keys": 2, '
                     '"valid": %d, "invalid": %d' % (
                         ctag, ke, nsig - ninvalid, ninvalid))


def collision_zsk_case(zid):
    meta = corpus.meta(zid)
    t = meta['check_time']
    ksk_tag, zsk_tag = meta['ksk_tag'], meta['zsk_tag']
    cdir = casedir('collision-' + zid)
    ka, kb = colliding_keys(b'sigil edge.t: two ZSKs', 256, 256,
                            {ksk_tag, zsk_tag})
    ctag = du.key_tag(ka[2])
    tap.diag('collision: private keys d0+%d and d0+%d, ZSKs with key tag %d'
             % (ka[0], kb[0], ctag))
    new = [(p256_pem(os.path.join(cdir, 'zsk%d.pem' % n), k[1], k[2]), k[2])
           for n, k in enumerate((ka, kb))]

    # half the RRsets signed by one key, half by the other
    recs, by = rekey(zid, {zsk_tag: new})
    n1, n2 = len(by[(zsk_tag, 0)]), len(by[(zsk_tag, 1)])
    path = os.path.join(cdir, 'collision.zone')
    du.write_zone(recs, path)
    name = 'collision %s: two ZSKs with key tag %d' % (zid, ctag)
    oracle(path, t, name)
    r = st.sigil_verify(path, time=t)
    probs = []
    check_rc(r, 0, probs)
    if r.errors():
        probs.append('errors: %s' % codes(r, 'error'))
    collision_checks(r, ctag, n1 + n2, 0, probs)
    report(not probs, '%s, %d + %d signatures: valid, dnskey-tag-collision, '
           'no signature error, "keys": 2' % (name, n1, n2), r, probs, cdir)

    # one signature by the second key corrupted
    bad = by[(zsk_tag, 1)][n2 // 2]
    sg = du.Rrsig.parse(bad.rdata)
    sg.signature = corruptlib.flip_bit(sg.signature)
    bad.rdata = sg.rdata()
    path = os.path.join(cdir, 'collision-bogus.zone')
    du.write_zone(recs, path)
    r = st.sigil_verify(path, time=t)
    probs = []
    check_rc(r, 1, probs)
    errs = r.errors()
    if codes(r, 'error') != ['sig-bogus']:
        probs.append('errors %s, expected exactly one sig-bogus' %
                     codes(r, 'error'))
    elif (st.canon(errs[0].get('owner')) != bad.key or
          errs[0].get('type') != du.type_name(sg.covered) or
          str(errs[0].get('key_tag')) != str(ctag)):
        probs.append('sig-bogus at the wrong RRset, expected %s %s key_tag '
                     '%d' % (bad.key, du.type_name(sg.covered), ctag))
    collision_checks(r, ctag, n1 + n2, 1, probs)
    report(not probs, '%s, one signature by the second key corrupted (%s '
           '%s): exit 1, exactly one sig-bogus' % (
               name, bad.key, du.type_name(sg.covered)), r, probs, cdir)

    # every RRset signed by both keys: each key verifies more signatures
    # than sigil needs to switch to its fixed-base tables
    recs, by = rekey(zid, {zsk_tag: new}, every=True)
    n1, n2 = len(by[(zsk_tag, 0)]), len(by[(zsk_tag, 1)])
    path = os.path.join(cdir, 'collision-both.zone')
    du.write_zone(recs, path)
    r = st.sigil_verify(path, time=t)
    probs = []
    check_rc(r, 0, probs)
    if r.errors():
        probs.append('errors: %s' % codes(r, 'error'))
    collision_checks(r, ctag, n1 + n2, 0, probs)
    report(not probs, '%s, every RRset signed by both (%d + %d): valid, '
           'no signature error, "keys": 2' % (name, n1, n2), r, probs, cdir)


def collision_ksk_case(zid):
    """The KSK and the ZSK share a key tag."""
    meta = corpus.meta(zid)
    t = meta['check_time']
    apex = du.canon_name(meta['zone'])
    ksk_tag, zsk_tag = meta['ksk_tag'], meta['zsk_tag']
    cdir = casedir('collision-ksk-' + zid)
    kk, kz = colliding_keys(b'sigil edge.t: KSK and ZSK', 257, 256,
                            {ksk_tag, zsk_tag})
    ctag = du.key_tag(kk[2])
    tap.diag('collision: private keys d0+%d (KSK) and d0+%d (ZSK), key tag '
             '%d' % (kk[0], kz[0], ctag))
    nk = (p256_pem(os.path.join(cdir, 'ksk.pem'), kk[1], kk[2]), kk[2])
    nz = (p256_pem(os.path.join(cdir, 'zsk.pem'), kz[1], kz[2]), kz[2])
    recs, by = rekey(zid, {ksk_tag: [nk], zsk_tag: [nz]})
    nsig = sum(len(v) for v in by.values())
    path = os.path.join(cdir, 'collision-ksk.zone')
    du.write_zone(recs, path)
    name = 'collision %s: KSK and ZSK with key tag %d' % (zid, ctag)
    oracle(path, t, name)
    dsf = os.path.join(cdir, 'ds')
    write_lines(dsf, ['%s\t3600\tIN\tDS\t%d 13 2 %s' % (
        apex, ctag, du.ds_digest(apex, kk[2], 2).hex().upper())])
    for opts in ([], ['--ds', dsf]):
        r = st.sigil_verify(path, *opts, time=t)
        probs = []
        check_rc(r, 0, probs)
        if r.errors():
            probs.append('errors: %s' % codes(r, 'error'))
        collision_checks(r, ctag, nsig, 0, probs)
        report(not probs, '%s%s: valid, dnskey-tag-collision, no error, '
               '"keys": 2' % (name, ' --ds' if opts else ''), r, probs,
               cdir)


run_case(collision_zsk_case, 'key tag collision', 'bind-nsec3-a13',
         'knot-nsec3-a13', 'ldns-nsec3-a13', 'bind-nsec-a13')
run_case(collision_ksk_case, 'key tag collision between KSK and ZSK',
         'knot-nsec-a13', 'bind-nsec-a13', 'ldns-nsec-a13')


# ===========================================================================
# 3. Out-of-zone records

def out_of_zone_case(zid):
    meta = corpus.meta(zid)
    cdir = casedir('out-of-zone')
    lines = zone_lines(corpus.signed(zid))
    path = os.path.join(cdir, 'out-of-zone.zone')
    # glue.xtld. ends with the apex's text but is not below it
    oz = ['glue.other.test.', 'x.other.test.', 'glue.x' + meta['zone']]
    write_lines(path, ['%s\t3600\tIN\tA\t192.0.2.1' % oz[0]] + lines +
                ['%s\t3600\tIN\tAAAA\t2001:db8::1' % oz[1],
                 '%s\t3600\tIN\tA\t192.0.2.2' % oz[2]])
    r = st.sigil_verify(path, time=meta['check_time'])
    probs = []
    check_rc(r, 0, probs)
    if r.errors():
        probs.append('errors: %s' % codes(r, 'error'))
    for o in oz:
        if not any(f.get('code') == 'out-of-zone' and
                   f.get('severity') == 'warning' and
                   st.canon(f.get('owner')) == o for f in r.findings):
            probs.append('no out-of-zone warning for %s' % o)
    report(not probs, 'out-of-zone records %s (%s; before the SOA and at '
           'the end): exit 0, out-of-zone warnings' % (zid, ' '.join(oz)),
           r, probs, cdir)


run_case(out_of_zone_case, 'out-of-zone records', 'knot-nsec3-optout-a13',
         'bind-nsec-a13')


# ===========================================================================
# 4. $INCLUDE

def include_case(zid):
    meta = corpus.meta(zid)
    t = meta['check_time']
    cdir = casedir('include')
    lines = zone_lines(corpus.signed(zid))
    whole = os.path.join(cdir, 'whole.zone')
    write_lines(whole, lines)
    r0 = st.sigil_verify(whole, time=t)
    a, b = len(lines) // 3, 2 * len(lines) // 3
    os.makedirs(os.path.join(cdir, 'parts'))
    write_lines(os.path.join(cdir, 'parts', 'middle.zone'), lines[a:b])
    main = os.path.join(cdir, 'main.zone')
    write_lines(main, lines[:a] + ['$INCLUDE parts/middle.zone'] + lines[b:])
    for where, zf, cwd in (('from its directory', 'main.zone', cdir),
                           ('from elsewhere', main, '/')):
        r = st.sigil_verify(zf, time=t, cwd=cwd)
        probs = []
        check_rc(r, 0, probs)
        if r.json is not None and r0.json is not None and \
                comparable(r.json) != comparable(r0.json):
            probs.append('report differs from the single file\'s:\n' +
                         json_diff(comparable(r0.json), comparable(r.json)))
        report(not probs, '$INCLUDE parts/middle.zone %s (%s): valid, same '
               'report as one file' % (zid, where), r, probs, cdir, cwd)


run_case(include_case, '$INCLUDE', 'ldns-nsec3-a13', 'ldns-nsec3-a8',
         'bind-nsec-a13')


# ===========================================================================
# 5. --ds

def ds_case(zid):
    meta = corpus.meta(zid)
    t = meta['check_time']
    zdir = corpus.zdir(zid)
    apex = du.canon_name(meta['zone'])
    ksk = [k for k in meta['keys'] if k['role'] == 'ksk'][0]
    keyfile = os.path.join(zdir, [f for f in ksk['files']
                                  if f.endswith('.key')][0])
    cdir = casedir('ds')
    ds_lines = []
    for opt in (['-1'], ['-2'], ['-a', 'SHA-384']):
        p = du.run(['dnssec-dsfromkey'] + opt + [keyfile])
        ds_lines += [l for l in p.stdout.decode().splitlines() if l.strip()]
    digests = sorted(int(l.split()[-2]) for l in ds_lines)
    assert digests == [1, 2, 4], ds_lines
    ds_all = os.path.join(cdir, 'ds-1-2-4')
    write_lines(ds_all, ds_lines)
    zf = corpus.signed(zid)
    r = st.sigil_verify(zf, '--ds', ds_all, time=t)
    probs = []
    check_rc(r, 0, probs)
    if r.findings:
        probs.append('findings: %s' % [st.fmt_finding(f) for f in r.findings])
    report(not probs, '--ds with digest types 1, 2 and 4 (%s): valid, no '
           'findings' % zid, r, probs, cdir)

    ds2 = [l for l in ds_lines if l.split()[-2] == '2'][0]
    for dtype in (3, 5):
        fake = '%s\t3600\tIN\tDS\t%d %d %d %s' % (
            apex, ksk['tag'], ksk['algorithm'], dtype,
            hashlib.sha256(b'gost %d' % dtype).hexdigest().upper())
        dsf = os.path.join(cdir, 'ds-%d' % dtype)
        write_lines(dsf, [fake])
        r = st.sigil_verify(zf, '--ds', dsf, time=t)
        probs = []
        check_rc(r, 1, probs)
        if codes(r, 'error') != ['ds-no-match']:
            probs.append('errors %s, expected [ds-no-match]' %
                         codes(r, 'error'))
        if codes(r, 'warning') != ['ds-digest-unsupported']:
            probs.append('warnings %s, expected [ds-digest-unsupported]' %
                         codes(r, 'warning'))
        report(not probs, '--ds with only a DS of digest type %d (%s): exit '
               '1, ds-digest-unsupported warning, ds-no-match error' % (
                   dtype, zid), r, probs, cdir)
        if dtype == 3:
            dsf = os.path.join(cdir, 'ds-2-3')
            write_lines(dsf, [ds2, fake])
            r = st.sigil_verify(zf, '--ds', dsf, time=t)
            probs = []
            check_rc(r, 0, probs)
            if codes(r, 'warning') != ['ds-digest-unsupported'] or r.errors():
                probs.append('findings %s, expected one ds-digest-unsupported '
                             'warning' % [f.get('code') for f in r.findings])
            report(not probs, '--ds with DS digest types 2 and 3 (%s): valid, '
                   'ds-digest-unsupported warning' % zid, r, probs, cdir)

    dsf = os.path.join(cdir, 'ds-other-zone')
    write_lines(dsf, [re.sub(r'^\S+', 'other.test.', l) for l in ds_lines])
    r = st.sigil_verify(zf, '--ds', dsf, time=t)
    probs = []
    check_rc(r, 2, probs)
    if 'ds-other-zone' not in r.stderr:
        probs.append('stderr does not name the DS file')
    report(not probs, '--ds with the DS records of another zone name (%s): '
           'exit 2, the DS file named' % zid, r, probs, cdir)


run_case(ds_case, '--ds', 'bind-nsec-a13', 'bind-nsec3-a13', 'bind-nsec-a8')


# ===========================================================================
# 6. --expire-warn

def expire_warn_case(zid):
    meta = corpus.meta(zid)
    t = meta['expiration_min'] - 2 * 86400
    for dur, soon in (('7d', True), ('1d', False)):
        r = st.sigil_verify(corpus.signed(zid), '--expire-warn', dur, time=t)
        probs = []
        check_rc(r, 0, probs)
        s = (r.json or {}).get('summary') or {}
        w = [f for f in r.findings if f.get('code') == 'sig-expires-soon']
        if soon:
            if len(w) != 1 or w[0].get('severity') != 'warning':
                probs.append('%d sig-expires-soon findings, expected one '
                             'warning' % len(w))
            if s.get('expiring_soon') != s.get('signatures') or \
                    s.get('signatures') != meta['signatures']:
                probs.append('summary: expiring_soon %s, signatures %s; '
                             'expected both %d' % (s.get('expiring_soon'),
                                                   s.get('signatures'),
                                                   meta['signatures']))
        else:
            if w:
                probs.append('%d sig-expires-soon findings, expected none' %
                             len(w))
            if s.get('expiring_soon') != 0:
                probs.append('summary.expiring_soon %s, expected 0' %
                             s.get('expiring_soon'))
        if r.errors() or [f for f in r.findings if f not in w]:
            probs.append('other findings: %s' % [f.get('code')
                                                  for f in r.findings])
        want = ('one sig-expires-soon warning, all %d signatures counted' %
                meta['signatures'] if soon else 'no warning, none counted')
        report(not probs, '--expire-warn %s 2 days before expiration (%s): '
               '%s' % (dur, zid, want), r, probs)


run_case(expire_warn_case, '--expire-warn', 'bind-nsec-a13', 'bind-nsec3-a13')


# ===========================================================================
# 7. Usage and input errors

zid = corpus.zones[0]
meta = corpus.meta(zid)
zf = corpus.signed(zid)
t = meta['check_time']
cdir = casedir('errors')


def usage_case(name, opts, expect_in_stderr=None, time=t, zone=zf,
               cwd=None):
    r = st.sigil_verify(zone, *opts, time=time, cwd=cwd)
    probs = []
    check_rc(r, 2, probs)
    if not r.stderr.strip():
        probs.append('nothing on stderr')
    for s in expect_in_stderr or []:
        if re.search(s, r.stderr) is None:
            probs.append('stderr does not match %r' % s)
    if r.stdout.strip():
        probs.append('a report on stdout')
    report(not probs, name, r, probs, cdir, cwd, limit=3)


usage_case('unknown option --no-such-option: exit 2', ['--no-such-option'])
for bad, what in (('garbage', 'a word'), ('12abc', 'trailing garbage'),
                  ('20261128x00000', 'a letter inside'),
                  ('20260231120000', 'February 31'),
                  ('20261128250000', 'hour 25')):
    usage_case('--time %s (%s): exit 2' % (bad, what), [], time=bad)
for bad in ('garbage', '7x', '-1d', '7dd'):
    usage_case('--expire-warn %s: exit 2' % bad, ['--expire-warn', bad])
usage_case('missing zone file: exit 2, named on stderr', [],
           [r'no-such\.zone'], zone=os.path.join(cdir, 'no-such.zone'))
usage_case('missing --ds file: exit 2, named on stderr',
           ['--ds', os.path.join(cdir, 'no-such-ds')], [r'no-such-ds'])

lines = zone_lines(zf)
inc = os.path.join(cdir, 'inc')
os.makedirs(inc, exist_ok=True)
part = lines[40:80]
bad_line = 17
part.insert(bad_line - 1, 'www.%s\t3600\tIN\tA\t192.0.2.300' % meta['zone'])
write_lines(os.path.join(inc, 'part.zone'), part)
write_lines(os.path.join(cdir, 'main-bad-include.zone'),
            lines[:40] + ['$INCLUDE inc/part.zone'] + lines[80:])
usage_case('bad record at line %d of an $INCLUDEd file: exit 2, stderr names '
           'inc/part.zone and line %d' % (bad_line, bad_line), [],
           [r'part\.zone\D*(?<!\d)%d(?!\d)' % bad_line],
           zone=os.path.join(cdir, 'main-bad-include.zone'))


# ===========================================================================
# 8. Unsigned zone

unsigned = os.path.join(corpus.path, 'unsigned.zone')
r = st.sigil_verify(unsigned, time=t)
probs = []
check_rc(r, 1, probs)
for c in ('dnskey-missing', 'denial-none'):
    if c not in codes(r, 'error'):
        probs.append('no %s error' % c)
report(not probs, 'unsigned zone: exit 1, dnskey-missing and denial-none',
       r, probs)


# ===========================================================================
# 9. CNAME and other data

def cname_case(zid):
    meta = corpus.meta(zid)
    t = meta['check_time']
    cdir = casedir('cname-' + zid)
    recs = du.read_zone(corpus.signed(zid))
    z = corruptlib.Zone(recs, meta, corpus.zdir(zid))
    owner = 'alias.' + z.apex
    cn = z.rrset(owner, CNAME)
    assert len(cn) == 1
    recs.insert(recs.index(cn[0]) + 1,
                du.Rec(cn[0].owner, cn[0].ttl, 'IN', A,
                       bytes([192, 0, 2, 81])))
    z.new_sig(owner, A)
    if meta['denial'] == 'nsec':
        n = z.rrset(owner, NSEC)[0]
        nxt, types = du.nsec_parse(n.rdata)
        n.rdata = du.nsec_rdata(nxt, types + [A])
        z.resign(z.one_sig(owner, NSEC, z.tag('zsk')))
        how = 'NSEC'
    else:
        h_owner, _ = z.nsec3_owner(owner)
        n = [r for r in z.nsec3_records() if r.key == h_owner][0]
        n3 = du.Nsec3.parse(n.rdata)
        n3.types = n3.types + [A]
        n.rdata = n3.rdata()
        z.resign(z.one_sig(h_owner, NSEC3, z.tag('zsk')))
        how = 'NSEC3'
    path = os.path.join(cdir, 'cname-and-a.zone')
    du.write_zone(recs, path)
    r = st.sigil_verify(path, time=t)
    probs = []
    check_rc(r, 1, probs)
    if codes(r, 'error') != ['cname-and-other']:
        probs.append('errors %s, expected exactly [cname-and-other]' %
                     codes(r, 'error'))
    elif st.canon(r.errors()[0].get('owner')) != du.canon_name(owner):
        probs.append('cname-and-other not at %s' % owner)
    report(not probs, 'CNAME beside A at %s, signed, %s bitmap fixed (%s): '
           'exit 1, cname-and-other' % (owner, how, zid), r, probs, cdir)


run_case(cname_case, 'CNAME and other data (NSEC)', 'bind-nsec-a8',
         'bind-nsec-a13')
run_case(cname_case, 'CNAME and other data (NSEC3)', 'knot-nsec3-a13',
         'knot-nsec3-a8')

if os.environ.get('SIGIL_TEST_KEEP'):
    shutil.copytree(tmp, os.path.join(os.environ['SIGIL_TEST_KEEP'], 'edge'),
                    dirs_exist_ok=True)
shutil.rmtree(tmp, ignore_errors=True)
tap.done()
