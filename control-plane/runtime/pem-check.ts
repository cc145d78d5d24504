// workerd refuses to start on a certificate or key it cannot read ("invalid peer certificate:
// BadEncoding"), which would take a running edge down on a restart. What goes into its config is
// checked here first, so a bad PEM is reported and left out instead.
import { X509Certificate, createPrivateKey } from 'node:crypto'

/** Why the PEM text is not one or more X.509 certificates workerd can load, or null. */
export function certificateProblem(pem: string): string | null {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)
  if (!blocks) return 'not a PEM certificate'
  for (const block of blocks) {
    try {
      new X509Certificate(block)
    } catch (err) {
      return `unreadable certificate: ${(err as Error).message}`
    }
  }
  return null
}

/** Why the certificate chain and private key cannot serve TLS together, or null. */
export function keypairProblem(certificateChain: string, privateKey: string): string | null {
  const cert = certificateProblem(certificateChain)
  if (cert) return cert
  try {
    const leaf = new X509Certificate(certificateChain)
    return leaf.checkPrivateKey(createPrivateKey(privateKey)) ? null : 'the private key does not belong to the certificate'
  } catch (err) {
    return `unreadable private key: ${(err as Error).message}`
  }
}

/** The usable certificates, with a problem line (`${label}[i]: why`) for each one left out. */
export function usableCertificates(pems: readonly string[], label: string, problems: string[]): string[] {
  return pems.filter((pem, i) => {
    const why = certificateProblem(pem)
    if (why) problems.push(`${label}[${i}]: ${why}; not trusted`)
    return why === null
  })
}
