import { describe, expect, it } from '@jest/globals';
import { createUser } from '@nats-io/nkeys';
import { withoutSecret } from '../broker-access.js';
import { natsConnection } from './nats-connection.js';

const TLS = { ca: 'CA PEM', cert: 'CERT PEM', key: 'KEY PEM' };

describe('natsConnection', () => {
  it('takes a user and password out of the URL (the NATS library would drop them)', () => {
    expect(natsConnection('nats://pipe%40line:p%3Ass@broker:4222', undefined, undefined)).toEqual({
      servers: ['nats://broker:4222'],
      user: 'pipe@line',
      pass: 'p:ss',
    });
  });

  it('reads a user part alone as a token, and tls:// as TLS required', () => {
    expect(natsConnection('tls://s3cret@broker:4222', undefined, undefined)).toEqual({
      servers: ['tls://broker:4222'],
      token: 's3cret',
      tls: {},
    });
  });

  it('presents the TLS files and logs in with an nkey seed', () => {
    const options = natsConnection(
      'nats://broker:4222',
      new TextDecoder().decode(createUser().getSeed()),
      TLS,
    );
    expect(options.tls).toEqual(TLS);
    expect(typeof options.authenticator).toBe('function');
    expect(options).not.toHaveProperty('user');
  });

  it('shows neither the password nor a token in what it logs', () => {
    expect(withoutSecret('nats://s3cret@broker:4222')).toBe('nats://***@broker:4222');
    expect(withoutSecret('amqps://user:s3cret@broker:5671')).toBe('amqps://user:***@broker:5671');
  });
});
