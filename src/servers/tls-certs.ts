/**
 * TLS material for the bundled servers: a local CA and a loopback server certificate,
 * generated once (EC P-256, SHA-256) and cached on disk so clients can be told which CA
 * file to trust, or user-supplied PEM files (--cert/--key/--ca).
 *
 * The cache is shared by every mqbench process on the machine: files are written to a
 * temporary name and renamed (a reader never sees half a file), generation happens under
 * a lock directory (two processes starting at once agree on one CA), and a cached set is
 * only used when it holds together (leaf issued by the CA, key matching the leaf), so a
 * reader racing a regeneration retries under the lock instead of serving a mismatched set.
 */
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as x509 from '@peculiar/x509';

// @peculiar/x509 types its provider with the DOM Crypto type; Node's webcrypto implements it.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** PEM strings and the files they came from. */
export interface TlsMaterial {
  /** Server certificate (PEM). */
  cert: string;
  /** Server private key (PEM, PKCS#8). */
  key: string;
  /** Certificate clients must trust (PEM). */
  ca: string;
  certPath: string;
  keyPath: string;
  caPath: string;
}

const CA_FILE = 'ca.pem';
const CERT_FILE = 'server-cert.pem';
const KEY_FILE = 'server-key.pem';
const DAY_MS = 86_400_000;
/** A cached leaf expiring sooner than this is replaced. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Validity of generated certificates: about ten years. */
const VALIDITY_MS = 3650 * DAY_MS;
/** notBefore lies this far in the past, so clocks a little behind still accept the certificate. */
const BACKDATE_MS = 5 * 60_000;
/** A lock older than this was left by a process that died while generating. */
const LOCK_STALE_MS = 30_000;
/** Longest wait for another process to finish generating. */
const LOCK_WAIT_MS = 60_000;
const LOCK_POLL_MS = 25;

const EC_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** `$MQBENCH_CERT_DIR`, else `$XDG_CACHE_HOME/mqbench/certs`, else `~/.cache/mqbench/certs`. */
export function defaultCertDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env['MQBENCH_CERT_DIR'];
  if (own !== undefined && own !== '') return own;
  const xdg = env['XDG_CACHE_HOME'];
  if (xdg !== undefined && xdg !== '') return join(xdg, 'mqbench', 'certs');
  const home = env['HOME'];
  return join(home !== undefined && home !== '' ? home : homedir(), '.cache', 'mqbench', 'certs');
}

/** The bundled CA and server certificate from `dir`, generated there on first use. */
export async function bundledTlsMaterial(dir: string = defaultCertDir()): Promise<TlsMaterial> {
  const cached = await readCached(dir);
  if (cached.state === 'ok') return cached.material;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new Error(`cannot create the certificate directory ${dir}: ${codeOf(err)}; set MQBENCH_CERT_DIR to a writable directory or pass --cert and --key`, { cause: err });
  }
  return withLock(dir, async () => {
    // Another process may have finished generating while this one waited for the lock.
    const again = await readCached(dir);
    if (again.state === 'ok') return again.material;
    const material = { ...(await generate()), ...pathsIn(dir) };
    // Key and certificate first, CA last: a reader that sees the new CA sees a matching set.
    await writeAtomic(material.keyPath, material.key, 0o600);
    await writeAtomic(material.certPath, material.cert, 0o644);
    await writeAtomic(material.caPath, material.ca, 0o644);
    return material;
  });
}

/**
 * User-supplied PEM files. Without `ca`, the certificate itself is what clients must trust
 * (right for a self-signed certificate). A missing or unreadable file, or a key that does
 * not belong to the certificate, is an Error naming the file and the flag.
 */
export async function loadTlsMaterial(paths: { cert: string; key: string; ca?: string }): Promise<TlsMaterial> {
  const cert = await readPem(paths.cert, '--cert', 'CERTIFICATE');
  const key = await readPem(paths.key, '--key', 'PRIVATE KEY');
  const ca = paths.ca === undefined ? cert : await readPem(paths.ca, '--ca', 'CERTIFICATE');
  let matches: boolean;
  try {
    matches = new X509Certificate(cert).checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new Error(`--cert ${paths.cert} / --key ${paths.key}: cannot be parsed (${errorText(err)}); give a PEM certificate and its PEM private key`, { cause: err });
  }
  if (!matches) throw new Error(`--key ${paths.key} is not the private key of --cert ${paths.cert}; give the key the certificate was issued for`);
  return { cert, key, ca, certPath: paths.cert, keyPath: paths.key, caPath: paths.ca ?? paths.cert };
}

type Cached = { state: 'ok'; material: TlsMaterial } | { state: 'missing' } | { state: 'unusable'; reason: string };

function pathsIn(dir: string): Pick<TlsMaterial, 'certPath' | 'keyPath' | 'caPath'> {
  return { caPath: join(dir, CA_FILE), certPath: join(dir, CERT_FILE), keyPath: join(dir, KEY_FILE) };
}

async function readCached(dir: string): Promise<Cached> {
  const paths = pathsIn(dir);
  const texts: string[] = [];
  for (const path of [paths.caPath, paths.certPath, paths.keyPath]) {
    try {
      texts.push(await readFile(path, 'utf8'));
    } catch (err) {
      if (codeOf(err) === 'ENOENT') return { state: 'missing' };
      throw new Error(`cannot read ${path}: ${codeOf(err)}; fix its permissions, delete it to regenerate, or set MQBENCH_CERT_DIR`, { cause: err });
    }
  }
  const [ca = '', cert = '', key = ''] = texts;
  const problem = cacheProblem(ca, cert, key, Date.now());
  return problem === null ? { state: 'ok', material: { ca, cert, key, ...paths } } : { state: 'unusable', reason: problem };
}

/** Why a cached set cannot be used (then it is regenerated), or null when it can. */
function cacheProblem(ca: string, cert: string, key: string, now: number): string | null {
  try {
    const caCert = new X509Certificate(ca);
    const leaf = new X509Certificate(cert);
    if (!leaf.checkIssued(caCert) || !leaf.verify(caCert.publicKey)) return 'the server certificate was not issued by the cached CA';
    if (!leaf.checkPrivateKey(createPrivateKey(key))) return 'the key does not match the server certificate';
    if (Date.parse(leaf.validTo) - now < RENEW_BEFORE_MS) return `the server certificate expires ${leaf.validTo}`;
    return null;
  } catch (err) {
    return `unparseable PEM: ${errorText(err)}`;
  }
}

async function generate(): Promise<Pick<TlsMaterial, 'cert' | 'key' | 'ca'>> {
  const subtle = webcrypto.subtle;
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const notAfter = new Date(notBefore.getTime() + VALIDITY_MS);
  const caKeys = (await subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=mqbench local CA, O=mqbench',
    notBefore,
    notAfter,
    signingAlgorithm: EC_ALG,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leafKeys = (await subtle.generateKey(EC_ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=localhost, O=mqbench',
    issuer: caCert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: EC_ALG,
    publicKey: leafKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const pkcs8 = await subtle.exportKey('pkcs8', leafKeys.privateKey);
  return { ca: caCert.toString('pem') + '\n', cert: leaf.toString('pem') + '\n', key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n' };
}

/** 16 random bytes as positive hex (a leading 1 bit would read as a negative serial). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString('hex');
}

async function withLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = join(dir, '.generate.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if (codeOf(err) !== 'EEXIST') throw new Error(`cannot lock ${dir} to generate certificates: ${codeOf(err)}; set MQBENCH_CERT_DIR to a writable directory`, { cause: err });
    }
    if (await isStale(lock)) {
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another process has held ${lock} for over ${LOCK_WAIT_MS / 1000}s; delete it if no mqbench is running`);
    await sleep(LOCK_POLL_MS);
  }
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

async function isStale(lock: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(lock)).mtimeMs > LOCK_STALE_MS;
  } catch (err) {
    // Released between mkdir and stat: not stale, just try again.
    if (codeOf(err) === 'ENOENT') return false;
    throw err;
  }
}

/** Writes to a unique temporary name, then renames over the target (atomic on one file system). */
async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(`cannot write ${path}: ${codeOf(err)}; set MQBENCH_CERT_DIR to a writable directory or pass --cert and --key`, { cause: err });
  }
}

async function readPem(path: string, flag: string, label: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`${flag} ${path}: cannot read the file (${codeOf(err)}); give a readable PEM file`, { cause: err });
  }
  if (!text.includes(`${label}-----`)) throw new Error(`${flag} ${path}: no PEM ${label} block (-----BEGIN ...${label}-----) in the file`);
  return text;
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : errorText(err);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
