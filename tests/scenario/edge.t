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
#     and an NSEC/NSEC3 RRSIG before the SOA.  Each is valid with exactly
#     the report of the original (JSON minus "run" and "file").  One zone
#     per signer.
#  2. Key tag collision: the ZSK replaced by two P-256 ZSKs with the same
#     key tag (found deterministically: d, d+1, d+2, ... from a fixed d,
#     until two DNSKEYs collide), both published, the RRsets signed
#     alternately by one and the other.  Valid, a dnskey-tag-collision
#     warning, no signature error, and the keys entry of the tag has
#     "keys": 2.  Then one signature (by the second key) corrupted:
#     exactly one sig-bogus.
#  3. Out-of-zone records (one before the SOA, one at the end): valid, an
#     out-of-zone warning for each.
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
#     (words, trailing garbage, an impossible date); --expire-warn garbage;
#     missing zone file (named on stderr); missing --ds file (named); a bad
#     record in an $INCLUDEd file (that file and its line named).
#  8. An unsigned zone: exit 1, dnskey-missing and denial-none.
#  9. A CNAME beside an A record, both signed and the NSEC/NSEC3 bitmap
#     fixed and re-signed: exit 1, cname-and-other (and no other error).
#     Once with NSEC, once with NSEC3.
#
# A failing case prints the command that reproduces it and keeps its files
# in build/test-failures/edge/.

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

tap = st.Tap()
if not st.have_sigil():
    tap.skip_all('no sigil binary at %s (set SIGIL)' % st.SIGIL)
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


def casedir(name):
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    return d


def report(ok, name, r, probs, cdir=None, cwd=None):
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
        diag.append(r.describe(30))
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
    for k, v in out.items():
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


ORDER_ZONES = [z for z in (pick('bind-nsec3-optout-a13', 'bind-nsec3-a13'),
                           pick('ldns-nsec-a8', 'ldns-nsec-a13'),
                           pick('knot-nsec3-a15', 'knot-nsec3-a13'))
               if z]
for zid in ORDER_ZONES:
    order_case(zid)


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


def p256_dnskey(point, flags=256):
    return (struct.pack('!HBB', flags, 3, 13) + point[0].to_bytes(32, 'big')
            + point[1].to_bytes(32, 'big'))


COLLIDE_D0 = int.from_bytes(hashlib.sha256(
    b'sigil tests/scenario/edge.t key tag collision').digest(),
    'big') % P256_N


def colliding_zsks(avoid_tags, limit=20000):
    """Two P-256 ZSKs (private scalar, DNSKEY RDATA) with the same key tag,
    deterministic: private keys d0, d0+1, ... (public keys Q + G each
    step), the first pair whose tags collide.  Expected after ~320 keys."""
    d0 = COLLIDE_D0
    q = ec_mul(d0, P256_G)
    seen = {}
    for i in range(limit):
        rd = p256_dnskey(q)
        tag = du.key_tag(rd)
        if tag in seen and tag not in avoid_tags:
            j, rdj = seen[tag]
            return (d0 + j, rdj), (d0 + i, rd)
        seen.setdefault(tag, (i, rd))
        q = ec_add(q, P256_G)
    raise RuntimeError('no key tag collision in %d keys' % limit)


def p256_pem(path, d, rdata):
    body = du.der_seq(du.der_int(1), du.der_octets(d.to_bytes(32, 'big')),
                      du.der(0xA0, du.der_oid(du.OID_P256)),
                      du.der(0xA1, du.der_bits(b'\x04' + rdata[4:])))
    with open(path, 'w') as f:
        f.write(du.pem('EC PRIVATE KEY', body))
    os.chmod(path, 0o600)


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


def collision_case(zid):
    meta = corpus.meta(zid)
    t = meta['check_time']
    apex = du.canon_name(meta['zone'])
    zdir = corpus.zdir(zid)
    ksk_tag, zsk_tag = meta['ksk_tag'], meta['zsk_tag']
    ksk_pem = os.path.join(zdir, [k for k in meta['keys']
                                  if k['role'] == 'ksk'][0]['pem'])
    cdir = casedir('collision-' + zid)

    (d1, k1), (d2, k2) = colliding_zsks({ksk_tag, zsk_tag})
    ctag = du.key_tag(k1)
    pems = []
    for n, (d, rd) in enumerate(((d1, k1), (d2, k2))):
        p = os.path.join(cdir, 'zsk%d.pem' % (n + 1))
        p256_pem(p, d, rd)
        if not du.pem_matches_dnskey(p, rd):
            raise RuntimeError('self-check: %s does not match its DNSKEY' % p)
        pems.append(p)
    tap.diag('collision: the private keys d0+%d and d0+%d share key tag %d'
             % (d1 - COLLIDE_D0, d2 - COLLIDE_D0, ctag))

    recs = du.read_zone(corpus.signed(zid))
    old = [r for r in recs if r.key == apex and r.rtype == DNSKEY and
           du.key_tag(r.rdata) == zsk_tag]
    assert len(old) == 1
    i = recs.index(old[0])
    ttl = old[0].ttl
    recs[i:i + 1] = [du.Rec(apex, ttl, 'IN', DNSKEY, k1),
                     du.Rec(apex, ttl, 'IN', DNSKEY, k2)]
    ksk_rd = [r.rdata for r in recs if r.key == apex and r.rtype == DNSKEY
              and du.key_tag(r.rdata) == ksk_tag][0]
    by = [0, 0]
    by_second = []
    n = 0
    for rec in [r for r in recs if r.rtype == RRSIG]:
        s = du.Rrsig.parse(rec.rdata)
        if s.key_tag == ksk_tag:
            if s.covered == DNSKEY:
                sign_into(recs, rec, ksk_pem, ksk_rd)
        elif s.key_tag == zsk_tag:
            w = n % 2
            n += 1
            sign_into(recs, rec, pems[w], (k1, k2)[w], key_tag=ctag)
            by[w] += 1
            if w == 1:
                by_second.append(rec)
        else:
            raise RuntimeError('RRSIG by an unknown key %d' % s.key_tag)
    path = os.path.join(cdir, 'collision.zone')
    du.write_zone(recs, path)

    # The peer oracle: the re-signed zone is valid for ldns too.
    lv = subprocess.run(['ldns-verify-zone', '-V', '1', '-t',
                         du.ts_to_str(t), path], stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT)
    tap.ok(lv.returncode == 0, 'collision %s: ldns-verify-zone accepts the '
           're-signed zone (test sanity)' % zid,
           lv.stdout.decode(errors='replace')[-2000:])

    nsig = sum(by)
    r = st.sigil_verify(path, time=t)
    probs = []
    check_rc(r, 0, probs)
    if r.errors():
        probs.append('errors: %s' % codes(r, 'error'))
    w = codes(r, 'warning')
    if 'dnskey-tag-collision' not in w or set(w) != {'dnskey-tag-collision'}:
        probs.append('warnings %s, expected dnskey-tag-collision' % w)
    hit = [f for f in r.findings if f.get('code') == 'dnskey-tag-collision'
           and str(f.get('key_tag')) != str(ctag)]
    if hit:
        probs.append('dnskey-tag-collision with key_tag != %d' % ctag)
    s = (r.json or {}).get('summary') or {}
    if s.get('signatures_invalid') != 0 or \
            s.get('signatures_valid') != s.get('signatures'):
        probs.append('summary: %d signatures, %s valid, %s invalid' % (
            s.get('signatures', -1), s.get('signatures_valid'),
            s.get('signatures_invalid')))
    ke = [k for k in (r.json or {}).get('keys') or []
          if k.get('tag') == ctag and k.get('algorithm') == 13]
    if len(ke) != 1 or ke[0].get('keys') != 2 or \
            ke[0].get('valid') != nsig or ke[0].get('invalid') != 0:
        probs.append('keys entry for tag %d: %s; expected "keys": 2, '
                     '"valid": %d, "invalid": 0' % (ctag, ke, nsig))
    report(not probs, 'collision %s: two ZSKs with tag %d (%d + %d '
           'signatures): valid, dnskey-tag-collision, no signature error, '
           '"keys": 2' % (zid, ctag, by[0], by[1]), r, probs, cdir)

    # One signature by the second key corrupted.
    bad = by_second[len(by_second) // 2]
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
    s = (r.json or {}).get('summary') or {}
    if s.get('signatures_invalid') != 1:
        probs.append('summary.signatures_invalid = %s, expected 1' %
                     s.get('signatures_invalid'))
    ke = [k for k in (r.json or {}).get('keys') or []
          if k.get('tag') == ctag and k.get('algorithm') == 13]
    if len(ke) != 1 or ke[0].get('keys') != 2 or \
            ke[0].get('valid') != nsig - 1 or ke[0].get('invalid') != 1:
        probs.append('keys entry for tag %d: %s; expected "keys": 2, '
                     '"valid": %d, "invalid": 1' % (ctag, ke, nsig - 1))
    report(not probs, 'collision %s: one signature by the second key '
           'corrupted (%s %s): exit 1, exactly one sig-bogus' % (
               zid, bad.key, du.type_name(sg.covered)), r, probs, cdir)


zid = pick('bind-nsec3-a13', 'knot-nsec3-a13', 'ldns-nsec3-a13',
           'bind-nsec-a13')
if zid:
    collision_case(zid)
else:
    tap.skip('key tag collision', 'no algorithm 13 zone in the corpus')


# ===========================================================================
# 3. Out-of-zone records

zid = pick('knot-nsec3-optout-a13', 'bind-nsec-a13')
meta = corpus.meta(zid)
cdir = casedir('out-of-zone')
lines = zone_lines(corpus.signed(zid))
path = os.path.join(cdir, 'out-of-zone.zone')
write_lines(path, ['glue.other.test.\t3600\tIN\tA\t192.0.2.1'] + lines +
            ['x.other.test.\t3600\tIN\tAAAA\t2001:db8::1'])
r = st.sigil_verify(path, time=meta['check_time'])
probs = []
check_rc(r, 0, probs)
if r.errors():
    probs.append('errors: %s' % codes(r, 'error'))
for o in ('glue.other.test.', 'x.other.test.'):
    if not any(f.get('code') == 'out-of-zone' and
               f.get('severity') == 'warning' and st.canon(f.get('owner')) == o
               for f in r.findings):
        probs.append('no out-of-zone warning for %s' % o)
report(not probs, 'out-of-zone records %s (before the SOA and at the end): '
       'exit 0, out-of-zone warnings' % zid, r, probs, cdir)


# ===========================================================================
# 4. $INCLUDE

zid = pick('ldns-nsec3-a13', 'ldns-nsec3-a8', 'bind-nsec-a13')
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


# ===========================================================================
# 5. --ds

zid = pick('bind-nsec-a13', 'bind-nsec3-a13', 'bind-nsec-a8')
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
        probs.append('errors %s, expected [ds-no-match]' % codes(r, 'error'))
    if codes(r, 'warning') != ['ds-digest-unsupported']:
        probs.append('warnings %s, expected [ds-digest-unsupported]' %
                     codes(r, 'warning'))
    report(not probs, '--ds with only a DS of digest type %d (%s): exit 1, '
           'ds-digest-unsupported warning, ds-no-match error' % (dtype, zid),
           r, probs, cdir)
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


# ===========================================================================
# 6. --expire-warn

zid = pick('bind-nsec-a13', 'bind-nsec3-a13')
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
            probs.append('%d sig-expires-soon findings, expected one warning'
                         % len(w))
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
    report(not probs, '--expire-warn %s 2 days before expiration (%s): %s' % (
        dur, zid, 'one sig-expires-soon warning, all %d signatures counted'
        % meta['signatures'] if soon else 'no warning, none counted'),
        r, probs)


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
    report(not probs, name, r, probs, cdir, cwd)


usage_case('unknown option --no-such-option: exit 2', ['--no-such-option'])
for bad in ('garbage', '12abc', '20261128x00000', '20260231120000',
            '20261128250000'):
    usage_case('--time %s: exit 2' % bad, [], time=bad)
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


for zid in (pick('bind-nsec-a8', 'bind-nsec-a13'),
            pick('knot-nsec3-a13', 'knot-nsec3-a8')):
    if zid:
        cname_case(zid)

shutil.rmtree(tmp, ignore_errors=True)
tap.done()
