import { Injectable } from '@nestjs/common';
import { randomInt } from 'node:crypto';

/** No 0/O, 1/I/L: a guardian reads it off a note from school and types it on a phone. */
export const JOIN_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const JOIN_CODE_LENGTH = 6;
export const JOIN_CODE_PATTERN = new RegExp(`^[${JOIN_CODE_ALPHABET}]{${JOIN_CODE_LENGTH}}$`);

/** Upper-cases and drops spaces and dashes, so "k7m 2xq" and "K7M-2XQ" are the same code. */
export const normalizeJoinCode = (code: string) => code.toUpperCase().replace(/[\s-]/g, '');

/** Class join codes from a CSPRNG. A provider of its own so a test can force a collision. */
@Injectable()
export class JoinCodes {
  next(): string {
    return Array.from({ length: JOIN_CODE_LENGTH }, () => JOIN_CODE_ALPHABET[randomInt(JOIN_CODE_ALPHABET.length)]).join('');
  }
}
