"""Small DNS/DNSSEC helpers for the sigil test tools (mkzones, corrupt).

Standard library only.  Cryptography goes through the openssl(1) command
line tool; zone files are read and written through ldns-read-zone(1), which
prints one record per line and can print every RDATA in the RFC 3597
generic form, so this module only ever deals with RDATA in wire format.

This is test code: it favours being obviously right over being fast.
"""

import base64
import hashlib
import os
import re
import struct
import subprocess
import tempfile

# --------------------------------------------------------------------------
# RR types

TYPES = {
    'A': 1, 'NS': 2, 'MD': 3, 'MF': 4, 'CNAME': 5, 'SOA': 6, 'MB': 7,
    'MG': 8, 'MR': 9, 'NULL': 10, 'WKS': 11, 'PTR': 12, 'HINFO': 13,
    'MINFO': 14, 'MX': 15, 'TXT': 16, 'RP': 17, 'AFSDB': 18, 'RT': 21,
    'SIG': 24, 'KEY': 25, 'PX': 26, 'AAAA': 28, 'LOC': 29, 'NXT': 30,
    'SRV': 33, 'NAPTR': 35, 'KX': 36, 'CERT': 37, 'A6': 38, 'DNAME': 39,
    'DS': 43, 'SSHFP': 44, 'IPSECKEY': 45, 'RRSIG': 46, 'NSEC': 47,
    'DNSKEY': 48, 'DHCID': 49, 'NSEC3': 50, 'NSEC3PARAM': 51, 'TLSA': 52,
    'SMIMEA': 53, 'HIP': 55, 'CDS': 59, 'CDNSKEY': 60, 'OPENPGPKEY': 61,
    'CSYNC': 62, 'ZONEMD': 63, 'SVCB': 64, 'HTTPS': 65, 'SPF': 99,
    'CAA': 257,
}
TYPE_NAMES = {v: k for k, v in TYPES.items()}


def type_code(text):
    t = text.upper()
    if t in TYPES:
        return TYPES[t]
    m = re.fullmatch(r'TYPE(\d+)', t)
    if m:
        return int(m.group(1))
    raise ValueError('unknown RR type %r' % text)


def type_name(code):
    return TYPE_NAMES.get(code, 'TYPE%d' % code)


# --------------------------------------------------------------------------
# Names

def name_to_wire(text):
    """Presentation name (absolute, with escapes) to uncompressed wire."""
    if text == '.':
        return b'\x00'
    labels = []
    cur = bytearray()
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '\\':
            d = text[i + 1:i + 4]
            if len(d) == 3 and d.isdigit():
                cur.append(int(d))
                i += 4
            else:
                cur.append(ord(text[i + 1]))
                i += 2
            continue
        if c == '.':
            if not cur:
                raise ValueError('empty label in %r' % text)
            labels.append(bytes(cur))
            cur = bytearray()
            i += 1
            continue
        cur.extend(c.encode('latin-1'))
        i += 1
    if cur:
        raise ValueError('name is not absolute: %r' % text)
    out = bytearray()
    for lab in labels:
        if len(lab) > 63:
            raise ValueError('label too long in %r' % text)
        out.append(len(lab))
        out.extend(lab)
    out.append(0)
    if len(out) > 255:
        raise ValueError('name too long: %r' % text)
    return bytes(out)


def wire_labels(wire):
    """List of labels (bytes) of an uncompressed wire name, root excluded."""
    labels = []
    i = 0
    while wire[i] != 0:
        ln = wire[i]
        labels.append(wire[i + 1:i + 1 + ln])
        i += 1 + ln
    return labels


def labels_to_wire(labels):
    return b''.join(bytes([len(lab)]) + lab for lab in labels) + b'\x00'


def read_wire_name(buf, off):
    """Uncompressed name at buf[off:]; returns (wire, new offset)."""
    start = off
    while True:
        ln = buf[off]
        if ln & 0xC0:
            raise ValueError('compressed name in RDATA')
        off += 1 + ln
        if ln == 0:
            return bytes(buf[start:off]), off


def wire_lower(wire):
    """Lower-case ASCII letters of a wire name (label lengths are < 64,
    so they are never touched)."""
    return bytes(b + 32 if 65 <= b <= 90 else b for b in wire)


def wire_to_text(wire):
    labels = wire_labels(wire)
    if not labels:
        return '.'
    out = []
    for lab in labels:
        s = ''
        for b in lab:
            ch = chr(b)
            if ch in '.\\"();$@':
                s += '\\' + ch
            elif 33 <= b <= 126:
                s += ch
            else:
                s += '\\%03d' % b
        out.append(s)
    return '.'.join(out) + '.'


def canon_name(text):
    """Lower-case absolute presentation name, for comparisons."""
    return wire_to_text(wire_lower(name_to_wire(text)))


def name_label_count(text):
    """RRSIG Labels value for an owner name (leading '*' not counted)."""
    labels = wire_labels(name_to_wire(text))
    if labels and labels[0] == b'*':
        return len(labels) - 1
    return len(labels)


def is_subdomain(child, parent):
    c = wire_labels(wire_lower(name_to_wire(child)))
    p = wire_labels(wire_lower(name_to_wire(parent)))
    return len(c) >= len(p) and (not p or c[-len(p):] == p)


def canonical_key(text):
    """Sort key for RFC 4034 section 6.1 canonical name order."""
    labels = wire_labels(wire_lower(name_to_wire(text)))
    return list(reversed(labels))


# --------------------------------------------------------------------------
# RDATA canonical form (RFC 4034 6.2, as amended by RFC 6840 5.1)

def _names_layout(rtype):
    """Returns a list describing the RDATA: 'n' name, integer k = k fixed
    bytes, 's' one character-string; or None when the RDATA has no names
    that need lower-casing."""
    if rtype in (2, 3, 4, 5, 7, 8, 9, 12, 39):
        return ['n']
    if rtype in (14, 17):
        return ['n', 'n']
    if rtype == 6:
        return ['n', 'n', 20]
    if rtype in (15, 18, 21, 36):
        return [2, 'n']
    if rtype == 33:
        return [6, 'n']
    if rtype == 26:
        return [2, 'n', 'n']
    if rtype == 35:
        return [4, 's', 's', 's', 'n']
    return None


def canonical_rdata(rtype, rdata):
    layout = _names_layout(rtype)
    if layout is None:
        return bytes(rdata)
    out = bytearray()
    off = 0
    for item in layout:
        if item == 'n':
            w, off = read_wire_name(rdata, off)
            out += wire_lower(w)
        elif item == 's':
            ln = rdata[off]
            out += rdata[off:off + 1 + ln]
            off += 1 + ln
        else:
            out += rdata[off:off + item]
            off += item
    if off != len(rdata):
        raise ValueError('RDATA of type %s has trailing data' % type_name(rtype))
    return bytes(out)


# --------------------------------------------------------------------------
# Records and zone files

class Rec:
    """One record; owner as printed, key = canonical (lower-case) owner."""
    __slots__ = ('owner', 'key', 'ttl', 'cls', 'rtype', 'rdata')

    def __init__(self, owner, ttl, cls, rtype, rdata):
        self.owner = owner
        self.key = canon_name(owner)
        self.ttl = ttl
        self.cls = cls
        self.rtype = rtype
        self.rdata = bytes(rdata)

    def generic_line(self):
        return '%s\t%d\t%s\tTYPE%d\t\\# %d %s' % (
            self.owner, self.ttl, self.cls, self.rtype, len(self.rdata),
            self.rdata.hex())

    def copy(self):
        return Rec(self.owner, self.ttl, self.cls, self.rtype, self.rdata)


_GENERIC_RE = re.compile(
    r'^(\S+)\s+(\d+)\s+(\S+)\s+(TYPE\d+)\s+\\#\s+(\d+)\s*([0-9a-fA-F\s]*)$')


def run(cmd, **kw):
    """subprocess.run with text output; raises with stderr on failure."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       **kw)
    if p.returncode != 0:
        err = p.stderr
        if isinstance(err, bytes):
            err = err.decode('utf-8', 'replace')
        raise RuntimeError('%s failed (exit %d): %s' % (
            ' '.join(map(str, cmd)), p.returncode, err.strip()))
    return p


def read_zone(path):
    """Reads any zone file that ldns can parse; returns a list of Rec."""
    # "-U TYPE255": print every type except ANY (never present) in the
    # RFC 3597 generic form.
    p = run(['ldns-read-zone', '-U', 'TYPE255', path])
    recs = []
    for line in p.stdout.decode('utf-8', 'replace').splitlines():
        line = line.strip()
        if not line or line.startswith(';'):
            continue
        m = _GENERIC_RE.match(line)
        if not m:
            raise ValueError('unexpected ldns-read-zone line: %r' % line)
        owner, ttl, cls, tname, ln, hexd = m.groups()
        rdata = bytes.fromhex(re.sub(r'\s+', '', hexd))
        if len(rdata) != int(ln):
            raise ValueError('RDATA length mismatch in %r' % line)
        recs.append(Rec(owner, int(ttl), cls, type_code(tname), rdata))
    return recs


def write_zone(recs, path):
    """Writes records in presentation format, one per line (through
    ldns-read-zone, so every known type is printed in its usual form)."""
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix='.generic-', dir=d)
    try:
        with os.fdopen(fd, 'w') as f:
            for r in recs:
                f.write(r.generic_line() + '\n')
        p = run(['ldns-read-zone', tmp])
        with open(path, 'wb') as f:
            f.write(p.stdout)
    finally:
        os.unlink(tmp)


def write_zone_generic(recs, path):
    with open(path, 'w') as f:
        for r in recs:
            f.write(r.generic_line() + '\n')


# --------------------------------------------------------------------------
# RRSIG

class Rrsig:
    def __init__(self, covered, alg, labels, orig_ttl, expiration, inception,
                 key_tag, signer, signature):
        self.covered = covered
        self.alg = alg
        self.labels = labels
        self.orig_ttl = orig_ttl
        self.expiration = expiration
        self.inception = inception
        self.key_tag = key_tag
        self.signer = signer          # wire
        self.signature = signature

    @classmethod
    def parse(cls, rdata):
        covered, alg, labels, ottl, exp, inc, tag = struct.unpack(
            '!HBBIIIH', rdata[:18])
        signer, off = read_wire_name(rdata, 18)
        return cls(covered, alg, labels, ottl, exp, inc, tag, signer,
                   bytes(rdata[off:]))

    def header(self):
        return struct.pack('!HBBIIIH', self.covered, self.alg, self.labels,
                           self.orig_ttl, self.expiration, self.inception,
                           self.key_tag) + self.signer

    def rdata(self):
        return self.header() + self.signature


def signing_input(rrsig, rrset):
    """RFC 4034 3.1.8.1: RRSIG RDATA (no signature, canonical signer) then
    the RRset in canonical form and order."""
    hdr = struct.pack('!HBBIIIH', rrsig.covered, rrsig.alg, rrsig.labels,
                      rrsig.orig_ttl, rrsig.expiration, rrsig.inception,
                      rrsig.key_tag) + wire_lower(rrsig.signer)
    if not rrset:
        raise ValueError('empty RRset')
    owner_labels = wire_labels(wire_lower(name_to_wire(rrset[0].owner)))
    if rrsig.labels < len(owner_labels):
        owner_labels = [b'*'] + owner_labels[len(owner_labels) - rrsig.labels:]
    owner = labels_to_wire(owner_labels)
    rdatas = sorted(set(canonical_rdata(r.rtype, r.rdata) for r in rrset))
    out = bytearray(hdr)
    for rd in rdatas:
        out += owner
        out += struct.pack('!HHIH', rrset[0].rtype, 1, rrsig.orig_ttl, len(rd))
        out += rd
    return bytes(out)


# --------------------------------------------------------------------------
# DNSKEY

def dnskey_parse(rdata):
    flags, proto, alg = struct.unpack('!HBB', rdata[:4])
    return flags, proto, alg, bytes(rdata[4:])


def key_tag(rdata):
    if rdata[3] == 1:
        return struct.unpack('!H', rdata[-3:-1])[0]
    ac = 0
    for i, b in enumerate(rdata):
        ac += b if i & 1 else b << 8
    ac += (ac >> 16) & 0xFFFF
    return ac & 0xFFFF


def ds_digest(owner, dnskey_rdata, digest_type):
    data = wire_lower(name_to_wire(owner)) + dnskey_rdata
    if digest_type == 1:
        return hashlib.sha1(data).digest()
    if digest_type == 2:
        return hashlib.sha256(data).digest()
    if digest_type == 4:
        return hashlib.sha384(data).digest()
    raise ValueError('unsupported DS digest type %d' % digest_type)


# --------------------------------------------------------------------------
# NSEC / NSEC3

def bitmap_decode(buf):
    types = []
    off = 0
    while off < len(buf):
        win, ln = buf[off], buf[off + 1]
        bits = buf[off + 2:off + 2 + ln]
        for i, byte in enumerate(bits):
            for j in range(8):
                if byte & (0x80 >> j):
                    types.append(win * 256 + i * 8 + j)
        off += 2 + ln
    return types


def bitmap_encode(types):
    out = bytearray()
    types = sorted(set(types))
    windows = {}
    for t in types:
        windows.setdefault(t >> 8, []).append(t & 0xFF)
    for win in sorted(windows):
        lows = windows[win]
        ln = max(lows) // 8 + 1
        bits = bytearray(ln)
        for low in lows:
            bits[low // 8] |= 0x80 >> (low % 8)
        out += bytes([win, ln]) + bits
    return bytes(out)


class Nsec3:
    def __init__(self, alg, flags, iterations, salt, next_hash, types):
        self.alg = alg
        self.flags = flags
        self.iterations = iterations
        self.salt = salt
        self.next_hash = next_hash
        self.types = types

    @classmethod
    def parse(cls, rdata):
        alg, flags, it, sl = struct.unpack('!BBHB', rdata[:5])
        salt = bytes(rdata[5:5 + sl])
        off = 5 + sl
        hl = rdata[off]
        nh = bytes(rdata[off + 1:off + 1 + hl])
        off += 1 + hl
        return cls(alg, flags, it, salt, nh, bitmap_decode(rdata[off:]))

    def rdata(self):
        return (struct.pack('!BBHB', self.alg, self.flags, self.iterations,
                            len(self.salt)) + self.salt +
                bytes([len(self.next_hash)]) + self.next_hash +
                bitmap_encode(self.types))


def nsec3param_parse(rdata):
    alg, flags, it, sl = struct.unpack('!BBHB', rdata[:5])
    return alg, flags, it, bytes(rdata[5:5 + sl])


def nsec3_hash(name, salt, iterations):
    x = hashlib.sha1(wire_lower(name_to_wire(name)) + salt).digest()
    for _ in range(iterations):
        x = hashlib.sha1(x + salt).digest()
    return x


def b32hex(raw):
    return base64.b32hexencode(raw).decode().rstrip('=').lower()


def b32hex_decode(text):
    t = text.upper()
    t += '=' * (-len(t) % 8)
    return base64.b32hexdecode(t)


def nsec_parse(rdata):
    nxt, off = read_wire_name(rdata, 0)
    return nxt, bitmap_decode(rdata[off:])


def nsec_rdata(next_wire, types):
    return bytes(next_wire) + bitmap_encode(types)


# --------------------------------------------------------------------------
# DER / PEM helpers (just enough for the key formats used here)

def _der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(b)]) + b


def der(tag, content):
    return bytes([tag]) + _der_len(len(content)) + content


def der_int(v):
    if isinstance(v, (bytes, bytearray)):
        v = int.from_bytes(v, 'big')
    b = v.to_bytes(max(1, (v.bit_length() + 8) // 8), 'big')
    # minimal two's complement encoding of a non-negative integer
    while len(b) > 1 and b[0] == 0 and b[1] < 0x80:
        b = b[1:]
    return der(0x02, b)


def der_seq(*items):
    return der(0x30, b''.join(items))


def der_oid(dotted):
    parts = [int(x) for x in dotted.split('.')]
    out = bytearray([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7F]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(enc))
    return der(0x06, bytes(out))


def der_octets(b):
    return der(0x04, b)


def der_bits(b):
    return der(0x03, b'\x00' + b)


DER_NULL = b'\x05\x00'

OID_RSA = '1.2.840.113549.1.1.1'
OID_EC = '1.2.840.10045.2.1'
OID_P256 = '1.2.840.10045.3.1.7'
OID_P384 = '1.3.132.0.34'
OID_ED25519 = '1.3.101.112'
OID_ED448 = '1.3.101.113'


def der_read(buf, off=0):
    """One TLV at buf[off:]; returns (tag, content, next offset)."""
    tag = buf[off]
    ln = buf[off + 1]
    off += 2
    if ln & 0x80:
        nb = ln & 0x7F
        ln = int.from_bytes(buf[off:off + nb], 'big')
        off += nb
    return tag, buf[off:off + ln], off + ln


def pem(label, derbytes):
    b64 = base64.b64encode(derbytes).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return '-----BEGIN %s-----\n%s\n-----END %s-----\n' % (
        label, '\n'.join(lines), label)


ALG_NAMES = {8: 'RSASHA256', 10: 'RSASHA512', 13: 'ECDSAP256SHA256',
             14: 'ECDSAP384SHA384', 15: 'ED25519', 16: 'ED448'}


def dnskey_spki_der(alg, pub):
    """SubjectPublicKeyInfo DER for a DNSKEY public key field."""
    if alg in (5, 7, 8, 10):
        if pub[0] == 0:
            elen = struct.unpack('!H', pub[1:3])[0]
            off = 3
        else:
            elen = pub[0]
            off = 1
        e = pub[off:off + elen]
        n = pub[off + elen:]
        return der_seq(der_seq(der_oid(OID_RSA), DER_NULL),
                       der_bits(der_seq(der_int(n), der_int(e))))
    if alg in (13, 14):
        curve = OID_P256 if alg == 13 else OID_P384
        return der_seq(der_seq(der_oid(OID_EC), der_oid(curve)),
                       der_bits(b'\x04' + pub))
    if alg in (15, 16):
        oid = OID_ED25519 if alg == 15 else OID_ED448
        return der_seq(der_seq(der_oid(oid)), der_bits(pub))
    raise ValueError('unsupported algorithm %d' % alg)


def parse_bind_private(path):
    fields = {}
    with open(path) as f:
        for line in f:
            if ':' in line:
                k, v = line.split(':', 1)
                fields[k.strip()] = v.strip()
    return fields


def bind_private_to_pem(private_path, alg, pub):
    """BIND/ldns Private-key-format v1.x to a PEM private key.  pub is the
    DNSKEY public key field (needed for the EC public point)."""
    f = parse_bind_private(private_path)

    def b(k):
        return base64.b64decode(f[k])
    if alg in (5, 7, 8, 10):
        body = der_seq(der_int(0), der_int(b('Modulus')),
                       der_int(b('PublicExponent')),
                       der_int(b('PrivateExponent')), der_int(b('Prime1')),
                       der_int(b('Prime2')), der_int(b('Exponent1')),
                       der_int(b('Exponent2')), der_int(b('Coefficient')))
        return pem('RSA PRIVATE KEY', body)
    if alg in (13, 14):
        curve = OID_P256 if alg == 13 else OID_P384
        body = der_seq(der_int(1), der_octets(b('PrivateKey')),
                       der(0xA0, der_oid(curve)),
                       der(0xA1, der_bits(b'\x04' + pub)))
        return pem('EC PRIVATE KEY', body)
    if alg in (15, 16):
        oid = OID_ED25519 if alg == 15 else OID_ED448
        body = der_seq(der_int(0), der_seq(der_oid(oid)),
                       der_octets(der_octets(b('PrivateKey'))))
        return pem('PRIVATE KEY', body)
    raise ValueError('unsupported algorithm %d' % alg)


def pem_public_der(pem_path):
    p = run(['openssl', 'pkey', '-in', pem_path, '-pubout', '-outform', 'DER'])
    return p.stdout


def pem_matches_dnskey(pem_path, dnskey_rdata):
    _, _, alg, pub = dnskey_parse(dnskey_rdata)
    return pem_public_der(pem_path) == dnskey_spki_der(alg, pub)


# --------------------------------------------------------------------------
# Signing and verification through openssl(1)

_DIGEST = {5: '-sha1', 7: '-sha1', 8: '-sha256', 10: '-sha512',
           13: '-sha256', 14: '-sha384'}
_EC_SIZE = {13: 32, 14: 48}


def _ecdsa_der_to_raw(sig, size):
    tag, content, _ = der_read(sig)
    assert tag == 0x30
    t1, r, off = der_read(content)
    t2, s, _ = der_read(content, off)
    assert t1 == 2 and t2 == 2
    r = int.from_bytes(r, 'big')
    s = int.from_bytes(s, 'big')
    return r.to_bytes(size, 'big') + s.to_bytes(size, 'big')


def _ecdsa_raw_to_der(sig):
    h = len(sig) // 2
    return der_seq(der_int(sig[:h]), der_int(sig[h:]))


def sign(alg, pem_path, data):
    """Raw DNSSEC signature (RFC 3110 / 6605 / 8080 encoding) over data."""
    if alg in (5, 7, 8, 10, 13, 14):
        p = run(['openssl', 'dgst', _DIGEST[alg], '-sign', pem_path],
                input=data)
        sig = p.stdout
        if alg in (13, 14):
            sig = _ecdsa_der_to_raw(sig, _EC_SIZE[alg])
        return sig
    if alg in (15, 16):
        with tempfile.NamedTemporaryFile(prefix='sigin-') as f:
            f.write(data)
            f.flush()
            p = run(['openssl', 'pkeyutl', '-sign', '-rawin', '-inkey',
                     pem_path, '-in', f.name])
        return p.stdout
    raise ValueError('unsupported algorithm %d' % alg)


def verify(dnskey_rdata, data, sig):
    """True if sig over data verifies with the DNSKEY's public key."""
    _, _, alg, pub = dnskey_parse(dnskey_rdata)
    return verify_spki(dnskey_spki_der(alg, pub), alg, data, sig)


def verify_spki(spki, alg, data, sig):
    """True if sig over data verifies with the public key spki (DER)."""
    with tempfile.TemporaryDirectory(prefix='verify-') as d:
        kp = os.path.join(d, 'pub.pem')
        sp = os.path.join(d, 'sig')
        dp = os.path.join(d, 'data')
        with open(kp, 'w') as f:
            f.write(pem('PUBLIC KEY', spki))
        with open(dp, 'wb') as f:
            f.write(data)
        with open(sp, 'wb') as f:
            if alg in (13, 14):
                f.write(_ecdsa_raw_to_der(sig))
            else:
                f.write(sig)
        if alg in (15, 16):
            cmd = ['openssl', 'pkeyutl', '-verify', '-pubin', '-inkey', kp,
                   '-rawin', '-in', dp, '-sigfile', sp]
        else:
            cmd = ['openssl', 'dgst', _DIGEST[alg], '-verify', kp,
                   '-signature', sp, dp]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return p.returncode == 0


# --------------------------------------------------------------------------
# Time

def ts_to_str(t):
    import time
    return time.strftime('%Y%m%d%H%M%S', time.gmtime(t))
