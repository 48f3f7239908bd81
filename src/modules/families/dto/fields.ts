import { Transform } from 'class-transformer';
import { Matches } from 'class-validator';

/** Surrounding spaces are never meant; trimming first lets the length rules see what is kept. */
export const Trimmed = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** Names and notes are shown on phones and in SMS; control characters (and NUL, which PostgreSQL refuses) have no place in them. */
const PRINTABLE = /^[^\u0000-\u0008\u000b-\u001f\u007f]*$/;
const SINGLE_LINE = /^[^\u0000-\u001f\u007f]*$/;

export const SingleLine = (field: string) => Matches(SINGLE_LINE, { message: `${field} must be one line without control characters` });
/** Line breaks are allowed (a note), other control characters are not. */
export const Printable = (field: string) => Matches(PRINTABLE, { message: `${field} must not contain control characters` });
