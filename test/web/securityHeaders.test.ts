import { describe, expect, it } from 'vitest';
import { securityHeaders } from '../../src/web/securityHeaders.js';

// The exact headers each server sent before they shared this module.
describe('securityHeaders', () => {
  it('is the app\'s set by default', () => {
    expect(securityHeaders()).toEqual({
      'content-security-policy':
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
  });

  it('is the MOS server\'s set with data: images', () => {
    expect(securityHeaders({ dataImages: true })).toEqual({
      'content-security-policy':
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    });
  });
});
