#!/usr/bin/env python3
# sigil keys generate and check through the test-only fault module
# (tests/fault/faultp11.c) in front of a 3-HSM test bed over 2 sites.
#
# Generation is all or nothing: after each failure below, exit 3, the
# message names the HSM and what failed, no key is in the key database and
# every token holds exactly the objects it held before (counted with
# tests/tools/de-agent.c):
#  1. hsm3 unreachable (its site is down): refused before a key is made.
#  2. hsm3 fails during unwrap: the pair made in hsm1 and its replica in
#     hsm2 are destroyed.
#  3. hsm2 returns signatures that do not verify: the proof fails on hsm2,
#     everything is destroyed.
#  4. Ed25519 (imported from software) with hsm2 signing badly: likewise.
#  5. Every key tag of full.example. in use (65536 keys put in the key
#     database): 16 pairs are made in hsm1 and discarded, exit 3, "every
#     key tag already in use", nothing left on any token.
#  6. Without faults: a KSK and a ZSK are made; then check with "hsm2
#     bad-signature" and "hsm3 unreachable" reports bad-signature on hsm2
#     and unreachable on hsm3 for each key, ok on hsm1, exit 1, and records
#     the results; without faults check is ok again.
#
# Fails (does not skip) when softhsm2-util, SoftHSM2's module or a C
# compiler is missing.
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import sigiltest as st  # noqa: E402

MODULE = st.SOFTHSM_MODULE
HSMS = ['hsm1', 'hsm2', 'hsm3']
CC = os.environ.get('CC', 'cc')

tap = st.Tap()
st.require_hsm_tools(tap, 'softhsm2-util', CC)

tmp = tempfile.mkdtemp(prefix='sigil-keys-fault-')
agent, cc_err = st.build_de_agent(tmp)
if cc_err:
    tap.bail('cannot compile de-agent.c: %s' % cc_err)
fault, cc_err = st.build_fault_module(tmp)
if cc_err:
    tap.bail('cannot compile the fault module: %s' % cc_err)

d = st.make_testbed(tap, os.path.join(tmp, 'tb'))
faults, ENV = st.fault_testbed(d, fault)


def set_faults(*lines):
    with open(faults, 'w') as f:
        f.write(''.join(l + '\n' for l in lines))


def run(*args, cmd='keys'):
    p = subprocess.run([st.SIGIL, cmd] + list(args) +
                       ['-c', os.path.join(d, 'fault.conf')], env=ENV,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def objects():
    """Objects on each token, counted directly through SoftHSM2."""
    out = {}
    for h in HSMS:
        p = subprocess.run([agent, MODULE, os.path.join(d, 'pin'), 'count',
                            '-', h], env=ENV, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, universal_newlines=True,
                           timeout=60)
        out[h] = int(p.stdout) if p.returncode == 0 else p.stderr
    return out


def keys():
    rc, out, err = run('list', 'example.', '--json')
    try:
        return json.loads(out)
    except ValueError:
        return 'rc=%d %s%s' % (rc, out, err)


set_faults()
rc, out, err = run('enroll', cmd='hsm')
if rc != 0:
    tap.bail('sigil hsm enroll failed: %s%s' % (out, err))

cases = (
    (['hsm3 unreachable'], '13', 'hsm3', 'hsm3 unreachable (site down)'),
    (['hsm3 fail-unwrap'], '13', 'C_UnwrapKey', 'unwrap fails on hsm3'),
    (['hsm2 bad-signature'], '13', 'does not verify',
     'hsm2 signs badly'),
    (['hsm2 bad-signature'], 'ED25519', 'does not verify',
     'Ed25519, hsm2 signs badly'),
)
for lines, alg, words, name in cases:
    before = objects()
    set_faults(*lines)
    rc, out, err = run('generate', 'example.', '--role', 'ksk',
                       '--algorithm', alg)
    set_faults()
    tap.ok(rc == 3, '%s: exit 3' % name, 'rc=%d\n%s%s' % (rc, out, err))
    who = lines[0].split()[0]
    tap.ok(who in err and words in err and 'no key was recorded' in err,
           '%s: the message names %s and says why' % (name, who), err)
    tap.ok(objects() == before, '%s: every token as before' % name,
           '%r -> %r' % (before, objects()))
    tap.ok(keys() == [], '%s: no key in the database' % name, repr(keys()))

# 5. No free key tag.
def keytag(rdata):
    ac = 0
    for i, b in enumerate(rdata):
        ac += b if i & 1 else b << 8
    ac += ac >> 16
    return ac & 0xffff


owner = b'\x04full\x07example\x00'
rows = {}
for hi in (0, 1, 0x8000, 0x8001):
    for v in range(65536):
        rdata = (bytes([1, 0, 3, 15]) + b'\xc5' * 28 +
                 hi.to_bytes(2, 'big') + v.to_bytes(2, 'big'))
        rows.setdefault(keytag(rdata), rdata)
    if len(rows) == 65536:
        break
db = sqlite3.connect(os.path.join(d, 'keys.db'))
with db:
    zid = db.execute("INSERT INTO zones (name) VALUES ('full.example.')"
                     ).lastrowid
    db.executemany(
        "INSERT INTO keys (zone_id, role, algorithm, bits, flags, key_tag, "
        "dnskey, ds_sha256, cka_id, state, created) VALUES "
        "(?, 'zsk', 15, 256, 256, ?, ?, ?, ?, 'failed', ?)",
        ((zid, t, r, hashlib.sha256(owner + r).digest(),
          t.to_bytes(4, 'big'), int(time.time())) for t, r in rows.items()))
db.close()
before = objects()
rc, out, err = run('generate', 'full.example.', '--role', 'zsk')
tap.ok(len(rows) == 65536 and rc == 3 and
       '16 key pairs made, every key tag already in use' in err,
       'every key tag in use: 16 pairs tried, exit 3',
       'rc=%d\n%s%s' % (rc, out, err))
tap.ok(objects() == before, 'every key tag in use: every token as before',
       '%r -> %r' % (before, objects()))

# 6. check reports each fault by HSM name.
tags = []
for role in ('ksk', 'zsk'):
    rc, out, err = run('generate', 'example.', '--role', role)
    if rc != 0:
        tap.bail('generate %s failed: %s%s' % (role, out, err))
    tags.append(int(out.split('key tag:')[1].split()[0]))
set_faults('hsm2 bad-signature', 'hsm3 unreachable')
rc, out, err = run('check', 'example.', '--json')
set_faults()
try:
    js = json.loads(out)
except ValueError:
    js = []
res = {(r['tag'], r['hsm']): r['result'] for r in js}
tap.ok(rc == 1, 'check with faults: exit 1', 'rc=%d %s' % (rc, err))
tap.ok(all(res.get((t, 'hsm1')) == 'ok' and
           res.get((t, 'hsm2')) == 'bad-signature' and
           res.get((t, 'hsm3')) == 'unreachable' for t in tags) and
       len(res) == 6,
       'check: ok on hsm1, bad-signature on hsm2, unreachable on hsm3',
       repr(js))
tap.ok(all(r['message'] and r['hsm'] in r['message'] for r in js
           if r['result'] == 'bad-signature'),
       'check: the messages name the HSM', repr(js))
rec = {(k['tag'], c['hsm']): c['proof'] for k in keys() for c in k['copies']}
tap.ok(rec == res, 'list shows the recorded results', '%r %r' % (rec, res))
rc, out, err = run('check', 'example.')
tap.ok(rc == 0 and out.count(': ok') == 6, 'without faults: check ok again',
       'rc=%d\n%s%s' % (rc, out, err))

shutil.rmtree(tmp)
tap.done()
