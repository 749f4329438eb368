import type { AttachmentRepos } from './attachments.port.ts'
import type { IdentityRepos } from './identity.port.ts'
import type { CitizenPatch } from './identity.types.ts'
import type { InboundRepos } from './inbound.port.ts'
import type { NoticeRepos } from './notices.port.ts'
import type { PostboxRepos } from './postbox.port.ts'
import type { RoutingRepos } from './routing.port.ts'
import type {
  ApiToken,
  AuditEntry,
  AuditInput,
  AuditVerification,
  Citizen,
  NewApiToken,
  NewCitizen,
  NewOffice,
  NewStaff,
  Office,
  Staff,
} from './store.types.ts'
import type { UploadCheckRepos } from './upload-checks.port.ts'

/** Offices and their routing configuration. */
export interface OfficeRepo {
  /** Inserts an office; the code must be unique. */
  create(office: NewOffice): Promise<Office>
  /** One office by id, or null. */
  get(id: string): Promise<Office | null>
  /** One office by its short code, or null. */
  getByCode(code: string): Promise<Office | null>
  /** Every office, ordered by code. */
  list(): Promise<Office[]>
}

/** Staff members; every read is scoped to an office. */
export interface StaffRepo {
  /** Inserts a staff member. */
  create(staff: NewStaff): Promise<Staff>
  /** One staff member of the given office, or null (also for another office's id). */
  get(officeId: string, id: string): Promise<Staff | null>
  /** The staff of an office. */
  list(officeId: string): Promise<Staff[]>
}

/** Hashed API tokens of staff and integrations. */
export interface ApiTokenRepo {
  /** Stores a token record (hash only, never the token). */
  create(token: NewApiToken): Promise<ApiToken>
  /** The unrevoked token with this hash, or null. */
  findActiveByHash(tokenHash: Buffer): Promise<ApiToken | null>
  /** Records the last use of a token. */
  touch(id: string, at: Date): Promise<void>
  /** Revokes a token of the given office; false when there was none to revoke. */
  revoke(officeId: string, id: string, at: Date): Promise<boolean>
  /** The tokens of an office (hashes never leave the store layer's callers). */
  list(officeId: string): Promise<ApiToken[]>
}

/** Citizen accounts; personal fields arrive already encrypted. */
export interface CitizenRepo {
  /** Inserts a citizen; the email lookup MAC must be unique. */
  create(citizen: NewCitizen): Promise<Citizen>
  /** One citizen by id (deleted ones excluded), or null. */
  get(id: string): Promise<Citizen | null>
  /** One citizen by the keyed MAC of the normalised email, or null. */
  findByEmailLookup(emailLookup: Buffer): Promise<Citizen | null>
  /** The activated citizen of an office with this customer number, or null. */
  findByCustomerNumber(officeId: string, customerNumber: string): Promise<Citizen | null>
  /** Applies a patch to a (not deleted) citizen; false when there is none. */
  update(id: string, patch: CitizenPatch): Promise<boolean>
  /** Removes the citizen row; cascades to sessions, factors, threads and messages. */
  delete(id: string): Promise<boolean>
  /** Up to limit citizens whose data key is wrapped under another KEK than keyId, by id after afterId. */
  listWrappedNotUnder(
    keyId: string,
    afterId: string | null,
    limit: number,
  ): Promise<Pick<Citizen, 'id' | 'dekWrapped' | 'dekKeyId'>[]>
  /** Replaces the wrapped data key only while it is still under expectedOldKeyId; false otherwise. */
  rewrapDek(id: string, expectedOldKeyId: string, wrapped: Buffer, newKeyId: string): Promise<boolean>
  /** How many citizen rows have their data key wrapped under each KEK id. */
  countByKeyId(): Promise<Record<string, number>>
}

/** The append-only, hash-chained audit log. */
export interface AuditRepo {
  /** Appends an entry chained to the previous one; serialised across writers. */
  append(input: AuditInput): Promise<AuditEntry>
  /** Entries after a sequence number, oldest first. */
  list(afterSeq?: number, limit?: number): Promise<AuditEntry[]>
  /** Walks the chain and reports the first broken link. */
  verify(): Promise<AuditVerification>
}

export interface Repos
  extends IdentityRepos,
    AttachmentRepos,
    PostboxRepos,
    InboundRepos,
    NoticeRepos,
    UploadCheckRepos,
    RoutingRepos {
  offices: OfficeRepo
  staff: StaffRepo
  apiTokens: ApiTokenRepo
  citizens: CitizenRepo
  audit: AuditRepo
}

declare const txBrand: unique symbol
/** The repositories inside one transaction; queue adapters join it (see queue.port send). */
export type Tx = Repos & {
  readonly [txBrand]: true
  /**
   * Runs fn under a savepoint of this transaction: when fn throws, only what fn wrote (jobs sent with
   * `{ tx }` included) is undone and the error is rethrown; the transaction itself stays usable.
   */
  savepoint<T>(fn: (tx: Tx) => Promise<T>): Promise<T>
}

export interface Store extends Repos {
  readonly dialect: 'sqlite' | 'pg'
  /**
   * Runs fn in one transaction: everything fn writes through `tx` (and jobs sent with `{ tx }`)
   * commits together or not at all. Do no network I/O inside: on SQLite it holds the only writer.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>
  /** Applies the committed migrations of this dialect. */
  migrate(): Promise<void>
  /** Cheap round trip for readiness checks; throws when the database is unreachable. */
  ping(): Promise<void>
  /** Closes connections; waits for running statements. */
  close(): Promise<void>
}
