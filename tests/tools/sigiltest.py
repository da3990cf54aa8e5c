"""Shared helpers for the Python scenario tests (tests/scenario/*.t).

TAP output, locating the sigil binary and the peer-signed corpus, running
`sigil verify` and matching its JSON findings.

Environment:
  SIGIL              sigil binary (default: ./build/sigil of the checkout)
  SIGIL_TEST_CORPUS  corpus directory (default: build/test-corpus of the
                     checkout; built or reused by tests/tools/mkzones --cache)
  SIGIL_TEST_JOBS    parallel jobs inside one test file (default 2)
  SIGIL_TEST_KEEP    directory to keep every generated zone in (default:
                     only the zones of failed cases are kept, under
                     build/test-failures)
"""

import concurrent.futures
import json
import os
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

SIGIL = os.environ.get('SIGIL') or os.path.join(ROOT, 'build', 'sigil')
CORPUS = (os.environ.get('SIGIL_TEST_CORPUS') or
          os.path.join(ROOT, 'build', 'test-corpus'))
JOBS = int(os.environ.get('SIGIL_TEST_JOBS') or 2)
FAILDIR = os.path.join(ROOT, 'build', 'test-failures')


# --------------------------------------------------------------------------
# TAP

class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.lock = threading.Lock()

    def out(self, s):
        sys.stdout.write(s + '\n')
        sys.stdout.flush()

    def diag(self, msg):
        for line in str(msg).splitlines() or ['']:
            self.out('# ' + line)

    def ok(self, cond, name, diag=None):
        self.n += 1
        name = name.replace('#', '\\#')
        self.out('%sok %d - %s' % ('' if cond else 'not ', self.n, name))
        if not cond:
            self.failed += 1
            if diag:
                self.diag(diag)
        return cond

    def skip(self, name, reason):
        self.n += 1
        self.out('ok %d - %s # SKIP %s' % (self.n, name.replace('#', '\\#'),
                                           reason))

    def skip_all(self, reason):
        self.out('1..0 # SKIP %s' % reason)
        sys.exit(0)

    def bail(self, reason):
        self.out('Bail out! %s' % reason)
        sys.exit(255)

    def done(self):
        self.out('1..%d' % self.n)
        sys.exit(1 if self.failed else 0)


# --------------------------------------------------------------------------
# Corpus

class Corpus:
    def __init__(self, path):
        self.path = path
        self.zones = self._list('zones.txt')
        self.unsupported = [l.split('\t', 1) for l in
                            self._list('unsupported.txt')]
        self.failed = [l.split('\t', 1) for l in self._list('failed.txt')]

    def _list(self, name):
        try:
            with open(os.path.join(self.path, name)) as f:
                return [l.rstrip('\n') for l in f if l.strip()]
        except OSError:
            return []

    def zdir(self, zid):
        return os.path.join(self.path, 'zones', zid)

    def meta(self, zid):
        with open(os.path.join(self.zdir(zid), 'meta.json')) as f:
            return json.load(f)

    def signed(self, zid):
        return os.path.join(self.zdir(zid), 'signed.zone')


def ensure_corpus(tap):
    """Build (or reuse) the corpus; returns a Corpus.  Reports the
    combinations a signer could not produce as TAP diagnostics."""
    cmd = [sys.executable, os.path.join(HERE, 'mkzones'), '--cache', '-q',
           CORPUS]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    c = Corpus(CORPUS)
    if p.returncode != 0 and not c.zones:
        tap.bail('mkzones failed: %s' % p.stderr.decode(errors='replace'))
    for zid, reason in c.unsupported:
        tap.diag('not in the corpus (signer cannot do it): %s: %s' %
                 (zid, reason))
    return c


# --------------------------------------------------------------------------
# sigil

class Result:
    def __init__(self, cmd, rc, stdout, stderr):
        self.cmd = cmd
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.json = None
        self.json_error = None
        if stdout.strip().startswith('{'):
            try:
                self.json = json.loads(stdout)
            except ValueError as e:
                self.json_error = str(e)

    @property
    def findings(self):
        return (self.json or {}).get('findings') or []

    def errors(self):
        return [f for f in self.findings if f.get('severity') == 'error']

    def describe(self, limit=15):
        lines = ['command: %s' % ' '.join(self.cmd), 'exit: %s' % self.rc]
        if self.json is not None:
            lines.append('valid: %s  summary: %s' % (
                self.json.get('valid'),
                json.dumps(self.json.get('summary'), sort_keys=True)))
            for f in self.findings[:limit]:
                lines.append('  finding: %s' % fmt_finding(f))
            if len(self.findings) > limit:
                lines.append('  ... %d more findings' %
                             (len(self.findings) - limit))
        elif self.json_error:
            lines.append('bad JSON: %s' % self.json_error)
        if self.stderr.strip():
            lines.append('stderr: ' + self.stderr.strip()[:2000])
        return '\n'.join(lines)


def fmt_finding(f):
    return '%s %s %s %s%s %s' % (
        f.get('severity'), f.get('code'), f.get('owner'), f.get('type'),
        (' key_tag=%s' % f['key_tag']) if 'key_tag' in f else '',
        f.get('message', ''))


def sigil_verify(zone_file, *opts, json_out=True, time=None, timeout=300,
                 cwd=None, env=None, sigil=None):
    """Runs `sigil verify` on zone_file (in directory cwd if given).
    env: variables added to the environment; sigil: another binary."""
    cmd = [sigil or SIGIL, 'verify']
    if json_out:
        cmd += ['--json', '--max-findings', '0']
    if time is not None:
        cmd += ['--time', str(time)]
    cmd += list(opts) + [zone_file]
    try:
        full_env = None
        if env:
            full_env = dict(os.environ)
            full_env.update(env)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, cwd=cwd, env=full_env)
        return Result(cmd, p.returncode, p.stdout.decode(errors='replace'),
                      p.stderr.decode(errors='replace'))
    except subprocess.TimeoutExpired:
        return Result(cmd, 'timeout', '', 'timed out after %d s' % timeout)
    except OSError as e:
        return Result(cmd, 'not run', '', 'cannot run %s: %s' % (cmd[0], e))


def canon(name):
    name = (name or '').lower()
    return name if name.endswith('.') else name + '.'


def finding_matches(f, exp, severity='error'):
    """exp: dict from corruptlib.parse_expected."""
    if f.get('severity') != severity or f.get('code') != exp['code']:
        return False
    owners = {canon(exp['owner'])}
    if 'alt_owner' in exp:
        owners.add(canon(exp['alt_owner']))
    if canon(f.get('owner')) not in owners:
        return False
    if exp['type'] != '-' and str(f.get('type', '')).upper() != exp['type']:
        return False
    if 'key_tag' in exp and str(f.get('key_tag')) != exp['key_tag']:
        return False
    return True


def run_parallel(fn, items, jobs=JOBS):
    """fn over items with a thread pool; yields the results in the order
    of items, each as soon as it and those before it are done."""
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as ex:
        for r in ex.map(fn, items):
            yield r


def have_sigil():
    return os.path.isfile(SIGIL) and os.access(SIGIL, os.X_OK)


# --------------------------------------------------------------------------
# HSM scenarios: SoftHSM2 test beds and the fault module

SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so'


def require_hsm_tools(tap, *tools):
    """Bails out (a failure, not a skip) unless sigil, SoftHSM2 and the
    named programs are installed."""
    import shutil
    if not have_sigil():
        tap.bail('no sigil binary at %s (set SIGIL)' % SIGIL)
    for tool in tools:
        if shutil.which(tool) is None:
            tap.bail('%s is required for this test' % tool)
    if not os.path.isfile(SOFTHSM_MODULE):
        tap.bail('%s (SoftHSM2) is required for this test' % SOFTHSM_MODULE)


def make_testbed(tap, d, *args):
    """`sigil testbed D ARGS`; bails out when it fails.  Returns D."""
    p = subprocess.run([SIGIL, 'testbed', *args, d], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=120)
    if p.returncode != 0:
        tap.bail('sigil testbed %s failed: %s' % (d, p.stderr))
    return d


def gen_zone(tap, path, origin='tld.', delegations=2000):
    """bench/gen-tld-zone into path (deterministic); bails out when it
    fails.  Returns path."""
    with open(path, 'w') as f:
        p = subprocess.run([os.path.join(ROOT, 'bench', 'gen-tld-zone'),
                            '--origin', origin, '--delegations',
                            str(delegations)], stdout=f,
                           stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode != 0:
        tap.bail('gen-tld-zone failed: %s' % p.stderr)
    return path


def generate_keys(tap, conf, origin, env=None, roles=('ksk', 'zsk')):
    """`sigil keys generate ORIGIN --role R -c CONF` for each role (env:
    the environment, e.g. SOFTHSM2_CONF); bails out when one fails."""
    for role in roles:
        p = subprocess.run([SIGIL, 'keys', 'generate', origin, '--role',
                            role, '-c', conf], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, timeout=300)
        if p.returncode != 0:
            tap.bail('sigil keys generate %s --role %s failed: %s%s' %
                     (origin, role, p.stdout, p.stderr))


def build_fault_module(tmp):
    """Compiles the test-only fault module (tests/fault/faultp11.c) into
    tmp.  Returns (path, compiler errors); the errors are '' on success."""
    flags = subprocess.run(['pkg-config', '--cflags', 'p11-kit-1'],
                           stdout=subprocess.PIPE,
                           universal_newlines=True).stdout.split()
    path = os.path.join(tmp, 'libsigil-fault.so')
    p = subprocess.run(['cc', '-shared', '-fPIC', '-std=c11', '-Wall',
                        '-Wextra', '-Werror', '-O1', '-pthread', *flags,
                        '-o', path,
                        os.path.join(ROOT, 'tests/fault/faultp11.c')],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    return path, (p.stderr or 'cc failed') if p.returncode != 0 else ''


def build_de_agent(tmp):
    """Compiles the faulty agent of the .de outage (tests/tools/de-agent.c)
    into tmp.  Returns (path, compiler errors); the errors are '' on
    success."""
    path = os.path.join(tmp, 'de-agent')
    p = subprocess.run([os.environ.get('CC', 'cc'), '-std=c11', '-Wall',
                        '-Werror', '-I/usr/include/p11-kit-1', '-o', path,
                        os.path.join(ROOT, 'tests/tools/de-agent.c'), '-ldl'],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    return path, (p.stderr or 'cc failed') if p.returncode != 0 else ''


def fault_testbed(d, fault):
    """For the test bed d: d/fault.conf, its configuration with the fault
    module (path fault) in front of SoftHSM2, and the environment that
    makes the module forward to SoftHSM2 and read its faults from
    d/faults.  Returns (faults file, environment)."""
    faults = os.path.join(d, 'faults')
    env = dict(os.environ, SOFTHSM2_CONF=os.path.join(d, 'softhsm2.conf'),
               SIGIL_FAULT_CONF=faults, SIGIL_FAULT_MODULE=SOFTHSM_MODULE)
    with open(os.path.join(d, 'sigil.conf')) as f:
        text = f.read()
    with open(os.path.join(d, 'fault.conf'), 'w') as f:
        f.write(text.replace('"%s"' % SOFTHSM_MODULE, '"%s"' % fault))
    return faults, env
