#!/usr/bin/env python3
# sigil testbed: the multi-HSM test environment.
#
#  1. Defaults (3 HSMs over 2 sites) in a new directory: exit 0; pin and
#     so-pin exist with mode 0600, hold different random hex PINs, and
#     neither appears in the command's output; softhsm2.conf points
#     SoftHSM2 at DIR/tokens (file backend, log level ERROR);
#     `softhsm2-util --show-slots` with that SOFTHSM2_CONF lists tokens
#     hsm1..hsm3; sigil.conf names the three HSMs with sites site1, site2,
#     site1, the module, token URIs with label and the serial the token
#     reports, pin-file pin, database keys.db and no zones; the summary
#     names every HSM, site and serial and how to use the test bed.
#  2. --hsms 4 --sites 2 (round-robin sites), --hsms 1 (one site), a
#     relative DIR (made absolute in the files), an existing empty DIR.
#  3. --soft: a key store "soft" in DIR/keys (mode 0700), no tokens, no
#     PINs, no softhsm2.conf.
#  4. Refusals, exit 2, nothing changed: a non-empty DIR, DIR a file, bad
#     numbers (--hsms 0, 17, abc, -1; --sites 0; more sites than HSMs),
#     --soft with --hsms, no DIR, two DIRs, an unknown option.
#  5. A failure in the middle (--module /nonexistent, after the PIN and
#     SoftHSM2 files are written): exit 3, a new DIR removed again, an
#     existing empty DIR left empty.
#  6. `sigil help testbed` and `sigil testbed --help` print the usage.
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'tools'))
import sigiltest as st  # noqa: E402

MODULE = '/usr/lib/softhsm/libsofthsm2.so'

tap = st.Tap()
if not st.have_sigil():
    tap.bail('no sigil binary at %s (set SIGIL)' % st.SIGIL)
# dependencies: missing, they fail the test
if not shutil.which('softhsm2-util') or not os.path.isfile(MODULE):
    tap.bail('softhsm2-util or %s is missing (softhsm2)' % MODULE)

tmp = tempfile.mkdtemp(prefix='sigil-testbed-')


def run(*args, cwd=None):
    p = subprocess.run([st.SIGIL] + list(args), cwd=cwd,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def read(path):
    with open(path) as f:
        return f.read()


def show_slots(d):
    """Label -> serial of the initialised tokens softhsm2-util lists."""
    env = dict(os.environ, SOFTHSM2_CONF=os.path.join(d, 'softhsm2.conf'))
    p = subprocess.run(['softhsm2-util', '--show-slots'], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=60)
    tokens, serial = {}, None
    for line in p.stdout.splitlines():
        m = re.match(r'\s*Serial number:\s*(\S*)', line)
        if m:
            serial = m.group(1)
        m = re.match(r'\s*Label:\s*(\S*)', line)
        if m and m.group(1):
            tokens[m.group(1)] = serial
    return p.returncode, tokens


def parse_conf(text):
    """The HSM entries of a generated sigil.conf (the generator's layout:
    one '- name:' line per HSM followed by its indented keys)."""
    hsms, cur = [], None
    for line in text.splitlines():
        m = re.match(r'  - name: (\S+)$', line)
        if m:
            cur = {'name': m.group(1)}
            hsms.append(cur)
            continue
        m = re.match(r'    ([a-z-]+): (.*)$', line)
        if m and cur is not None:
            cur[m.group(1)] = m.group(2).strip('"')
    return hsms


def snapshot(d):
    out = {}
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            p = os.path.join(root, n)
            st_ = os.lstat(p)
            out[os.path.relpath(p, d)] = (st_.st_mode, st_.st_size,
                                          st_.st_mtime_ns)
    return out


def check_hsm_testbed(d, n, sites, out, err, what):
    probs = []
    for f, m in (('pin', 0o600), ('so-pin', 0o600)):
        p = os.path.join(d, f)
        if not os.path.isfile(p):
            probs.append('%s missing' % f)
        elif mode(p) != m:
            probs.append('%s has mode %o' % (f, mode(p)))
    for f in ('softhsm2.conf', 'sigil.conf'):
        if not os.path.isfile(os.path.join(d, f)):
            probs.append('%s missing' % f)
    if probs:
        tap.ok(False, '%s: files' % what, '\n'.join(probs))
        return
    pin = read(os.path.join(d, 'pin')).strip()
    so_pin = read(os.path.join(d, 'so-pin')).strip()
    tap.ok(re.fullmatch(r'[0-9a-f]{32}', pin) and
           re.fullmatch(r'[0-9a-f]{32}', so_pin) and pin != so_pin,
           '%s: pin and so-pin (mode 0600) hold two random hex PINs' % what)
    tap.ok(pin not in out + err and so_pin not in out + err,
           '%s: no PIN in the output' % what)
    shconf = read(os.path.join(d, 'softhsm2.conf'))
    tap.ok(re.search(r'^directories\.tokendir = %s$' %
                     re.escape(os.path.join(d, 'tokens')), shconf, re.M) and
           re.search(r'^objectstore\.backend = file$', shconf, re.M) and
           re.search(r'^log\.level = ERROR$', shconf, re.M),
           '%s: softhsm2.conf: tokendir DIR/tokens, file backend, ERROR' %
           what, shconf)
    rc, tokens = show_slots(d)
    want = ['hsm%d' % (i + 1) for i in range(n)]
    tap.ok(rc == 0 and sorted(tokens) == sorted(want),
           '%s: softhsm2-util --show-slots lists %s' % (what, ', '.join(want)),
           'rc %d, tokens %s' % (rc, tokens))
    conf = read(os.path.join(d, 'sigil.conf'))
    hsms = parse_conf(conf)
    probs = []
    if [h['name'] for h in hsms] != want:
        probs.append('HSMs %s' % [h['name'] for h in hsms])
    for i, h in enumerate(hsms):
        site = 'site%d' % (i % sites + 1)
        uri = 'pkcs11:token=%s;serial=%s' % (h['name'],
                                              tokens.get(h['name']))
        if h.get('site') != site:
            probs.append('%s: site %s, expected %s' % (h['name'],
                                                       h.get('site'), site))
        if h.get('token') != uri:
            probs.append('%s: token %s, expected %s' % (h['name'],
                                                        h.get('token'), uri))
        if h.get('module') != MODULE or h.get('pin-file') != 'pin':
            probs.append('%s: module %s, pin-file %s' % (
                h['name'], h.get('module'), h.get('pin-file')))
        if not re.search(r'^  %s +%s +%s +%s$' % (h['name'], site, h['name'],
                                                  tokens.get(h['name'])),
                         out, re.M):
            probs.append('%s: no summary line' % h['name'])
    if not re.search(r'^database: keys\.db$', conf, re.M):
        probs.append('no "database: keys.db"')
    if re.search(r'^zones:', conf, re.M) or 'pin:' in conf:
        probs.append('zones or a PIN in sigil.conf')
    tap.ok(not probs, '%s: sigil.conf and the summary: %d HSMs, sites '
           'round-robin over %d, token URIs with the serials of the tokens' %
           (what, n, sites), '\n'.join(probs) + '\n' + conf + out)
    tap.ok('export SOFTHSM2_CONF=%s/softhsm2.conf' % d in out and
           'Configuration: %s/sigil.conf' % d in out,
           '%s: the summary says how to use it' % what, out)


# 1. defaults
d = os.path.join(tmp, 'default')
rc, out, err = run('testbed', d)
tap.ok(rc == 0, 'defaults: exit 0', 'rc %d\n%s%s' % (rc, out, err))
check_hsm_testbed(d, 3, 2, out, err, 'defaults')

# 2. other shapes
d = os.path.join(tmp, 'four')
rc, out, err = run('testbed', '--hsms', '4', '--sites', '2', d)
tap.ok(rc == 0, '--hsms 4 --sites 2: exit 0', 'rc %d\n%s%s' % (rc, out, err))
check_hsm_testbed(d, 4, 2, out, err, '--hsms 4 --sites 2')

d = os.path.join(tmp, 'one')
rc, out, err = run('testbed', '--hsms', '1', d)
tap.ok(rc == 0, '--hsms 1: exit 0', 'rc %d\n%s%s' % (rc, out, err))
check_hsm_testbed(d, 1, 1, out, err, '--hsms 1')

rc, out, err = run('testbed', '--hsms', '2', 'rel', cwd=tmp)
tap.ok(rc == 0, 'relative DIR: exit 0', 'rc %d\n%s%s' % (rc, out, err))
check_hsm_testbed(os.path.realpath(os.path.join(tmp, 'rel')), 2, 2, out, err,
                  'relative DIR')

d = os.path.join(tmp, 'empty')
os.mkdir(d)
rc, out, err = run('testbed', d)
tap.ok(rc == 0, 'existing empty DIR: exit 0', 'rc %d\n%s%s' % (rc, out, err))
check_hsm_testbed(d, 3, 2, out, err, 'existing empty DIR')

# 3. --soft
d = os.path.join(tmp, 'soft')
rc, out, err = run('testbed', '--soft', d)
tap.ok(rc == 0, '--soft: exit 0', 'rc %d\n%s%s' % (rc, out, err))
conf = read(os.path.join(d, 'sigil.conf')) if rc == 0 else ''
tap.ok(re.search(r'^keystores:\n  - name: soft\n    directory: keys$', conf,
                 re.M) and re.search(r'^database: keys\.db$', conf, re.M) and
       not re.search(r'^(hsms|zones):', conf, re.M),
       '--soft: sigil.conf has the key store soft in keys, keys.db, no HSM',
       conf)
k = os.path.join(d, 'keys')
tap.ok(os.path.isdir(k) and mode(k) == 0o700 and
       sorted(os.listdir(d)) == ['keys', 'sigil.conf'],
       '--soft: DIR/keys with mode 0700, no tokens, PINs or softhsm2.conf',
       str(os.listdir(d)) if os.path.isdir(d) else 'no DIR')
tap.ok('Configuration: %s/sigil.conf' % d in out and 'SOFTHSM2_CONF' not in out,
       '--soft: the summary says how to use it', out)

# 4. refusals
d = os.path.join(tmp, 'busy')
os.mkdir(d)
with open(os.path.join(d, 'keep'), 'w') as f:
    f.write('mine\n')
before = snapshot(d)
rc, out, err = run('testbed', d)
tap.ok(rc == 2 and snapshot(d) == before and
       read(os.path.join(d, 'keep')) == 'mine\n' and 'not empty' in err,
       'non-empty DIR: exit 2, says why, nothing changed',
       'rc %d\n%s' % (rc, err))

f = os.path.join(tmp, 'afile')
with open(f, 'w') as fh:
    fh.write('x\n')
rc, out, err = run('testbed', f)
tap.ok(rc == 2 and read(f) == 'x\n', 'DIR is a file: exit 2, file unchanged',
       'rc %d\n%s' % (rc, err))

for args, what in ((['--hsms', '0'], '--hsms 0'),
                   (['--hsms', '17'], '--hsms 17'),
                   (['--hsms', 'abc'], '--hsms abc'),
                   (['--hsms', '-1'], '--hsms -1'),
                   (['--hsms', '3x'], '--hsms 3x'),
                   (['--sites', '0'], '--sites 0'),
                   (['--hsms', '2', '--sites', '3'], 'more sites than HSMs'),
                   (['--sites', '4'], '--sites 4 with the default 3 HSMs'),
                   (['--soft', '--hsms', '2'], '--soft with --hsms'),
                   (['--bogus'], 'an unknown option')):
    d = os.path.join(tmp, 'refused')
    rc, out, err = run('testbed', *(args + [d]))
    tap.ok(rc == 2 and not os.path.exists(d) and err.strip() != '',
           '%s: exit 2 with a message, DIR not created' % what,
           'rc %d\n%s' % (rc, err))
rc, out, err = run('testbed')
tap.ok(rc == 2, 'no DIR: exit 2', 'rc %d\n%s' % (rc, err))
rc, out, err = run('testbed', os.path.join(tmp, 'x1'),
                   os.path.join(tmp, 'x2'))
tap.ok(rc == 2 and not os.path.exists(os.path.join(tmp, 'x1')),
       'two DIRs: exit 2', 'rc %d\n%s' % (rc, err))

# 5. failure in the middle
d = os.path.join(tmp, 'broken')
rc, out, err = run('testbed', '--module', '/nonexistent', d)
tap.ok(rc == 3 and not os.path.exists(d) and '/nonexistent' in err,
       '--module /nonexistent: exit 3, names the module, new DIR removed',
       'rc %d, exists %s\n%s' % (rc, os.path.exists(d), err))
d = os.path.join(tmp, 'broken-empty')
os.mkdir(d)
rc, out, err = run('testbed', '--module', '/nonexistent', d)
tap.ok(rc == 3 and os.path.isdir(d) and os.listdir(d) == [],
       '--module /nonexistent in an existing empty DIR: exit 3, DIR left '
       'empty', 'rc %d, %s\n%s' % (rc, os.listdir(d), err))

# 6. help
rc, out, err = run('help', 'testbed')
tap.ok(rc == 0 and out.startswith('Usage: sigil testbed'),
       'sigil help testbed prints the usage', out + err)
rc2, out2, err2 = run('testbed', '--help')
tap.ok(rc2 == 0 and out2 == out, 'sigil testbed --help prints the same',
       out2 + err2)
rc, out, err = run('--help')
tap.ok(rc == 0 and re.search(r'^  testbed ', out, re.M),
       'sigil --help lists testbed', out)

shutil.rmtree(tmp, ignore_errors=True)
tap.done()
