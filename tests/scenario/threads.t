#!/usr/bin/env python3
# Threads under ThreadSanitizer: sigil built with -fsanitize=thread
# (build/tsan/sigil; `make check` builds it and passes SIGIL_TSAN) runs the
# paths where threads share data, and any data race it reports fails.
#
#  1. sigil sign, software keys, NSEC3 opt-out, 2 and 4 threads: the
#     loader's sorting thread beside the parser, the signing workers, the
#     NSEC3 hashing threads, the gate's workers, its coverage and chain
#     checks at once, and the gate beside the output's writers.
#  2. sigil sign with NSEC and --verify-sample 10.
#  3. sigil sign over three SoftHSM2 tokens through the fault module with
#     hsm2 signing badly: sessions per thread and token, round robin, the
#     quarantine and the work redone elsewhere while other threads sign;
#     then the same with --verify-sample 10 (the repair pass).
#  4. sigil verify of each output with 3 threads (the pipelined loader).
# Each run must exit as expected with an output that sigil verify (the
# test's own build) accepts, and print no ThreadSanitizer report.
#
# Fails (does not skip) when SIGIL_TSAN is not set, or cc, pkg-config,
# softhsm2-util or SoftHSM2's module is missing.
import json
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tools'))
import sigiltest as st  # noqa: E402

TSAN = os.environ.get('SIGIL_TSAN')

tap = st.Tap()
st.require_hsm_tools(tap, 'softhsm2-util', 'cc', 'pkg-config')
if not TSAN or not os.access(TSAN, os.X_OK):
    tap.bail('SIGIL_TSAN must name a sigil built with -fsanitize=thread '
             '(make build/tsan/sigil; make check sets it)')

tmp = tempfile.mkdtemp(prefix='sigil-threads-')
TSAN_ENV = {'TSAN_OPTIONS': 'halt_on_error=1:exitcode=66:'
                            'second_deadlock_stack=1'}


def run(binary, *args, env=None):
    e = dict(os.environ, **TSAN_ENV)
    e.update(env or {})
    try:
        p = subprocess.run([binary] + list(args), env=e,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=600)
    except subprocess.TimeoutExpired:
        return 'timeout', '', 'timed out'
    return p.returncode, p.stdout, p.stderr


def no_race(name, rc, err, want_rc=0):
    raced = 'ThreadSanitizer' in err
    tap.ok(rc == want_rc and not raced,
           '%s: exit %d, no ThreadSanitizer report' % (name, want_rc),
           'rc=%s\n%s' % (rc, err[-6000:]))


def valid(name, path):
    r = st.sigil_verify(path)
    tap.ok(r.rc == 0 and r.json is not None and r.json.get('valid') is True,
           '%s: the output is valid' % name, r.describe())


zone = st.gen_zone(tap, os.path.join(tmp, 'tld.zone'), delegations=20000)

# 1, 2: software keys.
soft = st.make_testbed(tap, os.path.join(tmp, 'soft'), '--soft')
sconf = os.path.join(soft, 'sigil.conf')
st.generate_keys(tap, sconf, 'tld.')
outputs = []
for name, args in (
        ('NSEC3 opt-out, 2 threads', ['--nsec3', '--opt-out', '-t', '2']),
        ('NSEC3 opt-out, 4 threads', ['--nsec3', '--opt-out', '-t', '4']),
        ('NSEC, --verify-sample 10', ['--nsec', '--verify-sample', '10'])):
    out = os.path.join(tmp, 'soft-%d.signed' % len(outputs))
    rc, _, err = run(TSAN, 'sign', zone, '-o', out, '-c', sconf, '-q', *args)
    no_race('sign, soft keys, ' + name, rc, err)
    valid('sign, soft keys, ' + name, out)
    outputs.append(out)

# 3: three tokens, hsm2 returning bad signatures.
fault, cc_err = st.build_fault_module(tmp)
if cc_err:
    tap.bail('cannot compile the fault module: %s' % cc_err)
hsm = st.make_testbed(tap, os.path.join(tmp, 'hsm'))
faults, FENV = st.fault_testbed(hsm, fault)
fconf = os.path.join(hsm, 'fault.conf')
open(faults, 'w').close()
rc, out, err = run(st.SIGIL, 'hsm', 'enroll', '-c', fconf, env=FENV)
if rc != 0:
    tap.bail('sigil hsm enroll failed: %s%s' % (out, err))
st.generate_keys(tap, fconf, 'tld.', env=FENV)
with open(faults, 'w') as f:
    f.write('hsm2 bad-signature\n')
for name, args in (('every signature verified', []),
                   ('--verify-sample 10', ['--verify-sample', '10'])):
    out = os.path.join(tmp, 'hsm-%d.signed' % len(outputs))
    rc, so, err = run(TSAN, 'sign', zone, '-o', out, '-c', fconf, '--json',
                      '--nsec3', '--opt-out', *args, env=FENV)
    no_race('sign, 3 HSMs, hsm2 bad, ' + name, rc, err)
    try:
        js = json.loads(so)
    except ValueError:
        js = None
    st_ = {s['name']: s for s in (js or {}).get('stores', [])}
    tap.ok(js is not None and st_.get('hsm2', {}).get('quarantined') and
           not st_.get('hsm1', {}).get('quarantined') and
           not st_.get('hsm3', {}).get('quarantined'),
           'sign, 3 HSMs, hsm2 bad, %s: hsm2 quarantined, the others not'
           % name, so[-3000:])
    valid('sign, 3 HSMs, hsm2 bad, ' + name, out)
    outputs.append(out)

# 4: verify with 3 threads.
for i, out in enumerate(outputs):
    rc, _, err = run(TSAN, 'verify', '-q', '-t', '3', out)
    no_race('verify of output %d, 3 threads' % i, rc, err)

tap.done()
