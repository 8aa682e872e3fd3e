import { describe, expect, it } from 'vitest';
import { isStoreError } from '../errors.js';
import { describeTarget, normalizeConnectionString } from './connection-string.js';

describe('normalizeConnectionString', () => {
  it('adds a short deadline and discovery interval unless the URL sets them', () => {
    expect(normalizeConnectionString('kurrentdb://h:2113?tls=false')).toBe(
      'kurrentdb://h:2113?tls=false&defaultDeadline=5000&discoveryInterval=50',
    );
    expect(normalizeConnectionString('kurrentdb://h:2113')).toBe(
      'kurrentdb://h:2113?defaultDeadline=5000&discoveryInterval=50',
    );
    expect(normalizeConnectionString('kurrentdb://h:2113/?DefaultDeadline=900&discoveryinterval=7')).toBe(
      'kurrentdb://h:2113?DefaultDeadline=900&discoveryinterval=7',
    );
  });

  it('rewrites the deprecated esdb scheme', () => {
    expect(normalizeConnectionString('esdb://a:1,b:2?tls=false')).toBe(
      'kurrentdb://a:1,b:2?tls=false&defaultDeadline=5000&discoveryInterval=50',
    );
    expect(normalizeConnectionString('esdb+discover://c.local')).toMatch(/^kurrentdb\+discover:\/\/c\.local\?/);
  });

  it('refuses other schemes and a missing host, without echoing passwords', () => {
    for (const url of ['http://h:2113', 'kurrentdb://', 'admin:secret@h']) {
      let caught: unknown;
      try {
        normalizeConnectionString(url);
      } catch (error) {
        caught = error;
      }
      expect(isStoreError(caught, 'STORE_BAD_URL')).toBe(true);
      expect((caught as Error).message).not.toContain('secret');
    }
  });

  it('describes the target without credentials', () => {
    expect(describeTarget('kurrentdb://admin:changeit@h1:2113,h2:2113?tls=true')).toBe('h1:2113,h2:2113');
  });
});
