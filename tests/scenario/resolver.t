#!/usr/bin/env python3
# Zones signed by sigil, served by knotd, through a validating unbound.
#
# On a 3-HSM test bed, sigil makes a KSK and a ZSK for tld. and for
# signed.tld.  The child signed.tld. is signed by sigil (NSEC3, no
# opt-out); unsigned.tld. stays unsigned; the parent tld. holds ordinary
# names, the secure delegation signed.tld. (with the DS `sigil keys ds`
# prints), the insecure delegation unsigned.tld. (NS and glue, no DS)
# and three other insecure delegations.  One knotd (no signing of its
# own) serves the three zones on 127.0.0.1; an unbound on 127.0.0.1,
# with only the DS of sigil's tld. KSK as trust anchor, reaches them
# through one stub-zone each (the chain is still parent DS -> child
# DNSKEY).  Every knotd and unbound is fresh for each case, so no cache
# carries over.
#
#  1. Parent signed with NSEC3 opt-out:
#     - www.unsigned.tld. A: NOERROR, the answer, no AD; unbound logs that
#       the NSEC3s of the referral proved no DS (insecure, not bogus);
#     - www.signed.tld. A: NOERROR, AD; signed.tld. DS: AD;
#     - tld. SOA, www.tld. A: AD; www.tld. TXT: NODATA with AD;
#     - nonexistent.tld. A: NXDOMAIN *without* AD: the next closer name
#       is covered by an opt-out NSEC3, so an unsigned delegation may
#       exist there (RFC 5155 section 9.2; unbound logs "nc has optout"
#       and calls the answer insecure, not bogus).  With opt-out no
#       NXDOMAIN in the parent can be secure, whoever signs;
#     - nx.signed.tld. A: NXDOMAIN with AD (the child has no opt-out);
#     - no validation failure in unbound's log.
#  2. Parent signed with NSEC3 without opt-out, and 3. with NSEC: the
#     same, and nonexistent.tld. A is NXDOMAIN with AD.
#  4. Negative controls, so that the test can fail: the opt-out parent
#     signed with the DS digest of signed.tld. altered, then the
#     signature of www.tld. A corrupted (one base64 character): www.tld. A
#     and www.signed.tld. A are SERVFAIL, and unbound logs the validation
#     failures; tld. SOA keeps its AD, www.unsigned.tld. A still resolves.
#
# Fails (does not skip) when softhsm2-util, SoftHSM2's module, knotd,
# unbound or dig is missing.
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'tools'))
import sigiltest as st  # noqa: E402

tap = st.Tap()
st.require_hsm_tools(tap, 'softhsm2-util', 'knotd', 'unbound', 'dig')

T0 = time.time()
tmp = tempfile.mkdtemp(prefix='sigil-resolver-')
procs = []          # every daemon started, stopped in the finally clause

CHILD = """$ORIGIN signed.tld.
$TTL 300
@    IN SOA ns1.signed.tld. hostmaster.signed.tld. 1 3600 600 86400 300
@    IN NS  ns1.signed.tld.
ns1  IN A   127.0.0.1
www  IN A   192.0.2.20
www  IN TXT "signed child"
"""

UNSIGNED = """$ORIGIN unsigned.tld.
$TTL 300
@    IN SOA ns1.unsigned.tld. hostmaster.unsigned.tld. 1 3600 600 86400 300
@    IN NS  ns1.unsigned.tld.
ns1  IN A   127.0.0.1
www  IN A   192.0.2.30
"""

PARENT = """$ORIGIN tld.
$TTL 300
@            IN SOA ns1.tld. hostmaster.tld. 1 3600 600 86400 300
@            IN NS  ns1.tld.
ns1          IN A   127.0.0.1
www          IN A   192.0.2.1
mail         IN MX  10 www.tld.
unsigned     IN NS  ns1.unsigned.tld.
ns1.unsigned IN A   127.0.0.1
signed       IN NS  ns1.signed.tld.
ns1.signed   IN A   127.0.0.1
other1       IN NS  ns.example.net.
other2       IN NS  ns.example.net.
other3       IN NS  ns1.other3.tld.
ns1.other3   IN A   192.0.2.99
"""


def run(*args):
    p = subprocess.run([st.SIGIL] + list(args) + ['-c', CONF],
                       env=ENV, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)
    return path


def read(path):
    with open(path, errors='replace') as f:
        return f.read()


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(('127.0.0.1', 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(('127.0.0.1', port))
            return port
        except OSError:
            pass
        finally:
            t.close()
            u.close()
    tap.bail('no free port on 127.0.0.1')


class Answer:
    def __init__(self, text):
        self.text = text
        m = re.search(r'status: (\w+)', text)
        self.status = m.group(1) if m else None
        m = re.search(r';; flags: ([a-z ]*);', text)
        self.flags = set(m.group(1).split()) if m else set()
        self.answer = []
        section = None
        for line in text.splitlines():
            if line.startswith(';; ') and line.endswith(' SECTION:'):
                section = line[3:-9]
                continue
            if section == 'ANSWER' and line.strip() and \
                    not line.startswith(';'):
                self.answer.append(line.split())

    @property
    def ad(self):
        return 'ad' in self.flags

    def rdata(self, rtype):
        return [' '.join(f[4:]) for f in self.answer if len(f) > 4 and
                f[3] == rtype]

    def __str__(self):
        return self.text


def dig(port, name, rtype, rd=True, wait=6):
    cmd = ['dig', '@127.0.0.1', '-p', str(port), '+dnssec', '+time=%d' % wait,
           '+tries=1', '+norec' if not rd else '+rec', name, rtype]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=wait + 10)
    return Answer(p.stdout)


def start(cmd, log):
    f = open(log, 'ab')
    p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, cwd=tmp)
    f.close()
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p in procs:
        procs.remove(p)


def wait_for(p, check, timeout=15):
    """Polls check() until it is true (True), p dies or timeout seconds
    pass (False)."""
    end = time.time() + timeout
    while time.time() < end:
        if p.poll() is not None:
            return False
        if check():
            return True
        time.sleep(0.1)
    return False


def start_knotd(d, zones):
    """zones: [(name, file)].  Returns (process, port)."""
    port = free_port()
    run_dir = os.path.join(d, 'knot')
    os.makedirs(run_dir, exist_ok=True)
    conf = ['server:',
            '    rundir: "%s"' % run_dir,
            '    listen: 127.0.0.1@%d' % port,
            '    udp-workers: 1',
            '    tcp-workers: 1',
            '    background-workers: 1',
            'log:',
            '  - target: stderr',
            '    any: info',
            'database:',
            '    storage: "%s"' % run_dir,
            'template:',
            '  - id: default',
            '    storage: "%s"' % d,
            '    dnssec-signing: off',
            '    zonefile-sync: -1',
            '    zonefile-load: whole',
            '    journal-content: none',
            'zone:']
    for name, path in zones:
        conf += ['  - domain: %s' % name, '    file: "%s"' % path]
    cf = write(os.path.join(d, 'knot.conf'), '\n'.join(conf) + '\n')
    log = os.path.join(d, 'knotd.log')
    p = start(['knotd', '-c', cf], log)
    serials = {}
    for name, path in zones:
        m = re.search(r'IN\s+SOA\s+\S+\s+\S+\s+(\d+)', read(path))
        serials[name] = m.group(1) if m else None

    def ready():
        for name in serials:
            a = dig(port, name, 'SOA', rd=False, wait=1)
            got = a.rdata('SOA')
            if a.status != 'NOERROR' or not got or \
                    got[0].split()[2] != serials[name]:
                return False
        return True
    if not wait_for(p, ready):
        tap.bail('knotd does not serve the zones on port %d:\n%s' %
                 (port, read(log)[-3000:]))
    return p, port


def start_unbound(d, auth_port, anchor):
    port = free_port()
    log = os.path.join(d, 'unbound.log')
    conf = ['server:',
            '    interface: 127.0.0.1',
            '    port: %d' % port,
            '    do-ip6: no',
            '    so-reuseport: no',
            '    num-threads: 1',
            '    do-not-query-localhost: no',
            '    chroot: ""',
            '    username: ""',
            '    directory: "%s"' % d,
            '    pidfile: "%s"' % os.path.join(d, 'unbound.pid'),
            '    logfile: "%s"' % log,
            '    use-syslog: no',
            '    verbosity: 4',
            '    val-log-level: 2',
            '    module-config: "validator iterator"',
            '    harden-dnssec-stripped: yes',
            '    trust-anchor: "%s"' % anchor,
            '    target-fetch-policy: "0 0 0 0 0"',
            '    qname-minimisation: no']
    for zone in ('tld.', 'signed.tld.', 'unsigned.tld.'):
        conf += ['stub-zone:', '    name: "%s"' % zone,
                 '    stub-addr: 127.0.0.1@%d' % auth_port]
    conf += ['remote-control:', '    control-enable: no']
    cf = write(os.path.join(d, 'unbound.conf'), '\n'.join(conf) + '\n')
    out = os.path.join(d, 'unbound.out')
    p = start(['unbound', '-d', '-c', cf], out)

    def ready():
        # localhost. is answered by unbound itself: nothing is cached.
        a = dig(port, 'localhost.', 'A', wait=1)
        return a.status == 'NOERROR' and a.rdata('A') == ['127.0.0.1']
    if not wait_for(p, ready):
        tap.bail('unbound does not answer on port %d:\n%s%s' %
                 (port, read(out)[-3000:],
                  read(log)[-3000:] if os.path.exists(log) else ''))
    return p, port, log


class Log:
    """unbound's log, read from where the last query left it."""

    def __init__(self, path):
        self.path = path
        self.pos = 0

    def new(self):
        with open(self.path, 'rb') as f:
            f.seek(self.pos)
            data = f.read()
        self.pos += len(data)
        return data.decode(errors='replace')

    def all(self):
        with open(self.path, 'rb') as f:
            return f.read().decode(errors='replace')


def log_lines(text, *words):
    """The lines of an unbound log naming one of words, records left out
    (the log also prints whole messages)."""
    out = []
    for line in text.splitlines():
        if re.match(r'^\[\d+\] unbound', line) and \
                any(w in line for w in words):
            out.append(line)
    return out


FAIL_WORDS = ('validation failure', 'bogus', 'BOGUS', 'sec_status_bogus')


def setup_case(name, parent_file):
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    for n, f in (('tld.', parent_file), ('signed.tld.', child_signed),
                 ('unsigned.tld.', unsigned_zone)):
        shutil.copy(f, os.path.join(d, n + 'zone'))
    kp, kport = start_knotd(d, [(n, os.path.join(d, n + 'zone'))
                                for n in ('tld.', 'signed.tld.',
                                          'unsigned.tld.')])
    up, uport, ulog = start_unbound(d, kport, anchor)
    return d, kp, up, uport, Log(ulog)


def q(uport, log, name, rtype):
    a = dig(uport, name, rtype)
    return a, log.new()


def why(a, text):
    lines = log_lines(text, 'validation failure', 'sec_status', 'proof',
                      'proved', 'INSECURE', 'optout', 'DS match', 'No DS',
                      'crypto', 'verify rrset', 'verify result', 'bogus')
    return '%s\nunbound log:\n%s' % (a, '\n'.join(lines[-40:]))


def common(case, uport, log, nxdomain_ad):
    """The queries of cases 1 to 3."""
    a, t = q(uport, log, 'www.unsigned.tld.', 'A')
    tap.ok(a.status == 'NOERROR' and a.rdata('A') == ['192.0.2.30'] and
           not a.ad, '%s: www.unsigned.tld. A: NOERROR, the answer, no AD'
           % case, why(a, t))
    tap.ok('Verified that unsigned response is INSECURE' in t and
           not log_lines(t, *FAIL_WORDS),
           '%s: unsigned.tld.: unbound proves the delegation insecure '
           '(not bogus)' % case, why(a, t))
    a, t = q(uport, log, 'www.signed.tld.', 'A')
    tap.ok(a.status == 'NOERROR' and a.rdata('A') == ['192.0.2.20'] and
           a.ad, '%s: www.signed.tld. A: NOERROR, AD' % case, why(a, t))
    a, t = q(uport, log, 'www.signed.tld.', 'TXT')
    tap.ok(a.status == 'NOERROR' and a.rdata('TXT') == ['"signed child"'] and
           a.ad, '%s: www.signed.tld. TXT: AD' % case, why(a, t))
    a, t = q(uport, log, 'signed.tld.', 'DS')
    tap.ok(a.status == 'NOERROR' and len(a.rdata('DS')) == 1 and a.ad,
           '%s: signed.tld. DS: AD' % case, why(a, t))
    a, t = q(uport, log, 'tld.', 'SOA')
    tap.ok(a.status == 'NOERROR' and len(a.rdata('SOA')) == 1 and a.ad,
           '%s: tld. SOA: AD' % case, why(a, t))
    a, t = q(uport, log, 'www.tld.', 'A')
    tap.ok(a.status == 'NOERROR' and a.rdata('A') == ['192.0.2.1'] and
           a.ad, '%s: www.tld. A: AD' % case, why(a, t))
    a, t = q(uport, log, 'www.tld.', 'TXT')
    tap.ok(a.status == 'NOERROR' and not a.answer and a.ad,
           '%s: www.tld. TXT: NODATA, AD' % case, why(a, t))
    a, t = q(uport, log, 'nonexistent.tld.', 'A')
    if nxdomain_ad:
        tap.ok(a.status == 'NXDOMAIN' and a.ad,
               '%s: nonexistent.tld. A: NXDOMAIN, AD' % case, why(a, t))
    else:
        tap.ok(a.status == 'NXDOMAIN' and not a.ad and
               'nc has optout' in t and
               'validate(nxdomain): sec_status_insecure' in t,
               '%s: nonexistent.tld. A: NXDOMAIN, no AD: next closer '
               'covered by opt-out (insecure, not bogus)' % case, why(a, t))
    a, t = q(uport, log, 'nx.signed.tld.', 'A')
    tap.ok(a.status == 'NXDOMAIN' and a.ad,
           '%s: nx.signed.tld. A: NXDOMAIN, AD' % case, why(a, t))
    bad = log_lines(log.all(), *FAIL_WORDS)
    tap.ok(not bad, '%s: no validation failure in unbound\'s log' % case,
           '\n'.join(bad[:20]))


def corrupt_sig(text, owner, rtype):
    """Flips one base64 character in the middle of the signature of the
    RRSIG covering owner/rtype.  Returns (text, old line, new line)."""
    lines = text.split('\n')
    for i, line in enumerate(lines):
        f = line.split()
        if len(f) > 5 and f[0] == owner and f[3] == 'RRSIG' and \
                f[4] == rtype:
            sig = f[-1]
            k = len(sig) // 4
            c = 'B' if sig[k] == 'A' else 'A'
            f[-1] = sig[:k] + c + sig[k + 1:]
            lines[i] = ' '.join(f)
            return '\n'.join(lines), line, lines[i]
    return text, None, None


try:
    tb = st.make_testbed(tap, os.path.join(tmp, 'tb'))
    CONF = os.path.join(tb, 'sigil.conf')
    ENV = dict(os.environ, SOFTHSM2_CONF=os.path.join(tb, 'softhsm2.conf'))
    rc, out, err = run('hsm', 'enroll')
    if rc != 0:
        tap.bail('sigil hsm enroll failed: %s%s' % (out, err))
    for zone in ('tld.', 'signed.tld.'):
        st.generate_keys(tap, CONF, zone, env=ENV)
    rc, ds, err = run('keys', 'ds', 'signed.tld.')
    tap.ok(rc == 0 and len(ds.splitlines()) == 1, 'keys ds signed.tld.',
           ds + err)
    rc, anchor, err = run('keys', 'ds', 'tld.')
    anchor = anchor.strip()
    tap.ok(rc == 0 and len(anchor.splitlines()) == 1 and
           anchor.startswith('tld. '), 'keys ds tld.: the trust anchor',
           anchor + err)

    child_signed = os.path.join(tmp, 'signed.tld.signed')
    rc, out, err = run('sign', write(os.path.join(tmp, 'signed.tld.zone'),
                                     CHILD), '-o', child_signed)
    tap.ok(rc == 0, 'sign signed.tld. (NSEC3)', 'rc=%d\n%s%s' %
           (rc, out, err))
    if rc != 0:
        tap.bail('cannot sign the child')
    unsigned_zone = write(os.path.join(tmp, 'unsigned.tld.zone'), UNSIGNED)
    parent_in = write(os.path.join(tmp, 'tld.zone'), PARENT + ds)

    parents = {}
    for case, opts in (('opt-out', ['--nsec3', '--opt-out']),
                       ('nsec3', ['--nsec3']),
                       ('nsec', ['--nsec'])):
        path = os.path.join(tmp, 'tld.%s.signed' % case)
        rc, out, err = run('sign', parent_in, '-o', path, *opts)
        tap.ok(rc == 0, 'sign tld. %s' % ' '.join(opts),
               'rc=%d\n%s%s' % (rc, out, err))
        if rc != 0:
            tap.bail('cannot sign the parent')
        parents[case] = path
    text = read(parents['opt-out'])
    n3 = [l.split() for l in text.splitlines()
          if len(l.split()) > 4 and l.split()[3] == 'NSEC3']
    tap.ok(n3 and all(f[5] == '1' for f in n3) and
           not any('unsigned.tld.' in l and 'RRSIG' in l.split()[3:4]
                   for l in text.splitlines()),
           'opt-out parent: every NSEC3 has the opt-out flag, '
           'the insecure delegation is unsigned', text)

    # 1-3.
    for case in ('opt-out', 'nsec3', 'nsec'):
        d, kp, up, uport, log = setup_case(case, parents[case])
        try:
            common(case, uport, log, nxdomain_ad=(case != 'opt-out'))
        finally:
            stop(up)
            stop(kp)

    # 4. Negative controls.
    m = re.match(r'^(\S+ \d+ IN DS \d+ \d+ \d+ )(\S+)\s*$', ds.strip())
    if not m:
        tap.bail('cannot parse the DS: %s' % ds)
    dig_hex = m.group(2)
    bad_ds = m.group(1) + dig_hex[:-1] + \
        ('0' if dig_hex[-1] != '0' else '1') + '\n'
    bad_in = write(os.path.join(tmp, 'tld.bad.zone'), PARENT + bad_ds)
    bad_signed = os.path.join(tmp, 'tld.bad.signed')
    rc, out, err = run('sign', bad_in, '-o', bad_signed, '--nsec3',
                       '--opt-out')
    tap.ok(rc == 0, 'sign tld. with a DS that matches no key of the child',
           'rc=%d\n%s%s' % (rc, out, err))
    text, old, new = corrupt_sig(read(bad_signed), 'www.tld.', 'A')
    tap.ok(old and new and old != new,
           'corrupt the RRSIG of www.tld. A', '%s\n%s' % (old, new))
    write(bad_signed, text)
    d, kp, up, uport, log = setup_case('bad', bad_signed)
    try:
        a, t = q(uport, log, 'www.tld.', 'A')
        tap.ok(a.status == 'SERVFAIL' and not a.rdata('A'),
               'corrupt RRSIG: www.tld. A: SERVFAIL', why(a, t))
        fails = log_lines(t, 'validation failure')
        tap.ok(any('www.tld. A' in l for l in fails),
               'corrupt RRSIG: unbound logs the validation failure of '
               'www.tld. A', why(a, t))
        a, t = q(uport, log, 'www.signed.tld.', 'A')
        tap.ok(a.status == 'SERVFAIL' and not a.rdata('A'),
               'wrong DS: www.signed.tld. A: SERVFAIL', why(a, t))
        fails = log_lines(t, 'validation failure')
        tap.ok(any('signed.tld.' in l for l in fails),
               'wrong DS: unbound logs the validation failure of '
               'signed.tld.', why(a, t))
        a, t = q(uport, log, 'tld.', 'SOA')
        tap.ok(a.status == 'NOERROR' and a.ad,
               'corrupt zone: tld. SOA still AD', why(a, t))
        a, t = q(uport, log, 'www.unsigned.tld.', 'A')
        tap.ok(a.status == 'NOERROR' and a.rdata('A') == ['192.0.2.30'] and
               not a.ad, 'corrupt zone: www.unsigned.tld. A still '
               'resolves, no AD', why(a, t))
    finally:
        stop(up)
        stop(kp)
finally:
    for p in list(procs):
        stop(p)
    shutil.rmtree(tmp, ignore_errors=True)

tap.diag('run time %.1f s' % (time.time() - T0))
tap.done()
