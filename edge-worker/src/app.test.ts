import { describe, expect, it } from 'vitest'
import { splitUrl } from './app.ts'

describe('splitUrl', () => {
  it("splits the runtime's absolute URL without a URL object, keeping the escaped path", () => {
    expect(splitUrl('http://a.example:8080/x%2Fy/z?q=1;r=2')).toEqual({ tls: false, authority: 'a.example:8080', path: '/x%2Fy/z', query: 'q=1;r=2' })
    expect(splitUrl('https://a.example')).toEqual({ tls: true, authority: 'a.example', path: '/', query: '' })
    expect(splitUrl('http://[::1]:80/p#frag')).toEqual({ tls: false, authority: '[::1]:80', path: '/p', query: '' })
    expect(splitUrl('http://h/?')).toEqual({ tls: false, authority: 'h', path: '/', query: '' })
  })
})
