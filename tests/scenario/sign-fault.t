#!/usr/bin/env python3
# sigil sign through the test-only fault module (tests/fault/faultp11.c) in
# front of a 3-HSM test bed: the .de scenario end to end (an HSM returning
# signatures that do not verify must never put one in the signed zone).
#
#  0. Without faults: exit 0, every HSM signed, the output valid.
#  1. hsm2 bad-signature: exit 0; the report says hsm2 quarantined, with a
#     reason, its bad signatures counted and made again by hsm1 and hsm3
#     (they made every signature of the file); the output validates with
#     dnssec-verify and sigil verify.
#  2. hsm2 bad-signature and hsm3 unreachable: hsm1 signs everything,
#     exit 0, valid output; stderr says hsm3 is not available.
#  3. hsm1 and hsm2 bad-signature, hsm3 unreachable: no healthy store,
#     exit 1, the message says so; OUTPUT not created; an existing OUTPUT
#     byte-identical; no file left in its directory.
#  4. hsm3's site goes down during the run (the fault file is changed
#     while sigil runs; every token is slowed down a little so that the
#     run lasts): hsm3 is quarantined with the PKCS#11 error, hsm1 and hsm2
#     make the rest, exit 0, valid output.
#  5. --verify-sample 50: the zone is signed with hsm2 sound at first and
#     faulty from the middle of the run on (as in 4), so that hsm2 returns
#     bad signatures which are not sampled before one is.  hsm2 is
#     quarantined, every signature it made unverified is verified again
#     and made again elsewhere: the output is valid, the report says
#     verify_sample 50 and signatures_redone > 0.
#  6. The ZSK's private key deleted on hsm3 (tests/tools/de-agent.c): exit
#     0, the report says hsm3 has 1 key it cannot use (and why), hsm1 and
#     hsm2 make the ZSK's signatures, the output is valid.
#
# Fails (does not skip) when softhsm2-util, SoftHSM2's module, a C compiler
# or dnssec-verify is missing.
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import sigiltest as st  # noqa: E402

CC = os.environ.get('CC', 'cc')

tap = st.Tap()
st.require_hsm_tools(tap, 'softhsm2-util', CC, 'pkg-config', 'dnssec-verify')

tmp = tempfile.mkdtemp(prefix='sigil-sign-fault-')
fault, cc_err = st.build_fault_module(tmp)
if cc_err:
    tap.bail('cannot compile the fault module: %s' % cc_err)

d = st.make_testbed(tap, os.path.join(tmp, 'tb'))
faults, ENV = st.fault_testbed(d, fault)


def set_faults(*lines):
    """Atomically (the module may be reading it)."""
    with open(faults + '.new', 'w') as f:
        f.write(''.join(l + '\n' for l in lines))
    os.rename(faults + '.new', faults)


def cmd(*args):
    return [st.SIGIL] + list(args) + ['-c', os.path.join(d, 'fault.conf')]


def run(*args):
    p = subprocess.run(cmd(*args), env=ENV, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=300)
    return p.returncode, p.stdout, p.stderr


def report(out):
    try:
        return json.loads(out)
    except ValueError:
        return None


def stores(js):
    return {s['name']: s for s in (js or {}).get('stores', [])}


def rrsig_count(path):
    with open(path) as f:
        return sum(1 for l in f if l.split()[3:4] == ['RRSIG'])


def valid(path, name):
    p = subprocess.run(['dnssec-verify', '-o', 'tld.', path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=120)
    tap.ok(p.returncode == 0, '%s: dnssec-verify accepts the output' % name,
           p.stdout[-3000:])
    r = st.sigil_verify(path)
    tap.ok(r.rc == 0 and r.json is not None and r.json.get('valid') is True,
           '%s: sigil verify accepts the output' % name, r.describe())


set_faults()
rc, out, err = run('hsm', 'enroll')
if rc != 0:
    tap.bail('sigil hsm enroll failed: %s%s' % (out, err))
st.generate_keys(tap, os.path.join(d, 'fault.conf'), 'tld.', env=ENV)
zone = st.gen_zone(tap, os.path.join(tmp, 'tld.zone'))

# 0. No faults.
out0 = os.path.join(tmp, 'nofault.signed')
rc, out, err = run('sign', zone, '-o', out0, '--json')
js = report(out)
diag = 'rc=%d\n%s%s' % (rc, out, err)
tap.ok(rc == 0 and js is not None and
       all(s['signatures'] > 0 and not s['quarantined']
           for s in stores(js).values()) and len(stores(js)) == 3,
       'no fault: exit 0, every HSM signed', diag)
valid(out0, 'no fault')

# 1. hsm2 signs badly.
name = 'hsm2 bad-signature'
out1 = os.path.join(tmp, 'hsm2-bad.signed')
set_faults('hsm2 bad-signature')
rc, out, err = run('sign', zone, '-o', out1, '--json')
set_faults()
js = report(out)
s = stores(js)
diag = 'rc=%d\n%s%s' % (rc, out, err)
tap.ok(rc == 0 and js is not None and js['written'], '%s: exit 0' % name,
       diag)
h2 = s.get('hsm2', {})
tap.ok(h2.get('quarantined') is True and h2.get('bad', 0) > 0 and
       'did not verify' in h2.get('reason', '') and
       h2.get('verified') == 0,
       '%s: report: hsm2 quarantined, with a reason' % name, diag)
tap.ok(js is not None and
       all(s.get(h, {}).get('quarantined') is False and
           s.get(h, {}).get('bad') == 0 and
           s.get(h, {}).get('signatures', 0) > 0 for h in ('hsm1', 'hsm3')) and
       s['hsm1']['signatures'] + s['hsm3']['signatures'] ==
       js['signatures'] == js['signatures_verified'] == rrsig_count(out1),
       '%s: report: hsm1 and hsm3 made (again) every signature of the file, '
       'all verified' % name, diag)
valid(out1, name)
tap.ok(rrsig_count(out1) == rrsig_count(out0),
       '%s: as many signatures as without the fault' % name,
       '%d vs %d' % (rrsig_count(out1), rrsig_count(out0)))

# 2. hsm2 signs badly, hsm3's site is down.
name = 'hsm2 bad-signature, hsm3 unreachable'
out2 = os.path.join(tmp, 'hsm1-only.signed')
set_faults('hsm2 bad-signature', 'hsm3 unreachable')
rc, out, err = run('sign', zone, '-o', out2, '--json')
set_faults()
js = report(out)
s = stores(js)
diag = 'rc=%d\n%s%s' % (rc, out, err)
tap.ok(rc == 0 and js is not None and js['written'], '%s: exit 0' % name,
       diag)
tap.ok('hsm3' in err and 'not available' in err,
       '%s: stderr says hsm3 is not available' % name, err)
tap.ok(js is not None and s.get('hsm1', {}).get('signatures') ==
       js['signatures'] == js['signatures_verified'] == rrsig_count(out2) and
       s.get('hsm2', {}).get('quarantined') is True and
       s.get('hsm3', {}).get('signatures', 0) == 0,
       '%s: hsm1 made every signature, hsm2 quarantined' % name, diag)
valid(out2, name)

# 3. No healthy store left.
name = 'hsm1 and hsm2 bad-signature, hsm3 unreachable'
odir = os.path.join(tmp, 'out3')
os.mkdir(odir)
out3 = os.path.join(odir, 'signed')
for existing in (False, True):
    sentinel = b'; the zone signed yesterday\n'
    if existing:
        with open(out3, 'wb') as f:
            f.write(sentinel)
    before = sorted(os.listdir(odir))
    set_faults('hsm1 bad-signature', 'hsm2 bad-signature',
               'hsm3 unreachable')
    rc, out, err = run('sign', zone, '-o', out3, '--json')
    set_faults()
    js = report(out)
    after = sorted(os.listdir(odir))
    diag = 'rc=%d\n%s%s' % (rc, out, err)
    if not existing:
        tap.ok(rc == 1, '%s: exit 1' % name, diag)
        tap.ok('no healthy store' in err and 'quarantined' in err,
               '%s: the message says no healthy store is left' % name, err)
        tap.ok(js is not None and js['written'] is False and
               all(s['quarantined'] for s in stores(js).values()),
               '%s: report: not written, hsm1 and hsm2 quarantined' % name,
               diag)
        tap.ok(not os.path.exists(out3) and before == after,
               '%s: OUTPUT not created, no file left' % name,
               '%r -> %r' % (before, after))
    else:
        with open(out3, 'rb') as f:
            kept = f.read() == sentinel
        tap.ok(rc == 1 and kept and before == after,
               '%s: an existing OUTPUT is left byte-identical' % name,
               '%s\n%r -> %r' % (diag, before, after))



def midrun(out, args, after, done):
    """Signs with every token slowed down, switches the faults to after
    (plus the slowness) 1 s into the run; up to 3 attempts until done(js)
    (the switch may come too early or too late on a loaded machine).
    Returns rc, report, diag, attempt, seconds."""
    for attempt in range(1, 4):
        set_faults(SLOW)
        t0 = time.time()
        proc = subprocess.Popen(cmd('sign', zone, '-o', out, '--json',
                                    *args),
                                env=ENV, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                universal_newlines=True)
        time.sleep(1.0)
        set_faults(SLOW, *after)
        o, e = proc.communicate(timeout=300)
        secs = time.time() - t0
        set_faults()
        rc = proc.returncode
        js = report(o)
        diag = 'attempt %d, %.1f s\nrc=%d\n%s%s' % (attempt, secs, rc, o, e)
        if rc != 0 or (js is not None and done(js)):
            break
        tap.diag('the fault came too early or too late on attempt %d (%.1f '
                 's): %s; again' % (attempt, secs, json.dumps(
                     (js or {}).get('stores'))))
    return rc, js, diag, attempt, secs


SLOW = '* slow 2'

# 4. hsm3's site goes down in the middle of the run.
name = 'hsm3 unreachable during the run'
out5 = os.path.join(tmp, 'midrun.signed')
rc, js, diag, attempt, secs = midrun(
    out5, [], ['hsm3 unreachable'],
    lambda js: stores(js).get('hsm3', {}).get('quarantined') is True)
s = stores(js)
tap.ok(rc == 0 and js is not None and js['written'], '%s: exit 0' % name,
       diag)
h3 = s.get('hsm3', {})
tap.ok(h3.get('quarantined') is True and h3.get('signatures', 0) > 0 and
       'CKR_DEVICE_REMOVED' in h3.get('reason', ''),
       '%s: report: hsm3 signed, then quarantined with the PKCS#11 error' %
       name, diag)
tap.ok(js is not None and js['signatures'] == js['signatures_verified'] ==
       rrsig_count(out5) == sum(x['signatures'] for x in s.values()),
       '%s: hsm1 and hsm2 made the rest, all verified' % name, diag)
valid(out5, name)

# 5. --verify-sample 50, hsm2 going bad in the middle of the run.
name = 'verify-sample 50, hsm2 bad-signature'
out4 = os.path.join(tmp, 'sample.signed')
rc, js, diag, attempt, secs = midrun(
    out4, ['--verify-sample', '50'], ['hsm2 bad-signature'],
    lambda js: js['signatures_redone'] > 0)
s = stores(js)
if js is not None:
    tap.diag('%s: attempt %d, %.1f s: hsm2 made %s signatures, %s bad; %d '
             'redone' % (name, attempt, secs,
                         s.get('hsm2', {}).get('signatures'),
                         s.get('hsm2', {}).get('bad'),
                         js['signatures_redone']))
tap.ok(rc == 0 and js is not None and js['written'], '%s: exit 0' % name,
       diag)
tap.ok(js is not None and js['verify_sample'] == 50 and
       js['signatures_verified'] < js['signatures'],
       '%s: report: verify_sample 50, a sample verified' % name, diag)
tap.ok(js is not None and js['signatures_redone'] > 0 and
       s.get('hsm2', {}).get('quarantined') is True and
       s['hsm2']['bad'] >= js['signatures_redone'],
       '%s: report: hsm2 quarantined, signatures_redone > 0' % name, diag)
tap.ok(js is not None and js['signatures'] == rrsig_count(out4),
       '%s: every signature in the file' % name, diag)
valid(out4, name)

# 6. A key missing on hsm3.
name = 'ZSK missing on hsm3'
agent, cc_err = st.build_de_agent(tmp)
tap.ok(cc_err == '', 'de-agent compiles', cc_err)
set_faults()
rc, out, err = run('keys', 'list', 'tld.', '--json')
zsk = [k for k in (report(out) or []) if k['role'] == 'zsk']
p = subprocess.run([agent, st.SOFTHSM_MODULE, os.path.join(d, 'pin'),
                    'delete', zsk[0]['cka_id'] if zsk else '00', 'hsm3'],
                   env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                   universal_newlines=True, timeout=60)
tap.ok(p.returncode == 0 and zsk, '%s: deleted' % name, p.stderr)
out6 = os.path.join(tmp, 'missing.signed')
rc, out, err = run('sign', zone, '-o', out6, '--json')
js = report(out)
s = stores(js)
diag = 'rc=%d\n%s%s' % (rc, out, err)
tap.ok(rc == 0 and js is not None and js['written'], '%s: exit 0' % name,
       diag)
tap.ok(s.get('hsm3', {}).get('keys_unusable') == 1 and
       'hsm3' in s['hsm3'].get('note', '') and
       s['hsm1']['keys_unusable'] == 0 and s['hsm2']['keys_unusable'] == 0,
       '%s: report: hsm3 has 1 key it cannot use, and why' % name, diag)
valid(out6, name)

shutil.rmtree(tmp)
tap.done()
