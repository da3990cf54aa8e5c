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
# Regressions from a review:
# 10. Two NSEC3 chains (RFC 5155 section 7.3): a second complete chain
#     (made here: same names and bitmaps, another salt, signed by the ZSK)
#     and its NSEC3PARAM (flags 0; the NSEC3PARAM RRset re-signed): valid.
#     Once where the signer's NSEC3PARAM sorts first, once where the added
#     one does.  The NSEC3 of www removed from either chain, nothing else
#     fixed: exit 1, nsec3-missing for www (nsec3-next allowed).  The
#     added NSEC3PARAM removed: nsec3-params for every record of the
#     added chain.  One NSEC3 record whose parameters match no NSEC3PARAM:
#     exactly one nsec3-params.
# 11. SOA, NSEC (or NSEC3) and A records appended verbatim: valid, the
#     original's report, summary included.
# 12. Algorithm rollover: beside every RRSIG of the zone, one of another
#     algorithm by a key not in the DNSKEY RRset (8 in an algorithm-13
#     zone, 13 in an algorithm-8 zone): exit 0, one sig-alg-unpublished
#     warning per added RRSIG, no error.  Plus an RRSIG by an unpublished
#     key of the zone's algorithm under the ZSK's key tag (the .de case):
#     exactly one error, sig-bogus.
# 13. The NSEC3 of www with flags 0x02, re-signed: nsec3-malformed for
#     it, nsec3-missing for www (nsec3-next allowed).
# 14. A DNSKEY of flags 0 and one of protocol 0 added to the DNSKEY RRset
#     (re-signed), with 64 bytes of key material that is no P-256 point,
#     then with 3 bytes: valid, no finding (non-zone keys are not used).
# 15. A stray 4-byte RRSIG at www (covering TYPE999, then A): exit 1,
#     exactly one error, sig-malformed.
# 16. The unsigned zone signed by ldns-signzone -n with 200 iterations:
#     exit 1, nsec3-iterations error (RFC 9276 section 3.2); with 10:
#     exit 0, nsec3-iterations warning only.
# 17. The KSK removed, the ZSK (flags 256) signing the DNSKEY RRset too:
#     valid; --ds with its DS: exit 1, ds-no-match; with --lenient: exit
#     0, ds-no-match warning; --lenient with a DS matching no key: exit 1,
#     ds-no-match error.
# 18. No thread can be created (an LD_PRELOAD shim, built here with cc,
#     makes pthread_create fail with EAGAIN, after allowing the first
#     call or none): sigil finishes within 60 s with the report of a
#     normal run (exit 0), or exit 1 and sig-bogus on a zone with a
#     flipped signature.  Under ASan with verify_asan_link_order=0; if the
#     binary does not run with LD_PRELOAD at all, the release binary
#     (build/sigil, beside $SIGIL's directory) is used.
#
# A failing case prints the command that reproduces it and keeps its files
# in build/test-failures/edge/.  SIGIL_TEST_KEEP=DIR keeps every generated
# file in DIR/edge.  The peer tools (ldnsutils, bind9-utils, openssl) are
# dependencies: missing, they fail the test (a C compiler too, for 18).

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
                  ('ldns-signzone', 'ldnsutils'),
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

# ===========================================================================
# Review regressions (10-18): helpers

NSEC3PARAM = 51


def load(zid):
    """(meta, records, corruptlib.Zone) of a corpus zone."""
    meta = corpus.meta(zid)
    recs = du.read_zone(corpus.signed(zid))
    return meta, recs, corruptlib.Zone(recs, meta, corpus.zdir(zid))


def resign_rrset(z, owner, rtype):
    """Re-make every RRSIG over owner/rtype by one of the zone's keys
    (each with its own key), after the RRset changed."""
    roles = {z.tag(role): role for role in z.keys}
    n = 0
    for rec in z.sigs(owner, rtype):
        role = roles.get(du.Rrsig.parse(rec.rdata).key_tag)
        if role:
            z.resign(rec, role)
            n += 1
    assert n, 'no RRSIG over %s %s to re-make' % (owner, rtype)


def find(r, severity, code, owner=None, alt_owner=None, rtype=None,
         key_tag=None):
    """The findings of r with this severity and code (and owner, type and
    key tag, if given)."""
    out = []
    for f in r.findings:
        if f.get('severity') != severity or f.get('code') != code:
            continue
        if owner is not None and st.canon(f.get('owner')) not in (
                du.canon_name(owner),
                du.canon_name(alt_owner or owner)):
            continue
        if rtype is not None and str(f.get('type')) != rtype:
            continue
        if key_tag is not None and str(f.get('key_tag')) != str(key_tag):
            continue
        out.append(f)
    return out


def zone_names(recs, apex):
    """Every name of the zone (owners and the empty non-terminals above
    them), NSEC3 owners aside."""
    names = set()
    for r in recs:
        if r.rtype == NSEC3 or not du.is_subdomain(r.key, apex):
            continue
        labels = du.wire_labels(du.name_to_wire(r.key))
        depth = len(du.wire_labels(du.name_to_wire(apex)))
        for i in range(len(labels) - depth + 1):
            names.add(du.wire_to_text(du.labels_to_wire(labels[i:])))
    return names


def nsec3_names(z):
    """owner key of each NSEC3 record of the zone's (first) chain -> the
    name it was made for."""
    salt, it = z.nsec3params()
    by_hash = {du.b32hex(du.nsec3_hash(n, salt, it)) + '.' + z.apex: n
               for n in zone_names(z.recs, z.apex)}
    out = {}
    for r in z.nsec3_records():
        if r.key not in by_hash:
            raise RuntimeError('test sanity: NSEC3 %s is the hash of no '
                               'name of the zone' % r.owner)
        out[r.key] = by_hash[r.key]
    return out


def add_nsec3_chain(z, salt, iterations):
    """A second, complete NSEC3 chain (hash algorithm 1, flags as in the
    first chain), signed by the ZSK, and its NSEC3PARAM (flags 0) beside
    the first; the NSEC3PARAM RRset re-signed.  The same names, with the
    same type bitmaps, as the first chain.  Returns ({name: NSEC3 record
    of the new chain}, the new NSEC3PARAM record)."""
    names = nsec3_names(z)
    old = {r.key: r for r in z.nsec3_records()}
    entries = sorted((du.nsec3_hash(names[k], salt, iterations), names[k],
                      r) for k, r in old.items())
    made = {}
    for i, (h, name, r) in enumerate(entries):
        o = du.Nsec3.parse(r.rdata)
        n3 = du.Nsec3(1, o.flags, iterations, salt,
                      entries[(i + 1) % len(entries)][0], o.types)
        rec = du.Rec(du.b32hex(h) + '.' + z.apex, r.ttl, 'IN', NSEC3,
                     n3.rdata())
        z.recs.append(rec)
        made[name] = rec
    for rec in made.values():
        z.new_sig(rec.owner, NSEC3)
    prm = z.rrset(z.apex, NSEC3PARAM)
    new = du.Rec(prm[0].owner, prm[0].ttl, 'IN', NSEC3PARAM,
                 struct.pack('!BBHB', 1, 0, iterations, len(salt)) + salt)
    z.recs.insert(z.recs.index(prm[-1]) + 1, new)
    resign_rrset(z, z.apex, NSEC3PARAM)
    return made, new


def drop(z, rec):
    """Remove rec and the RRSIGs over its RRset."""
    z.remove([rec] + z.sigs(rec.owner, rec.rtype))


def pem_dnskey(pem, alg, flags=256):
    """The DNSKEY RDATA of the public key of pem (RSA or P-256)."""
    _, spki, _ = du.der_read(du.pem_public_der(pem))
    _, _, off = du.der_read(spki)
    _, bits, _ = du.der_read(spki, off)
    bits = bits[1:]                             # unused bits
    if alg == 13:
        pub = bits[1:]                          # 0x04 X Y
    else:
        _, rsa, _ = du.der_read(bits)
        _, n, off = du.der_read(rsa)
        _, e, _ = du.der_read(rsa, off)
        n, e = n.lstrip(b'\0'), e.lstrip(b'\0')
        pub = (bytes([len(e)]) if len(e) < 256 else
               b'\0' + struct.pack('!H', len(e))) + e + n
    rd = struct.pack('!HBB', flags, 3, alg) + pub
    if not du.pem_matches_dnskey(pem, rd):
        raise RuntimeError('self-check: %s does not match its DNSKEY' % pem)
    return rd


def expect_codes(r, probs, errors=None, warnings=None, allow_errors=(),
                 allow_warnings=()):
    """errors / warnings: codes that must each be present (a list, as
    sorted multiset when exact); allow_*: other codes that may be."""
    for sev, want, allow in (('error', errors, allow_errors),
                             ('warning', warnings, allow_warnings)):
        have = codes(r, sev)
        if want is None:
            continue
        missing = [c for c in sorted(set(want)) if c not in have]
        extra = [c for c in sorted(set(have)) if c not in want and
                 c not in allow]
        if missing or extra:
            probs.append('%ss %s; expected %s%s' % (
                sev, ', '.join('%s x%d' % (c, have.count(c)) if
                               have.count(c) > 1 else c
                               for c in sorted(set(have))) or 'none',
                ', '.join(want) or 'none',
                ' (and possibly %s)' % ', '.join(allow) if allow else ''))


# ===========================================================================
# 10. Two NSEC3 chains (RFC 5155 section 7.3)

def two_chains_case(zid):
    meta, recs, z = load(zid)
    t = meta['check_time']
    cdir = casedir('two-chains-' + zid)
    salt1, it1 = z.nsec3params()
    # the added chain: no salt if the zone's has one, else a salt
    salt2 = b'' if (salt1 or it1) else bytes.fromhex('ab12')
    made, prm2 = add_nsec3_chain(z, salt2, 0)
    first = 'added' if (salt2, 0) < (salt1, it1) else 'signer\'s'
    name = 'two NSEC3 chains %s (the signer\'s: salt "%s" %d iterations; ' \
        'added: salt "%s" 0 iterations; the %s NSEC3PARAM sorts first)' % (
            zid, salt1.hex(), it1, salt2.hex(), first)
    whole = list(recs)
    path = os.path.join(cdir, 'two-chains.zone')
    du.write_zone(recs, path)
    r = st.sigil_verify(path, time=t)
    probs = []
    check_rc(r, 0, probs)
    expect_codes(r, probs, errors=[],
                 allow_warnings=('nsec3-salt', 'nsec3-iterations'))
    report(not probs, '%s: valid' % name, r, probs, cdir)

    www = 'www.' + z.apex
    orig_www = z.nsec3_owner(www)[0]
    for which, rec in (('added', made[www]),
                       ('signer\'s', [x for x in recs
                                      if x.key == orig_www][0])):
        recs[:] = whole
        drop(z, rec)
        path = os.path.join(cdir, 'two-chains-no-%s-www.zone' %
                            ('added' if which == 'added' else 'signer'))
        du.write_zone(recs, path)
        r = st.sigil_verify(path, time=t)
        probs = []
        check_rc(r, 1, probs)
        expect_codes(r, probs, errors=['nsec3-missing'],
                     allow_errors=('nsec3-next',),
                     allow_warnings=('nsec3-salt', 'nsec3-iterations'))
        if not find(r, 'error', 'nsec3-missing', www, rec.key):
            probs.append('no nsec3-missing for %s (%s)' % (www, rec.key))
        if len(find(r, 'error', 'nsec3-missing')) != 1:
            probs.append('%d nsec3-missing errors, expected 1' %
                         len(find(r, 'error', 'nsec3-missing')))
        report(not probs, '%s, the NSEC3 of www in the %s chain removed '
               '(%s): exit 1, nsec3-missing for www' % (name, which,
                                                        rec.key),
               r, probs, cdir)

    # the added chain without its NSEC3PARAM: each of its records matches
    # no NSEC3PARAM
    recs[:] = whole
    z.remove([prm2])
    resign_rrset(z, z.apex, NSEC3PARAM)
    path = os.path.join(cdir, 'two-chains-one-nsec3param.zone')
    du.write_zone(recs, path)
    r = st.sigil_verify(path, time=t)
    probs = []
    check_rc(r, 1, probs)
    expect_codes(r, probs, errors=['nsec3-params'],
                 allow_warnings=('nsec3-salt', 'nsec3-iterations'))
    got = {st.canon(f.get('owner'))
           for f in find(r, 'error', 'nsec3-params')}
    want = {rec.key for rec in made.values()}
    if got != want:
        probs.append('nsec3-params at %d names, expected the %d records of '
                     'the added chain (missing: %s; others: %s)' % (
                         len(got), len(want), sorted(want - got)[:3],
                         sorted(got - want)[:3]))
    report(not probs, '%s, the added NSEC3PARAM removed: exit 1, '
           'nsec3-params for each of the %d records of the added chain' % (
               name, len(want)), r, probs, cdir)


def stray_params_case(zid):
    """One NSEC3 record whose parameters match no NSEC3PARAM."""
    meta, recs, z = load(zid)
    t = meta['check_time']
    cdir = casedir('nsec3-params-' + zid)
    www = 'www.' + z.apex
    salt1, it1 = z.nsec3params()
    orig = du.Nsec3.parse(z.rrset(z.nsec3_owner(www)[0], NSEC3)[0].rdata)
    salt = bytes.fromhex('cc')
    h = du.nsec3_hash(www, salt, 3)
    rec = du.Rec(du.b32hex(h) + '.' + z.apex,
                 z.nsec3_records()[0].ttl, 'IN', NSEC3,
                 du.Nsec3(1, 0, 3, salt, h, orig.types).rdata())
    recs.append(rec)
    z.new_sig(rec.owner, NSEC3)
    path = os.path.join(cdir, 'nsec3-params.zone')
    du.write_zone(recs, path)
    r = st.sigil_verify(path, time=t)
    probs = []
    check_rc(r, 1, probs)
    expect_codes(r, probs, errors=['nsec3-params'],
                 allow_warnings=('nsec3-salt', 'nsec3-iterations'))
    if len(find(r, 'error', 'nsec3-params')) != 1 or \
            not find(r, 'error', 'nsec3-params', rec.key):
        probs.append('expected one nsec3-params, at %s' % rec.key)
    report(not probs, 'NSEC3 record %s with salt cc and 3 iterations, which '
           'match no NSEC3PARAM (%s): exit 1, one nsec3-params' % (
               rec.key, zid), r, probs, cdir)


run_case(two_chains_case, 'two NSEC3 chains', 'bind-nsec3-a13',
         'knot-nsec3-a13', 'bind-nsec3-a8')
run_case(two_chains_case, 'two NSEC3 chains (salted)', 'ldns-nsec3-a13',
         'ldns-nsec3-a8', 'ldns-nsec3-a15')
run_case(stray_params_case, 'NSEC3 matching no NSEC3PARAM', 'bind-nsec3-a13',
         'knot-nsec3-a13')


# ===========================================================================
# 11. Records listed twice, appended verbatim

def verbatim_dup_case(zid):
    meta = corpus.meta(zid)
    t = meta['check_time']
    apex = du.canon_name(meta['zone'])
    cdir = casedir('verbatim-dup-' + zid)
    lines = zone_lines(corpus.signed(zid))
    orig = os.path.join(cdir, 'original.zone')
    write_lines(orig, lines)
    r0 = st.sigil_verify(orig, time=t)
    www = 'www.' + apex
    if meta['denial'] == 'nsec':
        den_owner, den = www, 'NSEC'
    else:
        den_owner = du.b32hex(du.nsec3_hash(
            www, bytes.fromhex(meta['nsec3']['salt']),
            meta['nsec3']['iterations'])) + '.' + apex
        den = 'NSEC3'
    dup = [l for l in lines if (l_owner(l), l_type(l)) in (
        (apex, 'SOA'), (den_owner, den), (www, 'A'))]
    assert len(dup) == 3, dup
    path = os.path.join(cdir, 'dup.zone')
    write_lines(path, lines + dup)
    r = st.sigil_verify(path, time=t)
    probs = []
    check_rc(r, 0, probs)
    if r.json is not None and comparable(r.json) != comparable(r0.json):
        probs.append('report differs from the original\'s:\n' +
                     json_diff(comparable(r0.json), comparable(r.json)))
    report(not probs, 'SOA, %s and A records appended verbatim (%s): valid, '
           'same report (summary included) as the original' % (den, zid),
           r, probs, cdir)


run_case(verbatim_dup_case, 'records listed twice (NSEC)', 'bind-nsec-a13',
         'ldns-nsec-a13')
run_case(verbatim_dup_case, 'records listed twice (NSEC3)',
         'bind-nsec3-optout-a13', 'bind-nsec3-a13')


# ===========================================================================
# 12. Algorithm rollover: signatures of an unpublished algorithm

def rollover_case(zid, new_alg):
    meta, recs, z = load(zid)
    t = meta['check_time']
    cdir = casedir('rollover-%s-alg%d' % (zid, new_alg))
    pem = os.path.join(corpus.path, 'rogue', 'alg%d.pem' % new_alg)
    rd = pem_dnskey(pem, new_alg)
    tag = du.key_tag(rd)
    own = {z.tag(role) for role in z.keys}
    done = set()
    added = 0
    for rec in [x for x in recs if x.rtype == RRSIG]:
        s = du.Rrsig.parse(rec.rdata)
        if s.key_tag not in own or (rec.key, s.covered) in done:
            continue
        done.add((rec.key, s.covered))
        s.alg, s.key_tag = new_alg, tag
        data = du.signing_input(s, z.rrset(rec.owner, s.covered))
        s.signature = du.sign(new_alg, pem, data)
        if not added and not du.verify(rd, data, s.signature):
            raise RuntimeError('self-check: algorithm %d signature does '
                               'not verify' % new_alg)
        recs.insert(recs.index(rec) + 1,
                    du.Rec(rec.owner, rec.ttl, rec.cls, RRSIG, s.rdata()))
        added += 1
    name = 'algorithm rollover %s: %d RRSIGs of algorithm %d (key %d, not ' \
        'in the DNSKEY RRset) beside the others' % (zid, added, new_alg, tag)
    path = os.path.join(cdir, 'rollover.zone')
    du.write_zone(recs, path)
    r = st.sigil_verify(path, time=t)
    probs = []
    check_rc(r, 0, probs)
    expect_codes(r, probs, errors=[], warnings=['sig-alg-unpublished'],
                 allow_warnings=('nsec3-salt', 'nsec3-iterations'))
    w = find(r, 'warning', 'sig-alg-unpublished')
    if len(w) != added or any(str(f.get('key_tag')) != str(tag) for f in w):
        probs.append('%d sig-alg-unpublished warnings, expected %d (key '
                     'tag %d)' % (len(w), added, tag))
    report(not probs, '%s: exit 0, sig-alg-unpublished warnings, no error'
           % name, r, probs, cdir)

    # the .de case beside it: a key of the PUBLISHED algorithm, not
    # published, under the ZSK's key tag
    www = 'www.' + z.apex
    good = z.one_sig(www, A, z.tag('zsk'))
    bad = good.copy()
    recs.insert(recs.index(good) + 1, bad)
    z.rogue_sign(bad)
    path = os.path.join(cdir, 'rollover-rogue.zone')
    du.write_zone(recs, path)
    r = st.sigil_verify(path, time=t)
    probs = []
    check_rc(r, 1, probs)
    expect_codes(r, probs, errors=['sig-bogus'],
                 warnings=['sig-alg-unpublished'],
                 allow_warnings=('nsec3-salt', 'nsec3-iterations'))
    if len(r.errors()) != 1 or not find(r, 'error', 'sig-bogus', www, None,
                                        'A', z.tag('zsk')):
        probs.append('expected exactly one error: sig-bogus at %s A, key '
                     'tag %d' % (www, z.tag('zsk')))
    report(not probs, '%s, plus an RRSIG over www A by an unpublished key of '
           'algorithm %d under the ZSK\'s tag %d (the .de case): exit 1, '
           'sig-bogus' % (name, z.alg, z.tag('zsk')), r, probs, cdir)


run_case(lambda zid: rollover_case(zid, 8), 'algorithm rollover 13 -> 8',
         'bind-nsec3-optout-a13', 'bind-nsec-a13')
run_case(lambda zid: rollover_case(zid, 13), 'algorithm rollover 8 -> 13',
         'knot-nsec-a8', 'bind-nsec-a8')


# ===========================================================================
# 13. NSEC3 record with unknown flags

def nsec3_flags_case(zid):
    meta, recs, z = load(zid)
    t = meta['check_time']
    cdir = casedir('nsec3-flags-' + zid)
    www = 'www.' + z.apex
    h_owner, _ = z.nsec3_owner(www)
    rec = z.rrset(h_owner, NSEC3)[0]
    n3 = du.Nsec3.parse(rec.rdata)
    n3.flags |= 0x02
    rec.rdata = n3.rdata()
    resign_rrset(z, h_owner, NSEC3)
    path = os.path.join(cdir, 'nsec3-flags.zone')
    du.write_zone(recs, path)
    r = st.sigil_verify(path, time=t)
    probs = []
    check_rc(r, 1, probs)
    expect_codes(r, probs, errors=['nsec3-malformed', 'nsec3-missing'],
                 allow_errors=('nsec3-next',),
                 allow_warnings=('nsec3-salt', 'nsec3-iterations'))
    if not find(r, 'error', 'nsec3-malformed', h_owner):
        probs.append('no nsec3-malformed at %s' % h_owner)
    if not find(r, 'error', 'nsec3-missing', www, h_owner):
        probs.append('no nsec3-missing for %s' % www)
    report(not probs, 'NSEC3 of www (%s) with flags 0x%02x, re-signed (%s): '
           'exit 1, nsec3-malformed for it, nsec3-missing for www' % (
               h_owner, n3.flags, zid), r, probs, cdir)


run_case(nsec3_flags_case, 'NSEC3 with flags 0x02', 'bind-nsec3-a13',
         'knot-nsec3-a13')


# ===========================================================================
# 14. Keys that are not zone keys

def non_zone_keys_case(zid):
    meta, recs, z = load(zid)
    t = meta['check_time']
    cdir = casedir('non-zone-keys-' + zid)
    apex = z.apex
    tags = set(z.dnskeys)
    dk = z.rrset(apex, DNSKEY)
    whole = list(recs)
    for what, material in (
            ('64 bytes of key material (not a P-256 point)',
             lambda i: hashlib.sha512(b'sigil edge.t: not a zone key %d' %
                                      i).digest()),
            ('3 bytes of key material', lambda i: bytes([0, 0, i]))):
        recs[:] = whole
        new = []
        for flags, proto in ((0, 3), (257, 0)):
            for i in range(256):    # a key tag of its own
                rd = struct.pack('!HBB', flags, proto, 13) + material(i)
                if du.key_tag(rd) not in tags:
                    break
            new.append(du.Rec(dk[0].owner, dk[0].ttl, 'IN', DNSKEY, rd))
        recs[recs.index(dk[-1]) + 1:recs.index(dk[-1]) + 1] = new
        resign_rrset(z, apex, DNSKEY)
        path = os.path.join(cdir, 'non-zone-keys-%d.zone' % len(new[0].rdata))
        du.write_zone(recs, path)
        r = st.sigil_verify(path, time=t)
        probs = []
        check_rc(r, 0, probs)
        expect_codes(r, probs, errors=[], warnings=[],
                     allow_warnings=('nsec3-salt', 'nsec3-iterations'))
        report(not probs, 'DNSKEY RRset with a key of flags 0 and a key of '
               'protocol 0, algorithm 13, %s, re-signed (%s): valid, no '
               'dnskey-bad' % (what, zid), r, probs, cdir)


run_case(non_zone_keys_case, 'non-zone keys', 'bind-nsec-a13',
         'ldns-nsec-a13')


# ===========================================================================
# 15. A stray malformed RRSIG

def stray_rrsig_case(zid):
    meta = corpus.meta(zid)
    t = meta['check_time']
    apex = du.canon_name(meta['zone'])
    cdir = casedir('stray-rrsig-' + zid)
    lines = zone_lines(corpus.signed(zid))
    www = 'www.' + apex
    for rdata, what in (('03e70d01', 'covering TYPE999, absent at www'),
                        ('00010d01', 'covering A')):
        path = os.path.join(cdir, 'stray-%s.zone' % rdata)
        write_lines(path, lines + ['%s\t3600\tIN\tTYPE46\t\\# 4 %s' % (
            www, rdata)])
        r = st.sigil_verify(path, time=t)
        probs = []
        check_rc(r, 1, probs)
        expect_codes(r, probs, errors=['sig-malformed'],
                     allow_warnings=('nsec3-salt', 'nsec3-iterations'))
        if len(r.errors()) != 1 or not find(r, 'error', 'sig-malformed',
                                            www):
            probs.append('expected exactly one error: sig-malformed at %s'
                         % www)
        report(not probs, 'a 4-byte RRSIG at www %s (%s): exit 1, '
               'sig-malformed' % (what, zid), r, probs, cdir)


run_case(stray_rrsig_case, 'stray malformed RRSIG', 'bind-nsec3-optout-a13',
         'bind-nsec3-a13')


# ===========================================================================
# 16. NSEC3 iterations (RFC 9276)

def iterations_case(zid):
    meta = corpus.meta(zid)
    t = meta['check_time']
    zdir = corpus.zdir(zid)
    cdir = casedir('iterations-' + zid)
    keys = [os.path.join(zdir, [f for f in k['files']
                                if f.endswith('.key')][0])[:-4]
            for k in meta['keys']]
    unsigned = os.path.join(corpus.path, 'unsigned.zone')
    for it, rc in ((200, 1), (10, 0)):
        path = os.path.join(cdir, 'iterations-%d.zone' % it)
        cmd = ['ldns-signzone', '-i', du.ts_to_str(t - 86400), '-e',
               du.ts_to_str(t + 30 * 86400), '-f', path, '-n', '-t',
               str(it), unsigned] + keys
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if p.returncode != 0 or not os.path.exists(path):
            tap.ok(False, 'ldns-signzone -n -t %d' % it, '%s\n%s' % (
                ' '.join(cmd), p.stdout.decode(errors='replace')))
            continue
        r = st.sigil_verify(path, time=t)
        probs = []
        check_rc(r, rc, probs)
        if rc:
            expect_codes(r, probs, errors=['nsec3-iterations'], warnings=[])
        else:
            expect_codes(r, probs, errors=[], warnings=['nsec3-iterations'])
        n = find(r, 'error' if rc else 'warning', 'nsec3-iterations')
        if len(n) != 1:
            probs.append('%d nsec3-iterations findings, expected 1' %
                         len(n))
        report(not probs, 'NSEC3 with %d iterations (ldns-signzone -n -t %d, '
               'keys of %s): exit %d, nsec3-iterations %s' % (
                   it, it, zid, rc, 'error' if rc else 'warning only'),
               r, probs, cdir)


run_case(iterations_case, 'NSEC3 iterations', 'ldns-nsec3-a13',
         'ldns-nsec-a13', 'ldns-nsec3-a8')


# ===========================================================================
# 17. --ds with a single key without the SEP flag (a CSK of flags 256)

def csk_no_sep_case(zid):
    meta, recs, z = load(zid)
    t = meta['check_time']
    cdir = casedir('csk-no-sep-' + zid)
    apex = z.apex
    ksk, zsk = z.tag('ksk'), z.tag('zsk')
    z.remove([x for x in z.rrset(apex, DNSKEY)
              if du.key_tag(x.rdata) == ksk])
    z.remove([x for x in recs if x.rtype == RRSIG and
              du.Rrsig.parse(x.rdata).key_tag == ksk])
    if z.sigs(apex, DNSKEY, zsk):
        resign_rrset(z, apex, DNSKEY)
    else:
        z.new_sig(apex, DNSKEY, 'zsk')
    rd = z.dnskeys[zsk]
    assert du.dnskey_parse(rd)[0] == 256
    path = os.path.join(cdir, 'csk-256.zone')
    du.write_zone(recs, path)
    dsf = os.path.join(cdir, 'ds')
    write_lines(dsf, ['%s\t3600\tIN\tDS\t%d %d 2 %s' % (
        apex, zsk, z.alg, du.ds_digest(apex, rd, 2).hex().upper())])
    nods = os.path.join(cdir, 'ds-no-key')
    write_lines(nods, ['%s\t3600\tIN\tDS\t%d %d 2 %s' % (
        apex, zsk, z.alg, hashlib.sha256(b'no such key').hexdigest().upper())])
    name = 'a single DNSKEY of flags 256 (key %d) signing everything (%s)' % (
        zsk, zid)
    for opts, rc, errs, warns, what in (
            ([], 0, [], [], 'without --ds: valid'),
            (['--ds', dsf], 1, ['ds-no-match'], [],
             '--ds with its DS: exit 1, ds-no-match'),
            (['--ds', dsf, '--lenient'], 0, [], ['ds-no-match'],
             '--ds with its DS, --lenient: exit 0, ds-no-match warning'),
            (['--ds', nods, '--lenient'], 1, ['ds-no-match'], [],
             '--ds with a DS of no key, --lenient: exit 1, ds-no-match '
             'error')):
        r = st.sigil_verify(path, *opts, time=t)
        probs = []
        check_rc(r, rc, probs)
        expect_codes(r, probs, errors=errs, warnings=warns,
                     allow_warnings=('dnskey-no-sep', 'ds-unmatched',
                                     'nsec3-salt', 'nsec3-iterations'))
        report(not probs, '%s, %s' % (name, what), r, probs, cdir)


run_case(csk_no_sep_case, 'CSK without SEP', 'bind-nsec-a13',
         'bind-nsec3-a13')


# ===========================================================================
# 18. No thread can be created

SHIM_C = r'''
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

/* pthread_create succeeds SIGIL_TEST_THREADS times (default 0), then
 * fails with EAGAIN. */
typedef int (*create_fn)(pthread_t *, const pthread_attr_t *,
                         void *(*)(void *), void *);
static int allowed = -1;

int pthread_create(pthread_t *t, const pthread_attr_t *a,
                   void *(*f)(void *), void *arg)
{
	static const char m[] = "nothreads: pthread_create refused\n";
	if (allowed < 0) {
		const char *s = getenv("SIGIL_TEST_THREADS");
		allowed = s ? atoi(s) : 0;
	}
	if (allowed > 0) {
		allowed--;
		create_fn real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
		return real(t, a, f, arg);
	}
	if (write(2, m, sizeof(m) - 1) < 0) {
		return EAGAIN;
	}
	return EAGAIN;
}
'''
SHIM_MARK = 'nothreads: pthread_create refused'


def no_threads_case(zid):
    meta = corpus.meta(zid)
    t = meta['check_time']
    cdir = casedir('no-threads')
    src = os.path.join(cdir, 'nothreads.c')
    so = os.path.join(cdir, 'nothreads.so')
    with open(src, 'w') as f:
        f.write(SHIM_C)
    cc = shutil.which('cc') or shutil.which('gcc') or shutil.which('clang')
    p = subprocess.run([cc or 'cc', '-shared', '-fPIC', '-o', so, src,
                        '-ldl'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if p.returncode != 0:
        tap.ok(False, 'no threads: the LD_PRELOAD shim builds',
               p.stdout.decode(errors='replace'))
        return
    # ASan wants to be first in the library list: tell it not to mind; if
    # the shim still cannot be used under it, take the release binary.
    asan = os.environ.get('ASAN_OPTIONS', '')
    env = {'LD_PRELOAD': so, 'ASAN_OPTIONS': (asan + ':' if asan else '') +
           'verify_asan_link_order=0'}
    binary = st.SIGIL
    p = subprocess.run([binary, '--version'], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60,
                       env=dict(os.environ, **env))
    if p.returncode != 0:
        release = os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(st.SIGIL))), 'sigil')
        if not os.access(release, os.X_OK):
            release = os.path.join(st.ROOT, 'build', 'sigil')
        tap.diag('no threads: %s does not run with LD_PRELOAD (%s); using %s'
                 % (st.SIGIL, p.stderr.decode(errors='replace').strip()[:200],
                    release))
        binary = release
    r0 = st.sigil_verify(corpus.signed(zid), time=t, sigil=binary)
    bad = os.path.join(cdir, 'flip-sig.zone')
    recs = du.read_zone(corpus.signed(zid))
    exp = corruptlib.apply('flip-sig', recs, meta, corpus.zdir(zid))
    du.write_zone(recs, bad)
    exp = corruptlib.parse_expected(exp[0])
    for zone, allowed, opts, rc in (
            (corpus.signed(zid), 0, [], 0),
            (corpus.signed(zid), 0, ['--threads', '4'], 0),
            (corpus.signed(zid), 1, ['--threads', '4'], 0),
            (bad, 0, [], 1)):
        e = dict(env, SIGIL_TEST_THREADS=str(allowed))
        r = st.sigil_verify(zone, *opts, env=e, time=t, timeout=60,
                            sigil=binary)
        r.cmd = ['env'] + ['%s=%s' % kv for kv in sorted(e.items())] + r.cmd
        probs = []
        check_rc(r, rc, probs)
        if SHIM_MARK not in r.stderr:
            probs.append('the shim refused no pthread_create')
        if rc == 0:
            if r.json is not None and \
                    comparable(r.json) != comparable(r0.json):
                probs.append('report differs from the one with threads:\n'
                             + json_diff(comparable(r0.json),
                                         comparable(r.json)))
        elif codes(r, 'error') != ['sig-bogus'] or \
                not st.finding_matches(r.errors()[0], exp):
            probs.append('errors %s, expected one sig-bogus at %s %s' % (
                codes(r, 'error'), exp['owner'], exp['type']))
        report(not probs, 'no thread can be created%s (%s%s, %s): finishes '
               'within 60 s, exit %d%s' % (
                   ' after the first' if allowed else '',
                   '$SIGIL' if binary == st.SIGIL else binary,
                   (' ' + ' '.join(opts)) if opts else '',
                   'a flipped signature' if zone == bad else zid, rc,
                   ', same report as with threads' if rc == 0 else
                   ', sig-bogus'), r, probs, cdir)


run_case(no_threads_case, 'no threads', 'bind-nsec3-a13', 'bind-nsec-a13')


if os.environ.get('SIGIL_TEST_KEEP'):
    shutil.copytree(tmp, os.path.join(os.environ['SIGIL_TEST_KEEP'], 'edge'),
                    dirs_exist_ok=True)
shutil.rmtree(tmp, ignore_errors=True)
tap.done()
