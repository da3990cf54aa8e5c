#!/usr/bin/env python3
# sigil hsm list: every HSM's state and health, changing nothing.
#
#  1. A fresh 3-HSM test bed: exit 1; every HSM reachable, logged in,
#     "not enrolled", with the label and serial of sigil.conf; 0 keys and
#     "no database yet", and the key database is not created.
#  2. After `sigil hsm enroll`: exit 0, every HSM "ok" with one KCV.
#  3. Through the test-only fault module, hsm2 unreachable: exit 1, hsm2
#     "unreachable", hsm1 and hsm3 still listed "ok".
#  4. A wrong PIN for hsm3: exit 1, "login refused" for hsm3 (its token
#     information still shown), the others "ok", the PIN not printed.
#  5. --json parses: 3 objects with the same findings.
#  6. Usage errors: exit 2.
#
# Fails (does not skip) when cc, pkg-config, softhsm2-util or SoftHSM2's
# module is missing.
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'tools'))
import sigiltest as st  # noqa: E402

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     '..', '..'))
MODULE = st.SOFTHSM_MODULE
HSMS = ['hsm1', 'hsm2', 'hsm3']

tap = st.Tap()
st.require_hsm_tools(tap, 'cc', 'pkg-config', 'softhsm2-util')

tmp = tempfile.mkdtemp(prefix='sigil-hsm-list-')


def read(path):
    with open(path) as f:
        return f.read()


def run(d, *args, env=None):
    p = subprocess.run([st.SIGIL, 'hsm'] + list(args),
                       env=env or dict(os.environ, SOFTHSM2_CONF=os.path.join(
                           d, 'softhsm2.conf')),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def hsm_list(d, conf='sigil.conf', env=None):
    """Exit status, {hsm: {field: value}} from the text output, output."""
    rc, out, err = run(d, 'list', '-c', os.path.join(d, conf), env=env)
    blocks = {}
    cur = None
    for line in out.splitlines():
        m = re.match(r'^(\S+)$', line)
        if m:
            cur = blocks.setdefault(m.group(1), {})
            continue
        m = re.match(r'^  ([a-zA-Z ]+):\s+(.*)$', line)
        if m and cur is not None:
            cur[m.group(1)] = m.group(2)
    return rc, blocks, out, err


def conf_with(d, name, edit):
    """A copy of d/sigil.conf with each HSM entry passed through edit."""
    text = read(os.path.join(d, 'sigil.conf'))
    head, _, body = text.partition('hsms:\n')
    entries = re.split(r'(?m)^(?=  - name: )', body)
    out = []
    for e in entries:
        m = re.match(r'  - name: (\S+)', e)
        if m:
            out.append(edit(m.group(1), e))
    with open(os.path.join(d, name), 'w') as f:
        f.write(head + 'hsms:\n' + ''.join(out))
    return name


def field(blocks, h, f):
    return blocks.get(h, {}).get(f)


# 1. A fresh test bed.
d = os.path.join(tmp, 'tb')
p = subprocess.run([st.SIGIL, 'testbed', d], stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, universal_newlines=True,
                   timeout=120)
if p.returncode != 0:
    tap.bail('sigil testbed %s failed: %s' % (d, p.stderr))
pin = read(os.path.join(d, 'pin')).strip()
conf = read(os.path.join(d, 'sigil.conf'))
uris = dict(re.findall(r'token: "pkcs11:token=(\w+);serial=(\w+)"', conf))

rc, b, out, err = hsm_list(d)
tap.ok(rc == 1, 'not enrolled: exit 1', 'rc=%d\n%s%s' % (rc, out, err))
tap.ok([h for h in b if h in HSMS] == HSMS, 'one block per HSM, config order',
       out)
tap.ok(all(field(b, h, 'health') == 'not enrolled' for h in HSMS),
       'every HSM "not enrolled"', out)
tap.ok(all(field(b, h, 'reachable') == 'yes' and
           field(b, h, 'logged in') == 'yes' for h in HSMS),
       'every HSM reachable and logged in', out)
tap.ok(len(uris) == 3 and
       all(field(b, h, 'token') == h and field(b, h, 'serial') == uris[h]
           for h in HSMS), 'labels and serials as in sigil.conf', out)
tap.ok(field(b, 'hsm2', 'site') == 'site2' and
       field(b, 'hsm1', 'KEK') == 'missing', 'site and KEK shown', out)
tap.ok(all(field(b, h, 'keys') == '0' for h in HSMS) and
       'no database yet' in out, '0 keys, no database yet', out)
tap.ok(not os.path.exists(os.path.join(d, 'keys.db')),
       'the key database is not created')
tap.ok(pin not in out + err, 'no PIN printed')

# 2. Enrolled.
rc, out, err = run(d, 'enroll', '-c', os.path.join(d, 'sigil.conf'))
if rc != 0:
    tap.bail('sigil hsm enroll failed: %s%s' % (out, err))
kcv = re.search(r'hsm1\s+\S+\s+([0-9a-f]{6})', out).group(1)
rc, b, out, err = hsm_list(d)
tap.ok(rc == 0, 'enrolled: exit 0', 'rc=%d\n%s%s' % (rc, out, err))
tap.ok(all(field(b, h, 'health') == 'ok' for h in HSMS),
       'enrolled: every HSM ok', out)
tap.ok(all(field(b, h, 'KEK') == kcv for h in HSMS),
       'enrolled: the KCV of the enrollment on every HSM', out)

# 3. hsm2 unreachable through the fault module.
fault, cc_err = st.build_fault_module(tmp)
if not tap.ok(cc_err == '', 'fault module compiles', cc_err):
    tap.done()
cf = conf_with(d, 'fault.conf', lambda n, e: e.replace(
    '"%s"' % MODULE, '"%s"' % fault))
faults = os.path.join(d, 'faults')
with open(faults, 'w') as f:
    f.write('hsm2 unreachable\n')
fenv = dict(os.environ, SOFTHSM2_CONF=os.path.join(d, 'softhsm2.conf'),
            SIGIL_FAULT_CONF=faults, SIGIL_FAULT_MODULE=MODULE)
rc, b, out, err = hsm_list(d, cf, env=fenv)
tap.ok(rc == 1, 'hsm2 unreachable: exit 1', 'rc=%d\n%s%s' % (rc, out, err))
tap.ok((field(b, 'hsm2', 'health') or '').startswith('unreachable: ') and
       field(b, 'hsm2', 'reachable') == 'no',
       'hsm2 unreachable: reported unreachable with the error', out)
tap.ok(field(b, 'hsm1', 'health') == 'ok' and
       field(b, 'hsm3', 'health') == 'ok',
       'hsm2 unreachable: hsm1 and hsm3 still listed ok', out)
rc, out, err = run(d, 'list', '--json', '-c', os.path.join(d, cf), env=fenv)
try:
    js = json.loads(out)
except ValueError as e:
    js = []
    tap.diag('not JSON: %s' % e)
tap.ok(rc == 1 and [o.get('healthy') for o in js] == [True, False, True] and
       js[1].get('reachable') is False and js[1].get('label') is None,
       'hsm2 unreachable: the same in JSON', out + err)

# 4. A wrong PIN for hsm3.
bad = os.path.join(d, 'bad-pin')
with open(bad, 'w') as f:
    f.write('wrong-pin-4242\n')
os.chmod(bad, 0o600)
cb = conf_with(d, 'bad.conf', lambda n, e: e.replace(
    'pin-file: pin', 'pin-file: bad-pin') if n == 'hsm3' else e)
rc, b, out, err = hsm_list(d, cb)
tap.ok(rc == 1, 'wrong PIN: exit 1', 'rc=%d\n%s%s' % (rc, out, err))
tap.ok((field(b, 'hsm3', 'health') or '').startswith('login refused: ') and
       field(b, 'hsm3', 'logged in') == 'no' and
       field(b, 'hsm3', 'reachable') == 'yes',
       'wrong PIN: "login refused" for hsm3', out)
tap.ok(field(b, 'hsm3', 'serial') == uris.get('hsm3') and
       field(b, 'hsm3', 'PIN') not in (None, ''),
       'wrong PIN: hsm3 token information still shown', out)
tap.ok(field(b, 'hsm1', 'health') == 'ok' and
       field(b, 'hsm2', 'health') == 'ok', 'wrong PIN: the others ok', out)
tap.ok('wrong-pin-4242' not in out + err and pin not in out + err,
       'wrong PIN: no PIN printed')

# 5. JSON.
rc, out, err = run(d, 'list', '--json', '-c', os.path.join(d, 'sigil.conf'))
try:
    js = json.loads(out)
except ValueError as e:
    js = None
    tap.diag('not JSON: %s' % e)
tap.ok(rc == 0 and isinstance(js, list) and len(js) == 3,
       '--json: an array of 3 entries', out + err)
js = js or []
tap.ok([o.get('name') for o in js] == HSMS and
       all(o.get('healthy') is True and o.get('health') == 'ok' and
           o.get('kcv') == kcv and o.get('keys') == 0 and
           o.get('reachable') is True and o.get('logged_in') is True and
           o.get('serial') == uris.get(o.get('name')) for o in js),
       '--json: the same findings', out)

# 6. Usage.
for args in (['hsm', 'list', 'extra'], ['hsm', 'list', '--bogus'],
             ['hsm', 'list', '--check'], ['hsm', 'enroll', '--json'],
             ['hsm', 'list', '-c', os.path.join(tmp, 'nonexistent')]):
    p = subprocess.run([st.SIGIL] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    tap.ok(p.returncode == 2, 'sigil %s: exit 2' % ' '.join(args[1:]),
           'rc=%d %s' % (p.returncode, p.stderr))
p = subprocess.run([st.SIGIL, 'help', 'hsm'], stdout=subprocess.PIPE,
                   universal_newlines=True)
tap.ok(p.returncode == 0 and 'sigil hsm list' in p.stdout, 'sigil help hsm',
       p.stdout)

shutil.rmtree(tmp)
tap.done()
