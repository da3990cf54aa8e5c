#!/usr/bin/env python3
# sigil sign: signed zones checked by the peers' validators.
#
#  1. A 3-HSM test bed (SoftHSM2, enrolled) with KSK+ZSK for algorithms 8,
#     13 and 15 and a CSK (13), and a software key store test bed (13);
#     TLD-like zones from bench/gen-tld-zone (1000 or 2000 delegations,
#     DS for some, glue) signed with NSEC, NSEC3 and NSEC3 opt-out: every
#     algorithm on the HSMs with the 3 denials, the CSK with NSEC3, the
#     soft store with the 3 denials; docs/examples/example.zone (ENT,
#     wildcard, DNAME, delegations with and without glue) with the 3
#     denials on the HSMs, its chains counted by hand.  Each output
#     validates with dnssec-verify, ldns-verify-zone, kzonecheck -d on and
#     sigil verify; the --json report counts signatures per key and per
#     store (every HSM signed, every signature verified, no quarantine) as
#     the file does.
#  2. --zonemd (NSEC): one ZONEMD at the apex, its serial the SOA's;
#     ldns-verify-zone -Z accepts it, and rejects the zone once a glue
#     record (covered by no signature, only by the digest) is removed.
#     ldns-verify-zone hangs (an ldns bug, it seems) on zones with both
#     NSEC3 opt-out and a ZONEMD: that combination is never given to ldns.
#  3. Serial policies keep, increment (and its wrap), unixtime and
#     dateserial, with input serials below and above the wanted one.  TTLs
#     (the lowest of an RRset; DNSKEY, NSEC, RRSIG TTLs).
#  4. Re-signing a signed zone (NSEC3 -> NSEC3, NSEC3 -> NSEC, opt-out ->
#     NSEC3): valid, every old RRSIG/NSEC3 replaced, record counts as for
#     the first run; a zone signed by dnssec-signzone with its own keys
#     (NSEC3 opt-out) re-signed with NSEC: only sigil's DNSKEYs remain.
#  5. --validity 2d --jitter 12h --inception-offset 2h --time T: every
#     inception T-2h, every expiration within [T+2d-12h, T+2d], spread.
#  6. Input and usage errors (among them CNAME beside other data, no NS
#     at the apex: the input's fault, not "a signer bug"; a DS at the apex;
#     a CDS or CDNSKEY for no key of the zone, a delete request beside
#     other CDS) exit 2 with a message naming the problem; OUTPUT neither
#     created nor, when it exists, changed; no file left.  CDS and CDNSKEY
#     for the KSK, and the delete requests alone, are signed by the KSK.
#     The key database unreadable, a wrong PIN on every HSM: exit 3,
#     likewise.
#  7. Determinism: the same zone signed twice at the same --time (with 2
#     and with 1 thread) differs only in signature bytes.
#
# Fails (does not skip) when softhsm2-util, SoftHSM2's module,
# dnssec-verify, dnssec-keygen, dnssec-signzone, ldns-verify-zone or
# kzonecheck is missing.
import calendar
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import sigiltest as st  # noqa: E402

HSMS = ['hsm1', 'hsm2', 'hsm3']

tap = st.Tap()
st.require_hsm_tools(tap, 'softhsm2-util', 'dnssec-verify',
                     'ldns-verify-zone', 'kzonecheck', 'dnssec-keygen',
                     'dnssec-signzone')

tmp = tempfile.mkdtemp(prefix='sigil-sign-')
hsm = st.make_testbed(tap, os.path.join(tmp, 'hsm'))
soft = st.make_testbed(tap, os.path.join(tmp, 'soft'), '--soft')
NOW = int(time.time())


def sigil(bed, *args, cmd='sign', conf='sigil.conf'):
    try:
        p = subprocess.run([st.SIGIL, cmd] + list(args) +
                           ['-c', os.path.join(bed, conf)],
                           env=dict(os.environ, SOFTHSM2_CONF=os.path.join(
                               bed, 'softhsm2.conf')),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return 'not run', '', str(e)
    return p.returncode, p.stdout, p.stderr


def sign(bed, zone, out, *args):
    """sigil sign --json; returns (rc, report or None, stdout+stderr)."""
    rc, out_, err = sigil(bed, zone, '-o', out, '--json', *args)
    try:
        js = json.loads(out_)
    except ValueError:
        js = None
    return rc, js, 'rc=%s\n%s%s' % (rc, out_, err)


def tool(*args, timeout=120):
    try:
        p = subprocess.run(list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, universal_newlines=True,
                           timeout=timeout)
        return p.returncode, p.stdout
    except subprocess.TimeoutExpired:
        return 'timeout', 'timed out after %d s' % timeout


def records(path):
    """The output's records: lists of fields (owner ttl class type ...)."""
    with open(path) as f:
        return [l.split() for l in f if l.strip() and not l.startswith(';')]


def type_counts(recs):
    return collections.Counter(r[3] for r in recs)


def validators(path, origin, ldns=True, ldns_args=(), csk=False):
    """[(name, ok, output)] for the four validators.  csk: the zone has
    only SEP keys (dnssec-verify -z: the KSK flag ignored; without it BIND
    wants a key without the flag too)."""
    res = []
    rc, out = tool('dnssec-verify', *(['-z'] if csk else []), '-o', origin,
                   path)
    res.append(('dnssec-verify', rc == 0, out))
    if ldns:
        rc, out = tool('ldns-verify-zone', *ldns_args, path)
        res.append(('ldns-verify-zone', rc == 0, out))
    rc, out = tool('kzonecheck', '-d', 'on', '-o', origin, path)
    res.append(('kzonecheck', rc == 0, out))
    r = st.sigil_verify(path)
    res.append(('sigil verify', r.rc == 0 and r.json is not None and
                r.json.get('valid') is True, r.describe()))
    return res


def gen_keys(bed, zone, alg, roles):
    for role in roles:
        rc, out, err = sigil(bed, 'generate', zone, '--role', role,
                             '--algorithm', alg, cmd='keys')
        if rc != 0:
            tap.bail('keys generate %s %s %s failed: %s%s' %
                     (zone, role, alg, out, err))


rc, out, err = sigil(hsm, 'enroll', cmd='hsm')
if rc != 0:
    tap.bail('sigil hsm enroll failed: %s%s' % (out, err))

# --------------------------------------------------------------------------
# 1. Algorithms x denials on the HSMs and on the soft store.

# RSA and Ed25519 sign slower in SoftHSM2: smaller zones for them.
ZONES = {}
DELEGS = {'alg8.': 1000, 'tld.': 2000, 'alg15.': 1000, 'csk.': 1000}
for alg, origin, roles in (('8', 'alg8.', ('ksk', 'zsk')),
                           ('13', 'tld.', ('ksk', 'zsk')),
                           ('15', 'alg15.', ('ksk', 'zsk')),
                           ('13', 'csk.', ('csk',))):
    gen_keys(hsm, origin, alg, roles)
    ZONES[origin] = st.gen_zone(tap, os.path.join(tmp, origin + 'zone'),
                                origin, DELEGS[origin])
gen_keys(soft, 'tld.', '13', ('ksk', 'zsk'))
# The example zone (secure and insecure delegations with and without glue,
# an empty non-terminal, a wildcard, CNAME, DNAME): its NSEC and NSEC3
# records counted by hand.
gen_keys(hsm, 'example.', '13', ('ksk', 'zsk'))
ZONES['example.'] = os.path.join(st.ROOT, 'docs', 'examples', 'example.zone')
EXACT = {('example.', 'NSEC'): 16, ('example.', 'NSEC3'): 21,
         ('example.', 'NSEC3 opt-out'): 17}

DENIALS = (('NSEC', ['--nsec']), ('NSEC3', ['--nsec3']),
           ('NSEC3 opt-out', ['--nsec3', '--opt-out']))
CASES = []
for origin, alg in (('alg8.', 8), ('tld.', 13), ('alg15.', 15)):
    for dname, dargs in DENIALS:
        CASES.append(('hsm', origin, alg, dname, dargs))
CASES.append(('hsm', 'csk.', 13, 'NSEC3', ['--nsec3']))
for dname, dargs in DENIALS:
    CASES.append(('hsm', 'example.', 13, dname, dargs))
for dname, dargs in DENIALS:
    CASES.append(('soft', 'tld.', 13, dname, dargs))

OUT = {}
# One sigil at a time on a test bed: two processes using SoftHSM2's file
# store at once can make a token look absent to one of them (then it signs
# without that HSM).  The validators run in parallel.
SIGN_LOCK = threading.Lock()


def run_case(case):
    bedname, origin, alg, dname, dargs = case
    bed = hsm if bedname == 'hsm' else soft
    out = os.path.join(tmp, '%s-%s-%s.signed' % (
        bedname, origin.rstrip('.'), dname.replace(' ', '-')))
    with SIGN_LOCK:
        t0 = time.time()
        rc, js, diag = sign(bed, ZONES[origin], out, *dargs)
        t1 = time.time()
    vals = validators(out, origin, csk=origin == 'csk.') if rc == 0 else []
    recs = records(out) if rc == 0 else []
    return case, out, rc, js, diag, vals, recs, t1 - t0


def check_report(name, js, recs, case, diag):
    bedname, origin, alg, dname, dargs = case
    stores = HSMS if bedname == 'hsm' else ['soft']
    counts = type_counts(recs)
    rrsigs = [r for r in recs if r[3] == 'RRSIG']
    by_tag = collections.Counter(int(r[10]) for r in rrsigs)
    ok = js is not None
    keys = js.get('keys', []) if ok else []
    st_ = {s['name']: s for s in js.get('stores', [])} if ok else {}
    tap.ok(ok and js['written'] and js['signatures'] == len(rrsigs) and
           js['signatures_verified'] == js['signatures'] and
           js['signatures_redone'] == 0 and js['verify_sample'] == 0 and
           js['records_out'] == len(recs),
           '%s: report: signatures = RRSIGs in the file, all verified' % name,
           diag)
    tap.ok(ok and {k['tag']: k['signatures'] for k in keys} == dict(by_tag)
           and all(k['algorithm'] == alg for k in keys) and
           sorted(k['role'] for k in keys) == (
               ['csk'] if origin == 'csk.' else ['ksk', 'zsk']) and
           all(k['signatures'] == (1 if k['role'] == 'ksk' else
                                   js['signatures'] - (
                                       0 if origin == 'csk.' else 1))
               for k in keys),
           '%s: report: signatures per key as in the file (KSK: DNSKEY)' %
           name, diag)
    tap.ok(ok and sorted(st_) == stores and
           all(s['signatures'] > 0 and s['verified'] == s['signatures'] and
               s['bad'] == 0 and not s['quarantined'] and s['reason'] == ''
               for s in st_.values()) and
           sum(s['signatures'] for s in st_.values()) == js['signatures'],
           '%s: report: every store (%s) signed, all verified, no quarantine'
           % (name, ' '.join(stores)), diag)
    if dname == 'NSEC':
        dok = (counts['NSEC'] == js['denial_records'] > 0 and
               counts['NSEC3'] == 0 and counts['NSEC3PARAM'] == 0 and
               js['denial'] == 'nsec')
    else:
        n3 = [r for r in recs if r[3] == 'NSEC3']
        flags = {r[5] for r in n3}
        param = [r for r in recs if r[3] == 'NSEC3PARAM']
        dok = (counts['NSEC3'] == js['denial_records'] > 0 and
               counts['NSEC'] == 0 and len(param) == 1 and
               param[0][4:] == ['1', '0', '0', '-'] and
               js['denial'] == 'nsec3' and
               flags == ({'1'} if 'opt-out' in dname else {'0'}) and
               js['nsec3_opt_out'] == ('opt-out' in dname))
        n = DELEGS.get(origin)
        if n is None:
            pass
        elif 'opt-out' in dname:
            # A tenth of the delegations secure: far fewer NSEC3.
            dok = dok and counts['NSEC3'] < n / 2
        else:
            dok = dok and counts['NSEC3'] > n
    if (origin, dname) in EXACT:
        dok = dok and js['denial_records'] == EXACT[(origin, dname)]
    tap.ok(dok, '%s: %s chain as the report says' % (name, dname),
           '%r\n%s' % (dict(counts), diag))


times = []
for case, out, rc, js, diag, vals, recs, secs in st.run_parallel(run_case,
                                                                CASES):
    bedname, origin, alg, dname, dargs = case
    name = '%s %s alg %d %s' % (bedname, origin, alg, dname)
    times.append('%s %.1f s' % (name, secs))
    OUT[(bedname, origin, dname)] = out
    tap.ok(rc == 0 and js is not None, '%s: signed, exit 0' % name, diag)
    if rc != 0:
        continue
    for vname, ok, vout in vals:
        tap.ok(ok, '%s: %s accepts it' % (name, vname), vout[-3000:])
    check_report(name, js, recs, case, diag)
tap.diag('signing times: ' + '; '.join(times))

# --------------------------------------------------------------------------
# 2. ZONEMD.

zm = os.path.join(tmp, 'zonemd.signed')
rc, js, diag = sign(hsm, ZONES['tld.'], zm, '--nsec', '--zonemd')
tap.ok(rc == 0 and js is not None and js['zonemd'] is True,
       'zonemd: signed, exit 0, report says zonemd', diag)
recs = records(zm) if rc == 0 else []
zmr = [r for r in recs if r[3] == 'ZONEMD']
soa = [r for r in recs if r[3] == 'SOA']
tap.ok(len(zmr) == 1 and zmr[0][0] == 'tld.' and soa and
       zmr[0][4] == soa[0][6] and zmr[0][5:7] == ['1', '1'] and
       len(zmr[0][7]) == 96,
       'zonemd: one ZONEMD at the apex, SOA serial, SHA-384 SIMPLE',
       repr(zmr))
tap.ok(any(r[3] == 'RRSIG' and r[4] == 'ZONEMD' and r[0] == 'tld.'
           for r in recs), 'zonemd: the ZONEMD is signed', repr(zmr))
for vname, ok, vout in validators(zm, 'tld.', ldns_args=('-Z',)):
    tap.ok(ok, 'zonemd: %s accepts it%s' % (
        vname, ' (-Z: digest checked)' if 'ldns' in vname else ''),
        vout[-3000:])
# Negative control: a glue record is covered by the digest, not by any
# signature; without it ldns must reject the zone (so -Z checks digests).
cut = os.path.join(tmp, 'zonemd-cut.signed')
glue = None
with open(zm) as f, open(cut, 'w') as g:
    delegs = {r[0] for r in recs if r[3] == 'NS' and r[0] != 'tld.'}
    for line in f:
        fl = line.split()
        if (glue is None and len(fl) > 3 and fl[3] == 'A' and
                fl[0].split('.', 1)[1] in delegs):
            glue = line
            continue
        g.write(line)
rc, out = tool('ldns-verify-zone', '-Z', cut)
tap.ok(glue is not None and rc != 0,
       'zonemd: ldns-verify-zone -Z rejects the zone without a glue record',
       'removed: %s\nrc=%s %s' % (glue, rc, out[-1000:]))
# NSEC3 opt-out with a ZONEMD: not for ldns (it hangs, see above).
zm3 = os.path.join(tmp, 'zonemd-optout.signed')
rc, js, diag = sign(hsm, ZONES['tld.'], zm3, '--nsec3', '--opt-out',
                    '--zonemd')
tap.ok(rc == 0, 'zonemd with NSEC3 opt-out: signed, exit 0', diag)
for vname, ok, vout in validators(zm3, 'tld.', ldns=False):
    tap.ok(ok, 'zonemd with NSEC3 opt-out: %s accepts it' % vname,
           vout[-3000:])

# --------------------------------------------------------------------------
# 3. Serial policies (a small zone signed with tld.'s keys).

SMALL = '''$ORIGIN tld.
$TTL 3600
@	SOA	ns1 hostmaster %s 1800 900 2419200 300
@	NS	ns1
@	NS	ns2.example.
ns1	A	192.0.2.1
www	A	192.0.2.2
www	AAAA	2001:db8::2
sub	NS	ns.sub
ns.sub	A	192.0.2.3
sec	NS	ns.example.
sec	DS	12345 13 2 ( 0123456789ABCDEF0123456789ABCDEF
		0123456789ABCDEF0123456789ABCDEF )
*.wild	TXT	"wildcard"
'''


def small(serial, name='small'):
    path = os.path.join(tmp, '%s-%s.zone' % (name, serial))
    with open(path, 'w') as f:
        f.write(SMALL % serial)
    return path


T = NOW
tm = time.gmtime(T)
DATE = (tm.tm_year * 10000 + tm.tm_mon * 100 + tm.tm_mday) * 100
for policy, old, want in (('keep', 2026010100, 2026010100),
                          ('increment', 2026010100, 2026010101),
                          ('increment', 4294967295, 0),
                          ('unixtime', 1000, T),
                          ('unixtime', T + 100, T + 101),
                          ('dateserial', 1, DATE),
                          ('dateserial', DATE + 5, DATE + 6),
                          ('dateserial', 2099010100, 2099010101)):
    out = os.path.join(tmp, 'serial-%s-%d.signed' % (policy, old))
    rc, js, diag = sign(hsm, small(old), out, '--serial', policy,
                        '--time', str(T))
    soa = [r for r in records(out) if r[3] == 'SOA'] if rc == 0 else []
    got = int(soa[0][6]) if len(soa) == 1 else None
    tap.ok(rc == 0 and got == want and js['serial_new'] == want and
           js['serial_old'] == old and js['serial_policy'] == policy,
           'serial %s: %d -> %d' % (policy, old, want),
           'got %r\n%s' % (got, diag))
r = st.sigil_verify(os.path.join(tmp, 'serial-dateserial-1.signed'))
tap.ok(r.rc == 0, 'serial: the small zone validates (sigil verify)',
       r.describe())
rc, out = tool('dnssec-verify', '-o', 'tld.',
               os.path.join(tmp, 'serial-dateserial-1.signed'))
tap.ok(rc == 0, 'serial: the small zone validates (dnssec-verify)', out)

# TTLs: an RRset's TTLs made equal (the lowest), the DNSKEY RRset gets the
# SOA's TTL, NSEC records min(SOA TTL, SOA minimum), RRSIGs their RRset's.
ttlz = os.path.join(tmp, 'ttl.zone')
with open(ttlz, 'w') as f:
    f.write('$ORIGIN tld.\n$TTL 3600\n'
            '@ 7200 SOA ns1 hostmaster 1 1800 900 2419200 300\n'
            '@ NS ns1\nns1 A 192.0.2.1\n'
            'www 600 A 192.0.2.2\nwww 60 A 192.0.2.3\n'
            'www 900 AAAA 2001:db8::1\n'
            'sub NS ns.sub\nsub 100 NS ns2.sub\n'
            'ns.sub 30 A 192.0.2.9\nns.sub 40 A 192.0.2.10\n')
ttlo = os.path.join(tmp, 'ttl.signed')
rc, js, diag = sign(hsm, ttlz, ttlo, '--nsec')
ttls = collections.defaultdict(set)
for r in (records(ttlo) if rc == 0 else []):
    ttls[(r[0], r[4] if r[3] == 'RRSIG' else r[3],
          r[3] == 'RRSIG')].add(int(r[1]))
want = {('www.tld.', 'A', False): {60}, ('www.tld.', 'A', True): {60},
        ('www.tld.', 'AAAA', False): {900}, ('sub.tld.', 'NS', False): {100},
        ('ns.sub.tld.', 'A', False): {30}, ('tld.', 'DNSKEY', False): {7200},
        ('tld.', 'DNSKEY', True): {7200}, ('tld.', 'NSEC', False): {300},
        ('www.tld.', 'NSEC', True): {300}, ('tld.', 'SOA', False): {7200}}
tap.ok(rc == 0 and all(ttls.get(k) == v for k, v in want.items()),
       'TTLs: lowest in an RRset, DNSKEY as the SOA, NSEC the SOA minimum',
       '%s\n%r' % (diag, dict(ttls)))
rc, out = tool('dnssec-verify', '-o', 'tld.', ttlo)
tap.ok(rc == 0, 'TTLs: dnssec-verify accepts the zone', out)

# --------------------------------------------------------------------------
# 4. Re-signing signed output.

first = OUT[('hsm', 'tld.', 'NSEC3')]
T2 = NOW + 3600
for name, args, src in (('NSEC3 again', ['--nsec3'], first),
                        ('as NSEC', ['--nsec'], first),
                        ('opt-out as NSEC3', ['--nsec3'],
                         OUT[('hsm', 'tld.', 'NSEC3 opt-out')])):
    out = os.path.join(tmp, 'resign-%s.signed' % name.replace(' ', '-'))
    rc, js, diag = sign(hsm, src, out, *args, '--time', str(T2),
                        '--inception-offset', '1h')
    tap.ok(rc == 0, 're-sign %s: exit 0' % name, diag)
    if rc != 0:
        continue
    recs = records(out)
    counts = type_counts(recs)
    ref = type_counts(records(OUT[('hsm', 'tld.', args == ['--nsec'] and
                                   'NSEC' or 'NSEC3')]))
    tap.ok(counts == ref,
           're-sign %s: record counts as for the unsigned input' % name,
           '%r\n%r' % (dict(counts), dict(ref)))
    incs = {r[9] for r in recs if r[3] == 'RRSIG'}
    want = time.strftime('%Y%m%d%H%M%S', time.gmtime(T2 - 3600))
    tap.ok(incs == {want}, 're-sign %s: every RRSIG is new (inception %s)' %
           (name, want), repr(sorted(incs)[:5]))
    # One RRset per (owner, type): no duplicates of any record.
    lines = [' '.join(r) for r in recs]
    tap.ok(len(lines) == len(set(lines)) and
           len({(r[0], r[4]) for r in recs if r[3] == 'RRSIG'}) ==
           counts['RRSIG'],
           're-sign %s: no duplicate record, one RRSIG per RRset' % name,
           '%d lines, %d distinct' % (len(lines), len(set(lines))))
    for vname, ok, vout in validators(out, 'tld.', ldns=False):
        tap.ok(ok, 're-sign %s: %s accepts it' % (name, vname),
               vout[-3000:])

# A zone signed by dnssec-signzone (NSEC3 opt-out, BIND's own keys in its
# DNSKEY RRset): re-signed with NSEC, only sigil's keys remain.
bdir = os.path.join(tmp, 'bind')
os.mkdir(bdir)
shutil.copy(ZONES['example.'], os.path.join(bdir, 'example.zone'))
bkeys = []
for args in (['-f', 'KSK'], []):
    p = subprocess.run(['dnssec-keygen', '-q', '-K', bdir, '-a', '13'] +
                       args + ['example.'], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    bkeys.append(os.path.join(bdir, p.stdout.strip()))
with open(os.path.join(bdir, 'example.zone'), 'a') as f:
    for k in bkeys:
        with open(k + '.key') as g:
            f.write(g.read())
bsigned = os.path.join(bdir, 'bind.signed')
p = subprocess.run(['dnssec-signzone', '-q', '-3', '-', '-A', '-o',
                    'example.', '-f', bsigned, '-K', bdir,
                    os.path.join(bdir, 'example.zone')] + bkeys,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   universal_newlines=True, cwd=bdir)
tap.ok(p.returncode == 0, 'dnssec-signzone signs the example zone', p.stdout)
out = os.path.join(tmp, 'resign-bind.signed')
rc, js, diag = sign(hsm, bsigned, out, '--nsec')
recs = records(out) if rc == 0 else []
ours = sorted(r[7] for r in records(OUT[('hsm', 'example.', 'NSEC')])
              if r[3] == 'DNSKEY')
tap.ok(rc == 0 and sorted(r[7] for r in recs if r[3] == 'DNSKEY') == ours
       and type_counts(recs) ==
       type_counts(records(OUT[('hsm', 'example.', 'NSEC')])),
       're-sign a dnssec-signzone zone: only sigil\'s DNSKEYs, NSEC3 '
       'replaced by NSEC', diag)
for vname, ok, vout in validators(out, 'example.'):
    tap.ok(ok, 're-sign a dnssec-signzone zone: %s accepts it' % vname,
           vout[-3000:])

# --------------------------------------------------------------------------
# 5. Validity, jitter, inception offset.

T5 = NOW - 600
vout = os.path.join(tmp, 'validity.signed')
rc, js, diag = sign(hsm, ZONES['tld.'], vout, '--validity', '2d', '--jitter',
                    '12h', '--inception-offset', '2h', '--time', str(T5))
tap.ok(rc == 0, 'validity 2d jitter 12h offset 2h: exit 0', diag)
sigs = [r for r in records(vout) if r[3] == 'RRSIG'] if rc == 0 else []


def epoch(s):
    return calendar.timegm(time.strptime(s, '%Y%m%d%H%M%S'))


incs = {epoch(r[9]) for r in sigs}
exps = [epoch(r[8]) for r in sigs]
tap.ok(len(sigs) > 2000 and incs == {T5 - 7200},
       'validity: every inception is T-2h', repr(sorted(incs)[:5]))
tap.ok(exps and all(T5 + 2 * 86400 - 12 * 3600 <= e <= T5 + 2 * 86400
                    for e in exps),
       'validity: every expiration within [T+2d-12h, T+2d]',
       'min %s max %s, T=%d' % (min(exps or [0]) - T5,
                                max(exps or [0]) - T5, T5))
tap.ok(len(set(exps)) > 100 and max(exps) - min(exps) > 6 * 3600,
       'validity: expirations spread over the jitter',
       '%d distinct, spread %d s' % (len(set(exps)),
                                     max(exps or [0]) - min(exps or [0])))
r = st.sigil_verify(vout, time=T5 + 60)
tap.ok(r.rc == 0, 'validity: sigil verify --time T accepts it', r.describe())

# --------------------------------------------------------------------------
# 6. Errors: exit 2, nothing written, an existing OUTPUT untouched.

edir = os.path.join(tmp, 'errors')
os.mkdir(edir)
good = small(2026010100)
bad_syntax = os.path.join(edir, 'syntax.zone')
with open(bad_syntax, 'w') as f:
    f.write(SMALL % 1 + 'oops\tA\t192.0.2.999\n')
outside = os.path.join(edir, 'outside.zone')
with open(outside, 'w') as f:
    f.write(SMALL % 1 + 'www.elsewhere.\tA\t192.0.2.4\n')
nokeys = os.path.join(edir, 'nokeys.zone')
with open(nokeys, 'w') as f:
    f.write(SMALL.replace('$ORIGIN tld.', '$ORIGIN nokeys.') % 1)
missing = os.path.join(edir, 'missing.zone')
# Input errors the gate would catch after signing: they are the input's
# fault (exit 2), not "a signer bug" (exit 1).
cname = os.path.join(edir, 'cname.zone')
with open(cname, 'w') as f:
    f.write(SMALL % 1 + 'alias\tCNAME\twww\nalias\tTXT\t"and data"\n')
nons = os.path.join(edir, 'nons.zone')
with open(nons, 'w') as f:
    f.write('$ORIGIN tld.\n$TTL 3600\n@ SOA ns1 hostmaster 1 1 1 1 1\n'
            'ns1 A 192.0.2.1\n')
syntax_line = len((SMALL % 1).splitlines()) + 1
# CDS and CDNSKEY must name keys of the zone (RFC 7344): a parent acting on
# one that does not would publish a DS leading nowhere; a delete request
# (RFC 8078) must be alone in its RRset.
DIGEST = '0123456789ABCDEF' * 4
cds_nokey = os.path.join(edir, 'cds-nokey.zone')
with open(cds_nokey, 'w') as f:
    f.write(SMALL % 1 + '@\tCDS\t1 13 2 %s\n' % DIGEST)
cdnskey_nokey = os.path.join(edir, 'cdnskey-nokey.zone')
with open(cdnskey_nokey, 'w') as f:
    f.write(SMALL % 1 + '@\tCDNSKEY\t257 3 13 ' + 'A' * 86 + '==\n')
cds_mixed = os.path.join(edir, 'cds-mixed.zone')
with open(cds_mixed, 'w') as f:
    f.write(SMALL % 1 + '@\tCDS\t0 0 0 00\n@\tCDS\t1 13 2 %s\n' % DIGEST)

ERRORS = (
    ('missing input', [missing], ['missing.zone']),
    ('syntax error', [bad_syntax], ['syntax.zone:%d' % syntax_line]),
    ('records outside the zone', [outside], ['elsewhere', 'outside']),
    ('no keys for the zone', [nokeys], ['nokeys.', 'sigil keys generate']),
    ('unknown option', [good, '--bogus'], ['bogus']),
    ('--validity 3x', [good, '--validity', '3x'], ['validity']),
    ('--validity 30m', [good, '--validity', '30m'], ['validity']),
    ('--jitter abc', [good, '--jitter', 'abc'], ['jitter']),
    ('--inception-offset -1h', [good, '--inception-offset', '-1h'],
     ['inception-offset']),
    ('--jitter half the validity', [good, '--validity', '2d', '--jitter',
                                    '1d'], ['jitter']),
    ('--serial bogus', [good, '--serial', 'bogus'], ['serial']),
    ('--time bogus', [good, '--time', 'yesterday'], ['time']),
    ('CNAME beside other data (input error)', [cname],
     ['alias.tld', 'CNAME']),
    ('no NS at the apex (input error)', [nons], ['NS']),
    ('CDS for no key of the zone (input error)', [cds_nokey],
     ['cds-nokey.zone:3', 'CDS', 'key tag 1)']),
    ('CDNSKEY for no key of the zone (input error)', [cdnskey_nokey],
     ['cdnskey-nokey.zone:3', 'CDNSKEY']),
    ('CDS delete request beside a CDS (input error)', [cds_mixed],
     ['cds-mixed.zone:3', 'delete request', 'RFC 8078']),
)
for name, args, words in ERRORS:
    for existing in (False, True):
        out = os.path.join(edir, 'out.signed')
        sentinel = b'; an earlier signed zone\n\x00binary\n'
        if existing:
            with open(out, 'wb') as f:
                f.write(sentinel)
        before = sorted(os.listdir(edir))
        rc, o, e = sigil(hsm, *args, '-o', out)
        after = sorted(os.listdir(edir))
        if existing:
            with open(out, 'rb') as f:
                kept = f.read() == sentinel
            os.unlink(out)
            tap.ok(rc == 2 and kept and before == after,
                   '%s: exit 2, the existing OUTPUT byte-identical' % name,
                   'rc=%d\n%s%s' % (rc, o, e))
        else:
            tap.ok(rc == 2 and not os.path.exists(out) and before == after,
                   '%s: exit 2, no OUTPUT, no file left' % name,
                   'rc=%d %r -> %r\n%s%s' % (rc, before, after, o, e))
            tap.ok(all(w in e for w in words) and 'signer bug' not in e,
                   '%s: the message says %s' % (name, ' / '.join(words)), e)
rc, o, e = sigil(hsm, good)
tap.ok(rc == 2 and '-o' in e, 'missing -o: exit 2, says so',
       'rc=%d\n%s%s' % (rc, o, e))

# CDS and CDNSKEY for the zone's KSK (from sigil keys ds / dnskey): signed
# by the KSK (RFC 7344 4.1), the output valid; the delete requests alone
# too.
p = subprocess.run([st.SIGIL, 'keys', 'ds', 'tld.', '-c',
                    os.path.join(hsm, 'sigil.conf')], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, universal_newlines=True,
                   env=dict(os.environ,
                            SOFTHSM2_CONF=os.path.join(hsm, 'softhsm2.conf')))
ds_lines = [l.split() for l in p.stdout.splitlines() if ' DS ' in l]
p2 = subprocess.run([st.SIGIL, 'keys', 'dnskey', 'tld.', '-c',
                     os.path.join(hsm, 'sigil.conf')], stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, universal_newlines=True,
                    env=dict(os.environ,
                             SOFTHSM2_CONF=os.path.join(hsm, 'softhsm2.conf')))
ksk_lines = [l.split() for l in p2.stdout.splitlines()
             if ' DNSKEY 257 ' in l]
if not ds_lines or not ksk_lines:
    tap.bail('sigil keys ds/dnskey tld. printed nothing: %s%s' %
             (p.stderr, p2.stderr))
for name, extra in (
        ('CDS and CDNSKEY of the KSK',
         '@\tCDS\t%s\n@\tCDNSKEY\t%s\n' % (' '.join(ds_lines[0][4:]),
                                             ' '.join(ksk_lines[0][4:]))),
        ('CDS and CDNSKEY delete requests',
         '@\tCDS\t0 0 0 00\n@\tCDNSKEY\t0 3 0 AA==\n')):
    zf = os.path.join(edir, 'cds-good.zone')
    with open(zf, 'w') as f:
        f.write(SMALL % 1 + extra)
    out = os.path.join(tmp, 'cds-good.signed')
    rc, js, diag = sign(hsm, zf, out)
    recs = records(out) if rc == 0 else []
    ksk_tag = ds_lines[0][4]
    sigs = {r[4]: r[10] for r in recs
            if r[3] == 'RRSIG' and r[4] in ('CDS', 'CDNSKEY')}
    tap.ok(rc == 0 and sigs.get('CDS') == ksk_tag and
           sigs.get('CDNSKEY') == ksk_tag,
           '%s: signed, by the KSK (%s)' % (name, ksk_tag), diag)
    r = st.sigil_verify(out) if rc == 0 else None
    tap.ok(r is not None and r.rc == 0 and r.json.get('valid') is True,
           '%s: sigil verify accepts the output' % name,
           r.describe() if r else diag)

# A DS RRset at the apex belongs to the parent (BIND refuses to load such a
# zone): refused as input (exit 2), or at least not signed into a zone that
# dnssec-verify rejects.
apexds = os.path.join(edir, 'apexds.zone')
with open(apexds, 'w') as f:
    f.write(SMALL % 1 + '@\tDS\t12345 13 2 ' + '0123456789ABCDEF' * 4 + '\n')
out = os.path.join(tmp, 'apexds.signed')
rc, o, e = sigil(hsm, apexds, '-o', out, '--nsec')
vrc, vout = tool('dnssec-verify', '-o', 'tld.', out) if rc == 0 else (0, '')
tap.ok(rc == 2 or (rc == 0 and vrc == 0),
       'DS at the apex: refused (exit 2) or a zone dnssec-verify accepts',
       'rc=%s\n%s%s\ndnssec-verify: %s' % (rc, o, e, vout[-1500:]))

# Exit 3: the key database unreadable; no HSM can log in (wrong PIN).
with open(os.path.join(hsm, 'sigil.conf')) as f:
    conf = f.read()
with open(os.path.join(hsm, 'garbage.db'), 'w') as f:
    f.write('not a database\n')
with open(os.path.join(hsm, 'baddb.conf'), 'w') as f:
    f.write(conf.replace('database: keys.db', 'database: garbage.db'))
wrong = os.path.join(hsm, 'wrong-pin')
with open(wrong, 'w') as f:
    f.write('0000\n')
os.chmod(wrong, 0o600)
with open(os.path.join(hsm, 'badpin.conf'), 'w') as f:
    f.write(conf.replace('pin-file: pin', 'pin-file: wrong-pin'))
for cname, words, name in (('baddb.conf', ['garbage.db'],
                            'key database not a database'),
                           ('badpin.conf', ['CKR_PIN_INCORRECT', 'hsm1',
                                            'hsm2', 'hsm3'],
                            'wrong PIN on every HSM')):
    for existing in (False, True):
        out = os.path.join(edir, 'out.signed')
        if existing:
            with open(out, 'wb') as f:
                f.write(b'old\n')
        before = sorted(os.listdir(edir))
        rc, o, e = sigil(hsm, good, '-o', out, conf=cname)
        after = sorted(os.listdir(edir))
        if existing:
            with open(out, 'rb') as f:
                kept = f.read() == b'old\n'
            os.unlink(out)
            tap.ok(rc == 3 and kept and before == after,
                   '%s: exit 3, the existing OUTPUT byte-identical' % name,
                   'rc=%s\n%s%s' % (rc, o, e))
        else:
            tap.ok(rc == 3 and not os.path.exists(out) and before == after,
                   '%s: exit 3, no OUTPUT' % name,
                   'rc=%s\n%s%s' % (rc, o, e))
            tap.ok(all(w in e for w in words), '%s: the message says %s' %
                   (name, ' / '.join(words)), e)

# --------------------------------------------------------------------------
# 7. Determinism.

T7 = NOW - 300
d1 = os.path.join(tmp, 'det1.signed')
d2 = os.path.join(tmp, 'det2.signed')
rc1, _, diag1 = sign(hsm, ZONES['tld.'], d1, '--time', str(T7))
rc2, _, diag2 = sign(hsm, ZONES['tld.'], d2, '--time', str(T7), '-t', '1')
tap.ok(rc1 == 0 and rc2 == 0, 'determinism: signed twice (2 threads, 1)',
       diag1 + diag2)


def strip_sigs(path):
    out = []
    for r in records(path):
        out.append(' '.join(r[:12] if r[3] == 'RRSIG' else r))
    return out


a, b = (strip_sigs(d1), strip_sigs(d2)) if rc1 == 0 and rc2 == 0 else ([],
                                                                        [])
diff = [(x, y) for x, y in zip(a, b) if x != y]
tap.ok(a and len(a) == len(b) and not diff,
       'determinism: the files differ only in signature bytes',
       '%d vs %d lines; first differences: %r' % (len(a), len(b), diff[:3]))
sigs1 = [r[12:] for r in records(d1) if r[3] == 'RRSIG'] if a else []
sigs2 = [r[12:] for r in records(d2) if r[3] == 'RRSIG'] if a else []
tap.ok(sigs1 and sigs1 != sigs2,
       'determinism: the ECDSA signature bytes themselves differ',
       'identical signatures')

shutil.rmtree(tmp)
tap.done()
