#!/usr/bin/env python3
# sigil hsm enroll: one key-encryption key (KEK) in every HSM.
#
#  1. A 3-HSM test bed: exit 0; hsm1 "created", hsm2 and hsm3 "copied",
#     one KCV for all three; no PIN in the output.  A second run reports
#     every HSM "present" with the same KCV and "already enrolled";
#     --check agrees (exit 0).
#  2. A fourth token initialised later in the same token directory and a
#     configuration with all four: hsm4 "copied", the others "present",
#     the same KCV.
#  3. A wrong PIN for hsm2: exit 3, the message names hsm2 and
#     CKR_PIN_INCORRECT, and --check then finds no KEK on any HSM.
#  4. All or nothing: through the test-only fault module, C_UnwrapKey fails
#     on hsm3 after hsm1 made the KEK and hsm2 received it: exit 3, the
#     message names hsm3 and C_UnwrapKey, and --check finds no KEK anywhere
#     (the created and copied KEKs were destroyed).  Without the fault the
#     enrollment then succeeds.  When hsm1 held the KEK before, the same
#     failure leaves hsm1's KEK (same KCV) and removes hsm2's copy.
#  5. Two HSMs enrolled separately (different KEKs): enrolling all three is
#     refused with exit 3, the message names both HSMs; hsm3 is left
#     without a KEK.
#  6. The same token listed twice: exit 2.  Usage errors: exit 2.
#
# Fails (does not skip) when cc, pkg-config, softhsm2-util or SoftHSM2's
# module is missing.
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

tap = st.Tap()
st.require_hsm_tools(tap, 'cc', 'pkg-config', 'softhsm2-util')

tmp = tempfile.mkdtemp(prefix='sigil-enroll-')
ROW = re.compile(r'^(\S+)\s+(\S+)\s+([0-9a-f]{6}|-)\s+(\S+)$')


def read(path):
    with open(path) as f:
        return f.read()


def testbed(name):
    return st.make_testbed(tap, os.path.join(tmp, name))


def env_of(d, **extra):
    return dict(os.environ, SOFTHSM2_CONF=os.path.join(d, 'softhsm2.conf'),
                **extra)


def enroll(d, conf='sigil.conf', *opts, env=None):
    p = subprocess.run([st.SIGIL, 'hsm', 'enroll', '-c',
                        os.path.join(d, conf)] + list(opts),
                       env=env or env_of(d), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=300)
    rows = {}
    for line in p.stdout.splitlines():
        m = ROW.match(line)
        if m and m.group(1) != 'HSM':
            rows[m.group(1)] = (m.group(2), m.group(3), m.group(4))
    return p.returncode, rows, p.stdout, p.stderr


def conf_with(d, name, keep=None, edit=None, extra=''):
    """A copy of d/sigil.conf keeping the HSMs in keep (all when None),
    each entry passed through edit, plus extra text."""
    text = read(os.path.join(d, 'sigil.conf'))
    head, _, body = text.partition('hsms:\n')
    entries = re.split(r'(?m)^(?=  - name: )', body)
    out = []
    for e in entries:
        m = re.match(r'  - name: (\S+)', e)
        if not m:
            continue
        if keep is not None and m.group(1) not in keep:
            continue
        out.append(edit(m.group(1), e) if edit else e)
    with open(os.path.join(d, name), 'w') as f:
        f.write(head + 'hsms:\n' + ''.join(out) + extra)
    return name


def kcvs(rows):
    return {r[1] for r in rows.values()}


# 1. Enrollment and idempotence.
d = testbed('tb1')
pin = read(os.path.join(d, 'pin')).strip()
so_pin = read(os.path.join(d, 'so-pin')).strip()
rc, rows, out, err = enroll(d)
tap.ok(rc == 0, 'enroll: exit 0', out + err)
tap.ok(sorted(rows) == ['hsm1', 'hsm2', 'hsm3'], 'one row per HSM', out)
tap.ok([rows.get(h, ('', '', ''))[2] for h in ('hsm1', 'hsm2', 'hsm3')] ==
       ['created', 'copied', 'copied'],
       'created in hsm1, copied to hsm2 and hsm3', out)
tap.ok(rows.get('hsm2', ('',))[0] == 'site2', 'sites shown', out)
tap.ok(len(kcvs(rows)) == 1 and '-' not in kcvs(rows),
       'one KCV on every HSM', out)
kcv = next(iter(kcvs(rows))) if rows else None
tap.ok('enrolled' in out and 'already' not in out, 'reported enrolled', out)
tap.ok(pin not in out + err and so_pin not in out + err, 'no PIN printed')

rc, rows, out, err = enroll(d)
tap.ok(rc == 0, 'second run: exit 0', out + err)
tap.ok(all(r[2] == 'present' for r in rows.values()) and len(rows) == 3,
       'second run: every HSM already holds it', out)
tap.ok(kcvs(rows) == {kcv}, 'second run: the same KCV', out)
tap.ok('already enrolled' in out, 'second run: "already enrolled"', out)

rc, rows, out, err = enroll(d, 'sigil.conf', '--check')
tap.ok(rc == 0 and kcvs(rows) == {kcv} and len(rows) == 3,
       '--check: exit 0, the same KCV everywhere', out + err)

# 2. A fourth HSM joins later.
p = subprocess.run(['softhsm2-util', '--init-token', '--free', '--label',
                    'hsm4', '--so-pin', so_pin, '--pin', pin],
                   env=env_of(d), stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, universal_newlines=True)
if p.returncode != 0:
    tap.bail('softhsm2-util --init-token failed: %s' % p.stderr)
c4 = conf_with(d, 'sigil4.conf', extra=(
    '  - name: hsm4\n    site: site2\n    module: "%s"\n'
    '    token: "pkcs11:token=hsm4"\n    pin-file: pin\n' % MODULE))
rc, rows, out, err = enroll(d, c4)
tap.ok(rc == 0, 'four HSMs: exit 0', out + err)
tap.ok(rows.get('hsm4', ('', '', ''))[2] == 'copied' and
       all(rows[h][2] == 'present' for h in ('hsm1', 'hsm2', 'hsm3')
           if h in rows) and len(rows) == 4,
       'four HSMs: copied to hsm4 only', out)
tap.ok(kcvs(rows) == {kcv}, 'four HSMs: the same KCV as before', out)
rc, rows, out, err = enroll(d, c4)
tap.ok(rc == 0 and 'already enrolled' in out, 'four HSMs: then idempotent',
       out + err)

# 3. A wrong PIN on hsm2.
d = testbed('tb2')
bad = os.path.join(d, 'bad-pin')
with open(bad, 'w') as f:
    f.write('wrong-pin-0000\n')
os.chmod(bad, 0o600)
cbad = conf_with(d, 'bad.conf', edit=lambda n, e: e.replace(
    'pin-file: pin', 'pin-file: bad-pin') if n == 'hsm2' else e)
rc, rows, out, err = enroll(d, cbad)
tap.ok(rc == 3, 'wrong PIN: exit 3', 'rc=%d\n%s%s' % (rc, out, err))
tap.ok('hsm2' in err and 'CKR_PIN_INCORRECT' in err,
       'wrong PIN: the message names hsm2 and CKR_PIN_INCORRECT', err)
tap.ok('wrong-pin-0000' not in out + err, 'wrong PIN: the PIN not printed')
rc, rows, out, err = enroll(d, 'sigil.conf', '--check')
tap.ok(rc == 1 and len(rows) == 3 and
       all(r[2] == 'missing' for r in rows.values()),
       'wrong PIN: no KEK on any HSM', out + err)

# 4. All or nothing: unwrap fails on hsm3.
d = testbed('tb3')
fault, cc_err = st.build_fault_module(tmp)
if not tap.ok(cc_err == '', 'fault module compiles', cc_err):
    tap.done()
cf = conf_with(d, 'fault.conf', edit=lambda n, e: e.replace(
    '"%s"' % MODULE, '"%s"' % fault))
faults = os.path.join(d, 'faults')
with open(faults, 'w') as f:
    f.write('hsm3 fail-unwrap\n')
fenv = env_of(d, SIGIL_FAULT_CONF=faults, SIGIL_FAULT_MODULE=MODULE)
rc, rows, out, err = enroll(d, cf, env=fenv)
tap.ok(rc == 3, 'unwrap fails on hsm3: exit 3', 'rc=%d\n%s%s' % (rc, out, err))
tap.ok('hsm3' in err and 'C_UnwrapKey' in err,
       'unwrap fails on hsm3: the message names hsm3 and C_UnwrapKey', err)
rc, rows, out, err = enroll(d, 'sigil.conf', '--check')
tap.ok(rc == 1 and len(rows) == 3 and
       all(r[2] == 'missing' for r in rows.values()),
       'unwrap fails on hsm3: the KEKs made in hsm1 and hsm2 are destroyed',
       out + err)
with open(faults, 'w') as f:
    f.write('')
rc, rows, out, err = enroll(d, cf, env=fenv)
tap.ok(rc == 0 and len(kcvs(rows)) == 1 and len(rows) == 3,
       'without the fault: enrolled', out + err)

# A KEK that was there before a failed run stays; the run's copies go.
d = testbed('tb5')
cf = conf_with(d, 'fault.conf', edit=lambda n, e: e.replace(
    '"%s"' % MODULE, '"%s"' % fault))
c1 = conf_with(d, 'hsm1.conf', keep=['hsm1'])
rc, rows, out, err = enroll(d, c1)
k1 = rows.get('hsm1', ('', '', ''))[1]
tap.ok(rc == 0 and rows.get('hsm1', ('', '', ''))[2] == 'created',
       'hsm1 alone: created', out + err)
faults = os.path.join(d, 'faults')
with open(faults, 'w') as f:
    f.write('hsm3 fail-unwrap\n')
fenv = env_of(d, SIGIL_FAULT_CONF=faults, SIGIL_FAULT_MODULE=MODULE)
rc, rows, out, err = enroll(d, cf, env=fenv)
tap.ok(rc == 3 and 'hsm3' in err and 'no KEK made by this run is left' in err,
       'copy to hsm3 fails: exit 3', 'rc=%d\n%s%s' % (rc, out, err))
rc, rows, out, err = enroll(d, 'sigil.conf', '--check')
tap.ok(rows.get('hsm1', ('', '', ''))[1:] == (k1, 'present') and
       rows.get('hsm2', ('', '', ''))[2] == 'missing' and
       rows.get('hsm3', ('', '', ''))[2] == 'missing',
       'copy to hsm3 fails: hsm1 keeps its KEK, the copy on hsm2 is gone',
       out + err)

# 5. Different KEKs in two HSMs.
d = testbed('tb4')
for h in ('hsm1', 'hsm2'):
    rc, rows, out, err = enroll(d, conf_with(d, h + '.conf', keep=[h]))
    tap.ok(rc == 0 and rows.get(h, ('', '', ''))[2] == 'created',
           'separately enrolled %s' % h, out + err)
rc, rows, out, err = enroll(d)
tap.ok(rc == 3, 'different KEKs: exit 3', 'rc=%d\n%s%s' % (rc, out, err))
tap.ok('hsm1' in err and 'hsm2' in err and 'different' in err,
       'different KEKs: the message names hsm1 and hsm2', err)
rc, rows, out, err = enroll(d, 'sigil.conf', '--check')
tap.ok(rc == 1 and rows.get('hsm3', ('', '', ''))[2] == 'missing',
       'different KEKs: nothing copied to hsm3', out + err)

# 6. The same token twice; usage.
cd = conf_with(d, 'dup.conf', keep=['hsm3'], extra=(
    '  - name: hsm3bis\n    site: site1\n    module: "%s"\n'
    '    token: "pkcs11:token=hsm3"\n    pin-file: pin\n' % MODULE))
rc, rows, out, err = enroll(d, cd)
tap.ok(rc == 2 and 'same token' in err, 'one token twice: exit 2',
       'rc=%d\n%s%s' % (rc, out, err))
rc, rows, out, err = enroll(d, 'sigil.conf', '--check')
tap.ok(rows.get('hsm3', ('', '', ''))[2] == 'missing',
       'one token twice: nothing made', out + err)
for args in (['hsm'], ['hsm', 'frobnicate'], ['hsm', 'enroll', 'extra'],
             ['hsm', 'enroll', '--bogus'],
             ['hsm', 'enroll', '-c', os.path.join(tmp, 'nonexistent')]):
    p = subprocess.run([st.SIGIL] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    tap.ok(p.returncode == 2, 'sigil %s: exit 2' % ' '.join(args[1:]),
           'rc=%d %s' % (p.returncode, p.stderr))
p = subprocess.run([st.SIGIL, 'help', 'hsm'], stdout=subprocess.PIPE,
                   universal_newlines=True)
tap.ok(p.returncode == 0 and 'sigil hsm enroll' in p.stdout,
       'sigil help hsm', p.stdout)

shutil.rmtree(tmp)
tap.done()
