#!/usr/bin/env python3
# The test-only fault-injecting PKCS#11 module (tests/fault/faultp11.c),
# in front of three SoftHSM2 tokens hsm1, hsm2, hsm3 in a temporary
# SoftHSM2 environment.
#
# The module and a test client (tests/fault/fault-client.c) are compiled
# here with -std=c11 -Wall -Wextra -Werror.  The client is run twice: once
# loading the module with dlopen() (the real module found by default,
# SIGIL_FAULT_MODULE unset), once through p11-kit's managed loading
# (p11_kit_module_load + p11_kit_module_initialize, as sigil's HSM layer
# does; SIGIL_FAULT_MODULE set).  One client process per run: the faults
# file (SIGIL_FAULT_CONF) is rewritten between commands, so every change,
# and the final clearing, takes effect without restarting the process.
#
#  1. No fault: the three tokens listed; a session, a login, an EC P-256
#     key pair, an HMAC key and a wrapped AES key on each; CKM_ECDSA over
#     a 32-byte digest verifies with OpenSSL against CKA_EC_POINT; the
#     multi-part C_SignUpdate/C_SignFinal HMAC matches OpenSSL's; the AES
#     key unwraps.
#  2. "hsm2 bad-signature": C_Sign and C_SignFinal on hsm2 succeed with
#     signatures that do not verify; hsm1 and hsm3 verify.
#  3. "hsm3 unreachable": hsm3 is left out of C_GetSlotList(TRUE), its
#     slot says no token, C_GetTokenInfo, C_GetMechanismList and
#     C_OpenSession return CKR_TOKEN_NOT_PRESENT, calls on its open
#     session CKR_DEVICE_REMOVED; hsm1 and hsm2 work (hsm2's fault is gone
#     with the file's old content).
#  4. "hsm1 fail-unwrap": C_UnwrapKey on hsm1 gives CKR_DEVICE_ERROR, for
#     a good unwrap and for nonsense arguments (the fault fires before
#     forwarding); hsm2 unwraps; hsm1 still signs.
#  5. "hsm2 slow 300": C_Sign and C_SignFinal on hsm2 take 300 ms or
#     more, and still verify; hsm1 is fast.
#  6. Comments, a wildcard and several lines: "* bad-signature" and
#     "hsm3 unreachable" together.
#  7. Threads: 2 threads per token, each with its own session, 50
#     signatures each, with "hsm2 bad-signature": every hsm1 and hsm3
#     signature verifies, no hsm2 signature does.
#  8. A line the module cannot parse: calls fail with CKR_GENERAL_ERROR
#     and stderr names the file and line.
#  9. The file emptied, then removed: everything works again, including
#     hsm3's session opened before it was made unreachable.  C_Finalize
#     succeeds.
#
# Fails (does not skip) when cc, softhsm2-util or SoftHSM2's module is
# missing.
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "1234"
SO_PIN = "87654321"
LABELS = ["hsm1", "hsm2", "hsm3"]

n = 0
failed = 0


def ok(cond, name, diag=None):
    global n, failed
    n += 1
    if cond:
        print(f"ok {n} - {name}")
    else:
        failed += 1
        print(f"not ok {n} - {name}")
        if diag is not None:
            for line in str(diag).splitlines():
                print(f"#   {line}")
    sys.stdout.flush()
    return cond


def bail(msg):
    print(f"not ok {n + 1} - {msg}")
    print(f"1..{n + 1}")
    sys.exit(1)


def run(cmd, env=None):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        bail(f"{' '.join(cmd)} failed: {p.stdout}{p.stderr}".strip())
    return p


class Client:
    def __init__(self, exe, module, mode, env, errpath):
        self.err = open(errpath, "w")
        self.p = subprocess.Popen([exe, module, mode, PIN], env=env,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err, text=True, bufsize=1)
        self.ready = self.p.stdout.readline().strip()

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()

    def close(self):
        self.p.stdin.write("quit\n")
        self.p.stdin.close()
        rest = self.p.stdout.read().strip().splitlines()
        rc = self.p.wait(timeout=30)
        self.err.close()
        return rc, rest


def verified(ans):
    return ans.startswith("CKR_OK verify=1")


def ms(ans):
    for w in ans.split():
        if w.startswith("ms="):
            return float(w[3:])
    return -1.0


def scenario(tmp, exe, module, mode, env, conf):
    def faults(text):
        # Atomic: a process never sees a half-written file.
        with open(conf + ".new", "w") as fh:
            fh.write(text)
        os.replace(conf + ".new", conf)

    if os.path.exists(conf):
        os.unlink(conf)
    errpath = os.path.join(tmp, f"client-{mode}.err")
    c = Client(exe, module, mode, env, errpath)
    m = f"[{mode}]"
    if not ok(sorted(c.ready.split()[1:]) == LABELS and c.ready.startswith("ready"),
              f"{m} client loads the fault module and sees hsm1 hsm2 hsm3",
              c.ready + "\n" + open(errpath).read()):
        c.p.kill()
        return

    # 1. No fault.
    setup = [(cmd, label, c.cmd(f"{cmd} {label}")) for label in LABELS
             for cmd in ("open", "keygen")]
    ok(all(a == "CKR_OK" for _, _, a in setup),
       f"{m} no fault: session, login and key generation on every token",
       "\n".join(f"{x} {l}: {a}" for x, l, a in setup))
    for label in LABELS:
        a, b = c.cmd(f"sign {label}"), c.cmd(f"signmp {label}")
        ok(verified(a) and verified(b),
           f"{m} no fault: {label} C_Sign verifies, C_SignFinal matches", f"{a}\n{b}")
    res = [c.cmd(f"unwrap {l}") for l in LABELS]
    ok(res == ["CKR_OK"] * 3, f"{m} no fault: C_UnwrapKey works on every token", res)

    # 2. bad-signature.
    faults("hsm2 bad-signature\n")
    a, b = c.cmd("sign hsm2"), c.cmd("signmp hsm2")
    ok(a.startswith("CKR_OK verify=0") and b.startswith("CKR_OK verify=0"),
       f"{m} hsm2 bad-signature: C_Sign and C_SignFinal succeed, do not verify",
       f"{a}\n{b}")
    res = [c.cmd(f"{x} {l}") for l in ("hsm1", "hsm3") for x in ("sign", "signmp")]
    ok(all(verified(r) for r in res), f"{m} hsm2 bad-signature: hsm1, hsm3 verify", res)

    # 3. unreachable.
    faults("hsm3 unreachable\n")
    res = c.cmd("slots")
    ok(sorted(res.split()[1:]) == ["hsm1", "hsm2"],
       f"{m} hsm3 unreachable: C_GetSlotList(TRUE) leaves it out", res)
    res = {x: c.cmd(f"{x} hsm3") for x in ("tokeninfo", "slotinfo", "mechs", "opentry",
                                           "sign", "signmp", "sessinfo", "unwrap")}
    ok(res == {"tokeninfo": "CKR_TOKEN_NOT_PRESENT",
               "slotinfo": "CKR_OK present=0",
               "mechs": "CKR_TOKEN_NOT_PRESENT",
               "opentry": "CKR_TOKEN_NOT_PRESENT",
               "sign": "C_SignInit CKR_DEVICE_REMOVED",
               "signmp": "C_SignInit CKR_DEVICE_REMOVED",
               "sessinfo": "CKR_DEVICE_REMOVED",
               "unwrap": "CKR_DEVICE_REMOVED"},
       f"{m} hsm3 unreachable: slot/token calls not present, session calls removed", res)
    res = [c.cmd(f"{x} {l}") for l in ("hsm1", "hsm2") for x in ("sign", "signmp")]
    res += [c.cmd(f"{x} {l}") for l in ("hsm1", "hsm2") for x in ("tokeninfo", "opentry")]
    ok(all(verified(r) for r in res[:4]) and res[4:] == ["CKR_OK"] * 4,
       f"{m} hsm3 unreachable: hsm1, hsm2 work (hsm2 no longer bad)", res)

    # 4. fail-unwrap.
    faults("hsm1 fail-unwrap\n")
    res = [c.cmd("unwrap hsm1"), c.cmd("unwrapbogus hsm1")]
    ok(res == ["CKR_DEVICE_ERROR"] * 2,
       f"{m} hsm1 fail-unwrap: C_UnwrapKey gives CKR_DEVICE_ERROR, before forwarding", res)
    res = [c.cmd("unwrap hsm2"), c.cmd("unwrapbogus hsm2"), c.cmd("sign hsm1")]
    ok(res[0] == "CKR_OK" and res[1] not in ("CKR_OK", "CKR_DEVICE_ERROR")
       and verified(res[2]),
       f"{m} hsm1 fail-unwrap: hsm2 unwraps, hsm1 signs", res)

    # 5. slow.
    faults("hsm2 slow 300\n")
    res = [c.cmd("sign hsm2"), c.cmd("signmp hsm2"), c.cmd("sign hsm1")]
    ok(verified(res[0]) and verified(res[1]) and ms(res[0]) >= 299 and ms(res[1]) >= 299,
       f"{m} hsm2 slow 300: C_Sign and C_SignFinal take >= 300 ms and verify", res)
    ok(verified(res[2]) and 0 <= ms(res[2]) < 250, f"{m} hsm2 slow 300: hsm1 is fast", res)

    # 6. Several lines, comments, wildcard.
    faults("# two faults at once\n\n*   bad-signature\nhsm3\tunreachable   # down\n")
    res = [c.cmd("sign hsm1"), c.cmd("sign hsm2"), c.cmd("sign hsm3"), c.cmd("signmp hsm1")]
    ok(res[0].startswith("CKR_OK verify=0") and res[1].startswith("CKR_OK verify=0")
       and res[2] == "C_SignInit CKR_DEVICE_REMOVED" and res[3].startswith("CKR_OK verify=0"),
       f"{m} '* bad-signature' and 'hsm3 unreachable' together", res)

    # 7. Threads.
    faults("hsm2 bad-signature\n")
    res = c.cmd("threads 2 hsm1 hsm2 hsm3")
    ok(sorted(res.split()) == ["hsm1=100/100", "hsm2=0/100", "hsm3=100/100"],
       f"{m} 6 threads with their own sessions: only hsm2's signatures are bad", res)

    # 8. A bad line.
    faults("hsm2 explode\n")
    res = [c.cmd("sign hsm1"), c.cmd("tokeninfo hsm1")]
    c.err.flush()
    err = open(errpath).read()
    ok(res == ["C_SignInit CKR_GENERAL_ERROR", "CKR_GENERAL_ERROR"]
       and f"{conf}:1: cannot parse" in err,
       f"{m} a line that cannot be parsed: CKR_GENERAL_ERROR, stderr names file and line",
       f"{res}\n{err}")

    # 9. Cleared: empty file, then no file.
    faults("")
    res = [c.cmd(f"sign {l}") for l in LABELS]
    ok(all(verified(r) for r in res), f"{m} empty fault file: every token verifies", res)
    os.unlink(conf)
    res = c.cmd("slots")
    ok(sorted(res.split()[1:]) == LABELS, f"{m} fault file removed: three tokens again", res)
    res = {x: c.cmd(f"{x} hsm3") for x in ("tokeninfo", "sessinfo", "opentry", "unwrap")}
    res["unwrap hsm1"] = c.cmd("unwrap hsm1")
    ok(all(v == "CKR_OK" for v in res.values()),
       f"{m} fault file removed: hsm3's old session works, hsm1 unwraps", res)
    res = [c.cmd(f"{x} {l}") for l in LABELS for x in ("sign", "signmp")]
    ok(all(verified(r) for r in res),
       f"{m} fault file removed: every token's signatures verify", res)
    rc, rest = c.close()
    ok(rc == 0 and rest == ["quit", "finalize CKR_OK"], f"{m} C_Finalize succeeds",
       f"rc={rc} {rest}")


def main():
    t0 = time.monotonic()
    for tool in ("cc", "softhsm2-util", "pkg-config"):
        if shutil.which(tool) is None:
            bail(f"{tool} is required for this test")
    if not os.path.exists(SOFTHSM):
        bail(f"{SOFTHSM} (SoftHSM2) is required for this test")

    with tempfile.TemporaryDirectory(prefix="sigil-fault.") as tmp:
        tokens = os.path.join(tmp, "tokens")
        os.mkdir(tokens)
        hsmconf = os.path.join(tmp, "softhsm2.conf")
        with open(hsmconf, "w") as fh:
            fh.write(f"directories.tokendir = {tokens}\n"
                     "objectstore.backend = file\nlog.level = ERROR\n")
        env = dict(os.environ, SOFTHSM2_CONF=hsmconf)
        env.pop("SIGIL_FAULT_MODULE", None)
        for label in LABELS:
            run(["softhsm2-util", "--init-token", "--free", "--label", label,
                 "--so-pin", SO_PIN, "--pin", PIN], env)

        cflags = run(["pkg-config", "--cflags", "p11-kit-1"]).stdout.split()
        libs = run(["pkg-config", "--libs", "p11-kit-1"]).stdout.split()
        warn = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-g", "-pthread"]
        module = os.path.join(tmp, "libsigil-fault.so")
        exe = os.path.join(tmp, "fault-client")
        p = subprocess.run(["cc", "-shared", "-fPIC", *warn, *cflags, "-o", module,
                            os.path.join(ROOT, "tests/fault/faultp11.c")],
                           capture_output=True, text=True)
        ok(p.returncode == 0, "faultp11.c compiles with -Wall -Wextra -Werror", p.stderr)
        q = subprocess.run(["cc", *warn, *cflags, "-o", exe,
                            os.path.join(ROOT, "tests/fault/fault-client.c"),
                            *libs, "-lcrypto", "-ldl"], capture_output=True, text=True)
        ok(q.returncode == 0, "fault-client.c compiles", q.stderr)
        if p.returncode != 0 or q.returncode != 0:
            print(f"1..{n}")
            sys.exit(1)
        nm = subprocess.run(["nm", "-D", "--defined-only", module],
                            capture_output=True, text=True)
        if nm.returncode == 0:
            syms = [l.split()[-1] for l in nm.stdout.splitlines() if l.strip()]
            ok(syms == ["C_GetFunctionList"], "the module exports only C_GetFunctionList",
               nm.stdout)

        conf = os.path.join(tmp, "faults")
        env["SIGIL_FAULT_CONF"] = conf
        scenario(tmp, exe, module, "raw", env, conf)
        scenario(tmp, exe, module, "p11kit", dict(env, SIGIL_FAULT_MODULE=SOFTHSM), conf)

    print(f"# {time.monotonic() - t0:.1f} s")
    print(f"1..{n}")
    sys.exit(1 if failed else 0)


main()
