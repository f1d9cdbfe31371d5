/**
 * X.509 certificates as this package needs them: the exact DER bytes (thumbprints and `x5c` must cover the
 * original encoding), the raw issuer and subject names (to order a chain without trusting any algorithm),
 * and, for RSA certificates, forge's parsed view (public key, validity, subject).
 *
 * @module
 */
import forge from 'node-forge'
import { certificateError } from './errors.ts'

/** One certificate from the input. */
export interface CertificateEntry {
  /** The DER bytes as a binary string. */
  readonly der: string
  /** DER of the subject Name, for chain ordering. */
  readonly subjectDer: string
  /** DER of the issuer Name, for chain ordering. */
  readonly issuerDer: string
  /** forge's parsed certificate when its key is RSA; `undefined` for other key types (forge reads only RSA). */
  readonly parsed: forge.pki.Certificate | undefined
}

const RSA_ENCRYPTION_OID = '1.2.840.113549.1.1.1'

function damaged(what: string, cause?: unknown): never {
  throw certificateError(
    `a certificate is damaged (${what}: truncated or altered). Export the certificate again.`,
    cause,
  )
}

/**
 * Reads a certificate from its DER bytes (binary string). Any damage is reported as damage: the DER is parsed
 * strictly (strict, all bytes: a lenient parse turns a certificate with bytes cut out into a "valid" one with garbage fields), and a
 * certificate forge cannot read is called non-RSA only when its key algorithm says so.
 */
export function certificateFromDer(der: string): CertificateEntry {
  let asn1: forge.asn1.Asn1
  try {
    asn1 = forge.asn1.fromDer(der, true)
  } catch (error) {
    damaged('not valid DER', error)
  }
  const names = namesOf(asn1)
  if (names === undefined) damaged('not an X.509 structure')
  let parsed: forge.pki.Certificate | undefined
  try {
    parsed = forge.pki.certificateFromAsn1(asn1)
  } catch (error) {
    const algorithm = publicKeyAlgorithmOf(asn1)
    // forge reads RSA keys only: an RSA certificate it cannot read is damaged, not of another key type.
    if (algorithm === undefined || algorithm === RSA_ENCRYPTION_OID) damaged('unreadable X.509 fields', error)
    parsed = undefined
  }
  return { der, ...names, parsed }
}

/** A certificate forge already parsed (PKCS#12 bags): re-encode from forge's captured ASN.1. */
export function certificateFromForge(cert: forge.pki.Certificate): CertificateEntry {
  return certificateFromDer(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes())
}

/** A certificate forge could not parse (non-RSA) but handed back as ASN.1 (PKCS#12 bags). */
export function certificateFromAsn1(asn1: forge.asn1.Asn1): CertificateEntry {
  return certificateFromDer(forge.asn1.toDer(asn1).getBytes())
}

/** The TBSCertificate fields, after the optional version: serial, signature, issuer, validity, subject, key. */
function tbsFields(certificate: forge.asn1.Asn1): forge.asn1.Asn1[] | undefined {
  const tbs = Array.isArray(certificate.value) ? certificate.value[0] : undefined
  if (tbs === undefined || !Array.isArray(tbs.value)) return undefined
  const fields = tbs.value
  return fields[0]?.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC ? fields.slice(1) : fields
}

function namesOf(certificate: forge.asn1.Asn1): { subjectDer: string; issuerDer: string } | undefined {
  const fields = tbsFields(certificate)
  const issuer = fields?.[2]
  const subject = fields?.[4]
  if (issuer === undefined || subject === undefined) return undefined
  if (issuer.type !== forge.asn1.Type.SEQUENCE || subject.type !== forge.asn1.Type.SEQUENCE) return undefined
  return { issuerDer: forge.asn1.toDer(issuer).getBytes(), subjectDer: forge.asn1.toDer(subject).getBytes() }
}

/** The OID of the subject public key's algorithm (`1.2.840.113549.1.1.1` for RSA), if the structure has one. */
function publicKeyAlgorithmOf(certificate: forge.asn1.Asn1): string | undefined {
  const keyInfo = tbsFields(certificate)?.[5]
  const algorithm = Array.isArray(keyInfo?.value) ? keyInfo.value[0] : undefined
  const oid = Array.isArray(algorithm?.value) ? algorithm.value[0] : undefined
  if (oid?.type !== forge.asn1.Type.OID || typeof oid.value !== 'string') return undefined
  try {
    return forge.asn1.derToOid(oid.value)
  } catch {
    return undefined
  }
}

/** `CN=middle-tier, O=Contoso`-style rendering of a forge distinguished name, in certificate order. */
export function renderName(attributes: readonly forge.pki.CertificateField[]): string {
  return attributes
    .map((attribute) => `${attribute.shortName ?? attribute.name ?? attribute.type ?? '?'}=${String(attribute.value)}`)
    .join(', ')
}

/**
 * Orders certificates for `x5c`: the leaf first, then each issuer found among the rest, then whatever is
 * left in input order (a chain may legitimately hold unrelated intermediates).
 */
export function orderChain(leaf: CertificateEntry, others: readonly CertificateEntry[]): CertificateEntry[] {
  const ordered = [leaf]
  const remaining = others.filter((entry) => entry.der !== leaf.der)
  let current = leaf
  while (current.issuerDer !== current.subjectDer) {
    const index = remaining.findIndex((entry) => entry.subjectDer === current.issuerDer)
    if (index < 0) break
    const [next] = remaining.splice(index, 1)
    if (next === undefined) break
    ordered.push(next)
    current = next
  }
  return [...ordered, ...remaining]
}
