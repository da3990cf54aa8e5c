#!/usr/bin/env python3
# sigil keys generate / list / dnskey / ds on a 3-HSM test bed.
#
#  1. Not enrolled: generate exits 3, the message says to run
#     `sigil hsm enroll`; list then shows no key.
#  2. After `sigil hsm enroll`: generate a KSK and a ZSK of example.
#     (exit 0, "proven in every store"); list --json shows 2 usable keys with
#     3 copies each, every proof ok, one local copy (hsm1).
#  3. dnskey prints the DNSKEY RRset; BIND's dnssec-dsfromkey on that file
#     prints exactly the DS records `sigil keys ds` prints (SHA-256 and
#     SHA-384), and so does ldns-key2ds for SHA-256.
#  4. Usage: --role bogus, --algorithm RSASHA1, --bits for ECDSA, missing
#     --role, --digest 1, and a zone using both HSMs and a software key
#     store: exit 2.
#  5. Every algorithm sigil makes keys of: RSASHA256 and ECDSAP384SHA384
#     generated in hsm1 and replicated, ED25519 generated in software and
#     imported (the output says so); DS equal to dnssec-dsfromkey's.
#  6. A test bed with a software key store (--soft): a CSK is written to
#     DIR/keys as a 0600 PKCS#8 file that OpenSSL reads, proven, checked.
#
# Fails (does not skip) when softhsm2-util, SoftHSM2's module,
# dnssec-dsfromkey or ldns-key2ds is missing.
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'tools'))
import sigiltest as st  # noqa: E402

MODULE = st.SOFTHSM_MODULE
HSMS = ['hsm1', 'hsm2', 'hsm3']

tap = st.Tap()
st.require_hsm_tools(tap, 'softhsm2-util', 'dnssec-dsfromkey', 'ldns-key2ds')

tmp = tempfile.mkdtemp(prefix='sigil-keys-')


def testbed(name):
    return st.make_testbed(tap, os.path.join(tmp, name))


def run(d, *args, conf='sigil.conf', cmd='keys'):
    p = subprocess.run([st.SIGIL, cmd] + list(args) +
                       ['-c', os.path.join(d, conf)],
                       env=dict(os.environ, SOFTHSM2_CONF=os.path.join(
                           d, 'softhsm2.conf')),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def tool(*args):
    p = subprocess.run(list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def norm(text):
    """DS lines without TTL, whitespace-normalised, upper case, sorted."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if not f or f[0].startswith(';'):
            continue
        if len(f) > 1 and f[1].isdigit():
            del f[1]
        out.append(' '.join(f).upper())
    return sorted(out)


def key_list(d):
    rc, out, err = run(d, 'list', 'example.', '--json')
    try:
        return rc, json.loads(out), err
    except ValueError as e:
        return rc, None, '%s: %s%s' % (e, out, err)


# 1. Not enrolled.
d = testbed('plain')
rc, out, err = run(d, 'generate', 'example.', '--role', 'ksk')
tap.ok(rc == 3, 'not enrolled: generate exits 3',
       'rc=%d\n%s%s' % (rc, out, err))
tap.ok('sigil hsm enroll' in err, 'not enrolled: message says to enroll', err)
rc, js, err = key_list(d)
tap.ok(rc == 0 and js == [], 'not enrolled: list shows no key',
       'rc=%d %r %s' % (rc, js, err))

# 2. Enrolled: a KSK and a ZSK.
rc, out, err = run(d, 'enroll', cmd='hsm')
if rc != 0:
    tap.bail('sigil hsm enroll failed: %s%s' % (out, err))
for role in ('ksk', 'zsk'):
    rc, out, err = run(d, 'generate', 'example.', '--role', role)
    tap.ok(rc == 0 and 'proven in every store' in out and
           ('role:       %s' % role) in out and
           all(h in out for h in HSMS),
           'generate --role %s: exit 0, proven in every store' % role,
           'rc=%d\n%s%s' % (rc, out, err))
rc, js, err = key_list(d)
ok = rc == 0 and isinstance(js, list) and len(js) == 2
tap.ok(ok and sorted(k['role'] for k in js) == ['ksk', 'zsk'] and
       all(k['state'] == 'usable' and k['algorithm'] == 13 for k in js),
       'list --json: 2 usable keys, KSK and ZSK',
       'rc=%d %r %s' % (rc, js, err))
tap.ok(ok and all(
    [c['hsm'] for c in k['copies']] == HSMS and
    all(c['present'] and c['proof'] == 'ok' and c['proof_time']
        for c in k['copies']) and
    [c['local'] for c in k['copies']] == [True, False, False]
    for k in js), 'list --json: 3 copies each, proof ok, local on hsm1',
    'rc=%d %r' % (rc, js))
tap.ok(ok and {k['role']: k['flags'] for k in js} == {'ksk': 257,
                                                      'zsk': 256},
       'flags: KSK 257, ZSK 256', repr(js))
rc, out, err = run(d, 'list', 'example.')
tap.ok(rc == 0 and out.count('proof ok') == 6, 'list: text output',
       'rc=%d\n%s%s' % (rc, out, err))

# 3. DNSKEY and DS, checked with BIND and ldns.
rc, dnskey, err = run(d, 'dnskey', 'example.')
lines = dnskey.splitlines()
tap.ok(rc == 0 and len(lines) == 2 and
       all(l.startswith('example. 3600 IN DNSKEY ') for l in lines) and
       sorted(l.split()[4] for l in lines) == ['256', '257'],
       'dnskey: 2 DNSKEY records, TTL 3600', 'rc=%d\n%s%s' %
       (rc, dnskey, err))
rc, out, err = run(d, 'dnskey', 'example.', '--ttl', '300')
tap.ok(rc == 0 and all(l.split()[1] == '300' for l in out.splitlines()) and
       len(out.splitlines()) == 2, 'dnskey --ttl 300', out + err)
kfile = os.path.join(tmp, 'dnskey.txt')
with open(kfile, 'w') as f:
    f.write(dnskey)
rc, ds2, err = run(d, 'ds', 'example.')
tap.ok(rc == 0 and len(ds2.splitlines()) == 1 and
       ds2.startswith('example. 3600 IN DS ') and
       ds2.split()[6] == ds2.split()[6].upper(),
       'ds: one DS (the KSK), upper-case hex', 'rc=%d\n%s%s' % (rc, ds2, err))
brc, bind2, berr = tool('dnssec-dsfromkey', '-f', kfile, '-2', 'example.')
tap.ok(brc == 0 and norm(bind2) == norm(ds2) and norm(ds2),
       'ds --digest 2 equals dnssec-dsfromkey -2',
       'sigil: %s\nbind: %s%s' % (ds2, bind2, berr))
rc, ds4, err = run(d, 'ds', 'example.', '--digest', '4')
brc, bind4, berr = tool('dnssec-dsfromkey', '-f', kfile, '-a', 'SHA-384',
                        'example.')
tap.ok(rc == 0 and brc == 0 and norm(bind4) == norm(ds4) and norm(ds4),
       'ds --digest 4 equals dnssec-dsfromkey -a SHA-384',
       'sigil: %s%s\nbind: %s%s' % (ds4, err, bind4, berr))
# ldns-key2ds writes one file per SEP key into the current directory.
ldir = os.path.join(tmp, 'ldns')
os.mkdir(ldir)
p = subprocess.run(['ldns-key2ds', '-n', '-2', kfile], cwd=ldir,
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   universal_newlines=True, timeout=60)
tap.ok(p.returncode == 0 and norm(p.stdout) == norm(ds2),
       'ds equals ldns-key2ds -2', 'sigil: %s\nldns: %s%s' %
       (ds2, p.stdout, p.stderr))

# 4. Usage errors.
for args, name in ((['--role', 'bogus'], '--role bogus'),
                   (['--role', 'ksk', '--algorithm', 'RSASHA1'],
                    '--algorithm RSASHA1'),
                   (['--role', 'ksk', '--algorithm', '13', '--bits', '2048'],
                    '--bits for ECDSA'),
                   (['--role', 'ksk', '--algorithm', '8', '--bits', '1000'],
                    '--bits 1000'),
                   ([], 'no --role')):
    rc, out, err = run(d, 'generate', 'example.', *args)
    tap.ok(rc == 2 and err, 'generate %s: exit 2' % name,
           'rc=%d\n%s%s' % (rc, out, err))
rc, out, err = run(d, 'generate', 'example.', '--role', 'ksk',
                   '--algorithm', 'RSASHA1')
tap.ok('ECDSAP256SHA256' in err and 'ED25519' in err,
       '--algorithm RSASHA1: message names the supported algorithms', err)
rc, out, err = run(d, 'generate', 'example.', '--role', 'zsk',
                   '--algorithm', 'ECDSAP256SHA256')
tap.ok(rc == 0, '--algorithm ECDSAP256SHA256: exit 0', out + err)
rc, out, err = run(d, 'ds', 'example.', '--digest', '1')
tap.ok(rc == 2, 'ds --digest 1: exit 2', 'rc=%d %s' % (rc, err))
with open(os.path.join(d, 'sigil.conf')) as f:
    text = f.read()
with open(os.path.join(d, 'soft.conf'), 'w') as f:
    f.write(text + '\nkeystores:\n  - name: soft\n    directory: soft\n')
os.mkdir(os.path.join(d, 'soft'), 0o700)
rc, out, err = run(d, 'generate', 'other.', '--role', 'zsk', conf='soft.conf')
tap.ok(rc == 2 and 'not both' in err and 'soft' in err,
       'zone using HSMs and a key store: exit 2', 'rc=%d\n%s%s' %
       (rc, out, err))

# 5. Other algorithms.
for alg, zone, how in (('RSASHA256', 'rsa.example.', 'replicated'),
                       ('14', 'p384.example.', 'replicated'),
                       ('ED25519', 'ed.example.', 'imported')):
    rc, out, err = run(d, 'generate', zone, '--role', 'ksk',
                       '--algorithm', alg)
    tap.ok(rc == 0 and how in out and 'proven in every store' in out,
           'generate --algorithm %s: exit 0, %s' % (alg, how),
           'rc=%d\n%s%s' % (rc, out, err))
    rc, dnskey, err = run(d, 'dnskey', zone)
    kfile = os.path.join(tmp, zone + 'dnskey')
    with open(kfile, 'w') as f:
        f.write(dnskey)
    rc2, ds, err2 = run(d, 'ds', zone)
    brc, bind, berr = tool('dnssec-dsfromkey', '-f', kfile, '-2', zone)
    tap.ok(rc == 0 and rc2 == 0 and brc == 0 and norm(ds) and
           norm(bind) == norm(ds),
           '%s: ds equals dnssec-dsfromkey -2' % alg,
           'sigil: %s%s\nbind: %s%s' % (ds, err2, bind, berr))
rc, out, err = run(d, 'check')
tap.ok(rc == 0 and 'ed.example.' in out and 'rsa.example.' in out and
       out.count(': ok') == out.count('\n'),
       'check: every key of every zone ok', 'rc=%d\n%s%s' % (rc, out, err))

# 6. Software key store test bed.
sd = os.path.join(tmp, 'softbed')
p = subprocess.run([st.SIGIL, 'testbed', sd, '--soft'],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   universal_newlines=True, timeout=120)
tap.ok(p.returncode == 0, 'testbed --soft', p.stdout + p.stderr)
rc, out, err = run(sd, 'generate', 'example.', '--role', 'csk')
tap.ok(rc == 0 and 'written to every key store' in out,
       'soft: generate a CSK', 'rc=%d\n%s%s' % (rc, out, err))
pems = [f for f in os.listdir(os.path.join(sd, 'keys'))
        if f.endswith('.pem')]
mode = (os.stat(os.path.join(sd, 'keys', pems[0])).st_mode & 0o777
        if len(pems) == 1 else 0)
tap.ok(len(pems) == 1 and mode == 0o600, 'soft: one PKCS#8 file, mode 0600',
       '%r %o' % (pems, mode))
if pems:
    rc2, o2, e2 = tool('openssl', 'pkey', '-in',
                       os.path.join(sd, 'keys', pems[0]), '-noout', '-text')
    tap.ok(rc2 == 0 and 'P-256' in o2, 'soft: OpenSSL reads the key file',
           o2[:200] + e2)
rc, out, err = run(sd, 'check')
tap.ok(rc == 0 and ': ok' in out, 'soft: check ok',
       'rc=%d\n%s%s' % (rc, out, err))
p = subprocess.run([st.SIGIL, 'help', 'keys'], stdout=subprocess.PIPE,
                   universal_newlines=True)
tap.ok(p.returncode == 0 and 'sigil keys generate' in p.stdout,
       'sigil help keys', p.stdout)

shutil.rmtree(tmp)
tap.done()
