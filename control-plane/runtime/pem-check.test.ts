import { describe, expect, it } from 'vitest'
import { leafCert, testCa } from '../../test/support/certs.ts'
import { certificateProblem, keypairProblem, usableCertificates } from './pem-check.ts'
import { planSocketTls } from './workerd-tls.ts'

const BAD = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'

describe('PEM checks before workerd sees them', () => {
  it('tells readable certificates and matching keys from the rest', () => {
    const a = leafCert({ dns: ['a.test'] })
    const b = leafCert({ dns: ['b.test'] })
    expect(certificateProblem(testCa().cert)).toBeNull()
    expect(certificateProblem(a.cert + testCa().cert)).toBeNull()
    expect(certificateProblem('PEM')).toBe('not a PEM certificate')
    expect(certificateProblem(BAD)).toMatch(/^unreadable certificate/)
    expect(keypairProblem(a.cert, a.key)).toBeNull()
    expect(keypairProblem(a.cert, b.key)).toBe('the private key does not belong to the certificate')
    expect(keypairProblem(a.cert, 'junk')).toMatch(/^unreadable private key/)
    const problems: string[] = []
    expect(usableCertificates([testCa().cert, BAD], 'rootCAs', problems)).toEqual([testCa().cert])
    expect(problems).toEqual([expect.stringMatching(/^rootCAs\[1\]: unreadable certificate.*; not trusted$/)])
  })

  it('a socket never gets a keypair or client CA workerd would refuse to start with', () => {
    const a = leafCert({ dns: ['a.test'] })
    const plan = planSocketTls({
      tls: {
        stores: { default: { defaultCertificate: { certFile: a.cert, keyFile: leafCert({ dns: ['x'] }).key } } },
        certificates: [
          { certFile: BAD, keyFile: a.key },
          { certFile: a.cert, keyFile: a.key },
        ],
        options: { default: { clientAuth: { clientAuthType: 'RequireAndVerifyClientCert', caFiles: ['nope', testCa().cert] } } },
      },
    })
    expect(plan.keypair).toEqual({ certificateChain: a.cert, privateKey: a.key })
    expect(plan.options.trustedCertificates).toEqual([testCa().cert])
    expect(plan.problems).toEqual([
      expect.stringMatching(/^tls.certificates\[0\]: unreadable certificate.*; not served$/),
      'tls.stores.default.defaultCertificate: the private key does not belong to the certificate; not served',
      'tls.options default: clientAuth.caFiles[0]: not a PEM certificate; not trusted',
    ])
  })
})
