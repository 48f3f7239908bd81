import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config';

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Domain separation: the pepper also hashes one-time codes, and this key must differ from any other use. */
const KEY_INFO = 'homeline/notifications/sealed-params/v1';

export type SecretValues = Record<string, string>;

/** Derives the 256-bit sealing key from the deployment's code pepper (HKDF-SHA256). */
export function deriveSealingKey(pepper: string): Buffer {
  if (!pepper) throw new Error('cannot derive a sealing key from an empty secret');
  return Buffer.from(hkdfSync('sha256', pepper, Buffer.alloc(0), KEY_INFO, 32));
}

/**
 * Encrypts a small JSON object as iv | tag | ciphertext. `context` is bound as associated data
 * (the notification id), so a sealed value copied onto another row does not open there.
 */
export function seal(key: Buffer, values: SecretValues, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

/** Opens what `seal` produced; throws if the key, the context or a single byte differs. */
export function unseal(key: Buffer, sealed: Buffer, context: string): SecretValues {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('sealed value is too short');
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  const values: unknown = JSON.parse(plain.toString('utf8'));
  if (!values || typeof values !== 'object' || Array.isArray(values)) throw new Error('sealed value is not an object');
  return values as SecretValues;
}

/** The sealing key of this deployment, derived once. */
@Injectable()
export class SecretSealer {
  private readonly key: Buffer;

  constructor(config: AppConfig) {
    this.key = deriveSealingKey(config.codePepper);
  }

  seal(values: SecretValues, context: string): Buffer {
    return seal(this.key, values, context);
  }

  unseal(sealed: Buffer, context: string): SecretValues {
    return unseal(this.key, sealed, context);
  }
}
