import { createHmac } from 'node:crypto';
import type { Identity } from '../auth/identity';

/** Bumped when what an ETag covers changes, so no earlier tag matches by accident. */
const ETAG_FORMAT = 'v1';
/** 128 bits of the HMAC: collisions need 2^64 answers, guessing a tag 2^128 tries. */
const TAG_CHARS = 22;

/**
 * Everything the answer to a snapshot-only query depends on, each in a form every instance
 * computes alike: no process counters, so two instances at the same revision give one caller the
 * same tag.
 */
export interface EtagInput {
  /** ConfigSnapshot.revision. */
  revision: number;
  stale: boolean;
  /** HealthStore.fingerprint: the status of every server (SERVER_DOWN problems follow it). */
  health: string;
  identity: Identity;
  /** Decides the content type (application/json or application/graphql-response+json). */
  accept: string | undefined;
  /** The canonical request: query, operation name, variables and extensions. */
  request: string;
}

/** The caller as the answer sees it: who, with which roles, libraries and scopes. Token expiry does not change an answer. */
export function identityKey(identity: Identity): string {
  const sorted = <T>(values: Iterable<T>) => [...values].sort();
  return JSON.stringify([identity.sub, identity.name, sorted(identity.roles), sorted(identity.libraries), sorted(identity.scopes)]);
}

/**
 * Weak entity tags (equal answers, not promised to be byte-identical across instances) keyed with
 * a server secret: a tag says nothing about the revision, the health or the caller to anyone
 * without the key, and a client cannot make one that matches an answer it was not given.
 */
export class EtagSigner {
  constructor(
    private readonly key: Buffer,
    /** The schema the answers are shaped by: an upgraded gateway may answer differently at the same revision. */
    private readonly schema: string,
  ) {}

  etag(input: EtagInput): string {
    const fields = [
      ETAG_FORMAT,
      this.schema,
      input.revision,
      input.stale,
      input.health,
      identityKey(input.identity),
      (input.accept ?? '').trim(),
      input.request,
    ];
    const mac = createHmac('sha256', this.key).update(JSON.stringify(fields)).digest('base64url');
    return `W/"${mac.slice(0, TAG_CHARS)}"`;
  }
}

const ENTITY_TAG = /(?:W\/)?"[^"]*"/g;

export function isWildcard(ifNoneMatch: string): boolean {
  return ifNoneMatch.trim() === '*';
}

/** RFC 9110 13.1.2: weak comparison against each listed tag; `*` matches any current answer. */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (isWildcard(header)) return true;
  const opaque = etag.replace(/^W\//, '');
  return (header.match(ENTITY_TAG) ?? []).some((tag) => tag.replace(/^W\//, '') === opaque);
}
