import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery, updateReturning } from '../../database/sql';
import { Actor } from '../../common/actor';
import { childPairViolation, SendStanding, sendStandingsSql, standingsParams } from '../access/access.service';
import { MessageRow } from './dto/message.dto';
import { ConversationKind } from './conversation.entity';
import { MessageKind } from './message.entity';

const MESSAGE_COLUMNS = `m.id, m.conversation_id AS "conversationId", m.seq, m.client_msg_id AS "clientMsgId", m.sender_id AS "senderId",
  m.kind, m.body, m.media_id AS "mediaId", m.retracted_at AS "retractedAt", m.created_at AS "createdAt"`;

/** One send of a batch: who sends what where. */
export interface SendInput {
  actor: Actor;
  conversationId: string;
  clientMsgId: string;
  kind: MessageKind;
  body: string | null;
  mediaId: string | null;
}

/** A row of the send statement: the item's standing, its upload, and its message if it was stored. */
type SendRow = SendStanding & {
  mediaConversationId: string | null;
  mediaUploadedBy: string | null;
  mediaKind: string | null;
  stored: boolean;
  fresh: boolean;
  messageId: string;
  messageSeq: string;
  messageKind: MessageKind;
  messageBody: string | null;
  messageMediaId: string | null;
  messageRetractedAt: Date | null;
  messageCreatedAt: Date;
};

/** What became of one send: the sender's standing, the upload it names (if any), and its message if it was allowed. */
export interface SendOutcome {
  standing: SendStanding;
  mediaConversationId: string | null;
  mediaUploadedBy: string | null;
  mediaKind: string | null;
  /** The stored message (new or stored before), or null: the item was refused. */
  message: MessageRow | null;
  /** Stored by this batch (not a resend of a stored message). */
  fresh: boolean;
}

export interface ConversationRow {
  id: string;
  kind: ConversationKind;
  familyId: string | null;
  title: string | null;
  lastSeq: string;
  readSeq: string;
  unreadCount: number;
  asGuardian: boolean;
  createdAt: Date;
  /** Last activity, cut to the millisecond: the keyset of the list. */
  activityAt: Date;
}

export interface MemberRow {
  conversationId: string;
  userId: string;
  displayName: string;
  kind: string;
  readSeq: string;
}

export interface MediaRow {
  id: string;
  conversationId: string;
  uploadedBy: string | null;
  kind: 'voice' | 'image';
  contentType: string;
  sizeBytes: number;
  durationMs: number | null;
  storageKey: string;
}

/**
 * Conversations, members and messages. Reads are scoped by the conversation (whose access the caller
 * decided) or by the user they list for; writes of messages happen only under the conversation's lock.
 */
@Injectable()
export class MessagesRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Decides and stores a batch of sends in one statement, which is its own transaction: the access
   * decision (the access module's sendStandingsSql) and the media check come first, and only what they
   * allow is stored. It then locks the conversations that get new messages (in id order, so two
   * batches can never deadlock), raises each one's last_seq by its count of new messages, which get
   * old last_seq + 1, + 2, … in batch order, and inserts them. A (conversation, sender, client id)
   * already stored is answered as it is (`fresh` false) and takes no seq; the same key twice in the
   * batch is one message, stored by its first allowed item and answered to every allowed one. One
   * stored by a racing batch on another node after this statement began is not among the `existing`
   * of its snapshot: its insert breaks the unique key (23505) and the whole statement is undone, seqs
   * included; run again, it answers that message.
   *
   * Answers one row per item, in item order: its standing, what its media is, and, if it was allowed,
   * its message. A new message comes back with its id and seq only (the rest is what was sent,
   * stamped `at`), so its text is not read back.
   */
  async sendBatch(items: SendInput[], at: Date): Promise<SendOutcome[]> {
    if (items.length === 0) return [];
    const rows = await preparedQuery<SendRow>(
      this.dataSource.manager,
      'messages-send-batch',
      `WITH standing AS (${sendStandingsSql()}
       ), input AS (
         SELECT * FROM unnest($4::uuid[], $5::text[], $1::uuid[], $6::text[], $7::text[], $8::uuid[])
                WITH ORDINALITY AS v(conversation_id, client_msg_id, sender_id, kind, body, media_id, ord)
       ), media AS (
         SELECT mm.id, mm.conversation_id, mm.uploaded_by, mm.kind FROM message_media mm WHERE mm.id IN (SELECT media_id FROM input)
       ), checked AS (
         -- allowed: the access decision, and a voice or image message's upload is the sender's own, in this conversation, of its kind
         SELECT i.*, s."maySend" AND (i.media_id IS NULL OR (md.conversation_id = i.conversation_id AND md.uploaded_by = i.sender_id AND md.kind = i.kind)) AS allowed
           FROM input i JOIN standing s ON s.n = i.ord LEFT JOIN media md ON md.id = i.media_id
       ), allowed AS (
         SELECT DISTINCT ON (conversation_id, sender_id, client_msg_id) * FROM checked WHERE allowed
          ORDER BY conversation_id, sender_id, client_msg_id, ord
       ), existing AS (
         SELECT m.* FROM allowed a
           JOIN messages m ON m.conversation_id = a.conversation_id AND m.sender_id = a.sender_id AND m.client_msg_id = a.client_msg_id
       ), fresh AS (
         SELECT a.*, row_number() OVER (PARTITION BY a.conversation_id ORDER BY a.ord) AS k
           FROM allowed a
          WHERE NOT EXISTS (SELECT 1 FROM existing e
                             WHERE e.conversation_id = a.conversation_id AND e.sender_id = a.sender_id AND e.client_msg_id = a.client_msg_id)
       ), counts AS (
         SELECT conversation_id, count(*)::int AS n FROM fresh GROUP BY conversation_id
       ), locked AS MATERIALIZED (
         SELECT c.id, counts.n FROM conversations c JOIN counts ON counts.conversation_id = c.id ORDER BY c.id FOR UPDATE OF c
       ), reserved AS (
         UPDATE conversations c SET last_seq = c.last_seq + l.n FROM locked l WHERE c.id = l.id
         RETURNING c.id, c.last_seq, l.n
       ), inserted AS (
         INSERT INTO messages AS m (conversation_id, seq, client_msg_id, sender_id, kind, body, media_id, created_at)
         SELECT f.conversation_id, r.last_seq - r.n + f.k, f.client_msg_id, f.sender_id, f.kind, f.body, f.media_id, $9::timestamptz
           FROM fresh f JOIN reserved r ON r.id = f.conversation_id
          ORDER BY f.ord
         RETURNING m.id, m.conversation_id, m.seq, m.client_msg_id, m.sender_id
       ), stored AS (
         SELECT true AS fresh, i.id, i.conversation_id, i.seq, i.client_msg_id, i.sender_id,
                NULL::text AS kind, NULL::text AS body, NULL::uuid AS media_id, NULL::timestamptz AS retracted_at, NULL::timestamptz AS created_at
           FROM inserted i
         UNION ALL
         SELECT false, e.id, e.conversation_id, e.seq, e.client_msg_id, e.sender_id, e.kind, e.body, e.media_id, e.retracted_at, e.created_at
           FROM existing e
       )
       SELECT s.*,
              md.conversation_id AS "mediaConversationId", md.uploaded_by AS "mediaUploadedBy", md.kind AS "mediaKind",
              st.id IS NOT NULL AS stored, st.fresh, st.id AS "messageId", st.seq AS "messageSeq", st.kind AS "messageKind", st.body AS "messageBody",
              st.media_id AS "messageMediaId", st.retracted_at AS "messageRetractedAt", st.created_at AS "messageCreatedAt"
         FROM checked c
         JOIN standing s ON s.n = c.ord
         LEFT JOIN media md ON md.id = c.media_id
         LEFT JOIN stored st ON c.allowed AND st.conversation_id = c.conversation_id AND st.sender_id = c.sender_id AND st.client_msg_id = c.client_msg_id
        ORDER BY c.ord`,
      [
        // $1 the senders, $4 the conversations
        ...standingsParams(items),
        items.map((it) => it.clientMsgId),
        items.map((it) => it.kind),
        items.map((it) => it.body),
        items.map((it) => it.mediaId),
        at,
      ],
    );
    if (rows.length !== items.length) throw new Error('the send statement answered a row count other than its items');
    // Each outcome and message is built as one object literal. A spread copy with keys added after it
    // (`{ ...outcome, message, fresh }`) gave every message two hidden classes of its own, which V8
    // allocates in the old generation: under the benchmark, about a quarter of what its major GCs freed.
    return rows.map((row, i): SendOutcome => {
      const input = items[i];
      // a new message is what was sent; one stored before is as it is now; a refused item has none
      const fresh = row.stored && row.fresh;
      const message: MessageRow | null = row.stored
        ? {
            id: row.messageId,
            conversationId: input.conversationId,
            seq: row.messageSeq,
            clientMsgId: input.clientMsgId,
            senderId: input.actor.userId,
            kind: fresh ? input.kind : row.messageKind,
            body: fresh ? input.body : row.messageBody,
            mediaId: fresh ? input.mediaId : row.messageMediaId,
            retractedAt: fresh ? null : row.messageRetractedAt,
            createdAt: fresh ? at : row.messageCreatedAt,
          }
        : null;
      // the row is the item's standing, with what the statement adds
      const { mediaConversationId, mediaUploadedBy, mediaKind } = row;
      return { standing: row, mediaConversationId, mediaUploadedBy, mediaKind, message, fresh };
    });
  }

  /** Exactly the committed messages after `afterSeq`, in seq order, and the conversation's last seq. */
  async after(conversationId: string, afterSeq: number, limit: number): Promise<{ rows: MessageRow[]; lastSeq: number }> {
    return this.dataSource.transaction('REPEATABLE READ', async (em) => {
      const rows: MessageRow[] = await em.query(
        `SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.conversation_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3`,
        [conversationId, afterSeq, limit],
      );
      const [conversation] = await em.query(`SELECT last_seq AS "lastSeq" FROM conversations WHERE id = $1`, [conversationId]);
      return { rows, lastSeq: Number(conversation?.lastSeq ?? 0) };
    });
  }

  async message(messageId: string, em: EntityManager = this.dataSource.manager): Promise<MessageRow | undefined> {
    const [row] = await em.query(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = $1`, [messageId]);
    return row;
  }

  /** Every message the user sent, oldest first (the child's data export). */
  sentBy(em: EntityManager, senderId: string): Promise<MessageRow[]> {
    return em.query(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.sender_id = $1 ORDER BY m.created_at, m.conversation_id, m.seq`, [senderId]);
  }

  /**
   * Erases what the user sent (a deleted child): the messages lose their text and show as retracted
   * from `at` (their rows keep their place, so every member's seq stays gapless), and the user's
   * uploads are deleted. Answers the storage keys of those uploads, whose bytes the caller removes
   * once the transaction has committed.
   */
  async eraseSentBy(em: EntityManager, userId: string, at: Date): Promise<string[]> {
    await em.query(`UPDATE messages SET body = NULL, retracted_at = coalesce(retracted_at, $2) WHERE sender_id = $1`, [userId, at]);
    const media = await updateReturning<{ storageKey: string }>(em, `DELETE FROM message_media WHERE uploaded_by = $1 RETURNING storage_key AS "storageKey"`, [userId]);
    return media.map((m) => m.storageKey);
  }

  /** Sets retracted_at once; the first retraction stands. Answers the row either way. */
  async retract(em: EntityManager, messageId: string, senderId: string, at: Date): Promise<MessageRow | undefined> {
    await em.query(`UPDATE messages SET retracted_at = $3 WHERE id = $1 AND sender_id = $2 AND retracted_at IS NULL`, [messageId, senderId, at]);
    return this.message(messageId, em);
  }

  /**
   * The user's conversations (as a member, or as the guardian of a child who is or was in one), most
   * recent activity first, with their read mark and unread count (others' messages after the mark).
   */
  conversationsFor(
    userId: string,
    after: { at: Date; id: string } | undefined,
    limit: number,
    filter: { childId?: string; conversationId?: string } = {},
  ): Promise<ConversationRow[]> {
    return this.dataSource.query(
      `WITH visible AS (
         SELECT m.conversation_id AS id, m.read_seq, false AS as_guardian
           FROM conversation_members m WHERE m.user_id = $1 AND m.removed_at IS NULL
            -- a child does not see a thread that holds someone who is not its approved contact
            AND NOT EXISTS (SELECT 1 FROM children me WHERE me.user_id = $1 AND ${childPairViolation('m.conversation_id', 'me.user_id', 'me.family_id')})
         UNION ALL
         SELECT DISTINCT cm.conversation_id, 0::bigint, true
           FROM conversation_members cm
           JOIN children kid ON kid.user_id = cm.user_id
           JOIN family_members g ON g.family_id = kid.family_id AND g.user_id = $1
          WHERE (g.role = 'guardian' OR NOT EXISTS (SELECT 1 FROM family_members g2 WHERE g2.family_id = kid.family_id AND g2.role = 'guardian'))
            AND NOT EXISTS (SELECT 1 FROM conversation_members me WHERE me.conversation_id = cm.conversation_id AND me.user_id = $1 AND me.removed_at IS NULL)
       ), listed AS (
         SELECT c.id, c.kind, c.family_id AS "familyId", c.title, c.last_seq AS "lastSeq", v.read_seq AS "readSeq", v.as_guardian AS "asGuardian",
                c.created_at AS "createdAt",
                date_trunc('milliseconds', coalesce((SELECT x.created_at FROM messages x WHERE x.conversation_id = c.id AND x.seq = c.last_seq), c.created_at)) AS "activityAt",
                CASE WHEN v.as_guardian THEN 0 ELSE
                  (SELECT count(*)::int FROM messages u WHERE u.conversation_id = c.id AND u.seq > v.read_seq AND u.sender_id IS DISTINCT FROM $1)
                END AS "unreadCount"
           FROM visible v JOIN conversations c ON c.id = v.id
          WHERE ($5::uuid IS NULL OR EXISTS (SELECT 1 FROM conversation_members k WHERE k.conversation_id = c.id AND k.user_id = $5))
            AND ($6::uuid IS NULL OR c.id = $6)
       )
       SELECT * FROM listed
        WHERE ($2::timestamptz IS NULL OR ("activityAt", id) < ($2::timestamptz, $3::uuid))
        ORDER BY "activityAt" DESC, id DESC
        LIMIT $4`,
      [userId, after?.at ?? null, after?.id ?? null, limit, filter.childId ?? null, filter.conversationId ?? null],
    );
  }

  /** Current members of each conversation, with names and read marks. */
  async membersOf(conversationIds: string[]): Promise<Map<string, MemberRow[]>> {
    const result = new Map<string, MemberRow[]>(conversationIds.map((id) => [id, []]));
    if (conversationIds.length === 0) return result;
    const rows: MemberRow[] = await this.dataSource.query(
      `SELECT m.conversation_id AS "conversationId", m.user_id AS "userId", u.display_name AS "displayName", u.kind, m.read_seq AS "readSeq"
         FROM conversation_members m JOIN users u ON u.id = m.user_id
        WHERE m.conversation_id = ANY($1::uuid[]) AND m.removed_at IS NULL
        ORDER BY m.joined_at, m.user_id`,
      [conversationIds],
    );
    for (const row of rows) result.get(row.conversationId)!.push(row);
    return result;
  }

  async lastMessages(conversationIds: string[]): Promise<Map<string, MessageRow>> {
    if (conversationIds.length === 0) return new Map();
    const rows: MessageRow[] = await this.dataSource.query(
      `SELECT ${MESSAGE_COLUMNS} FROM conversations c JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq WHERE c.id = ANY($1::uuid[])`,
      [conversationIds],
    );
    return new Map(rows.map((r) => [r.conversationId, r]));
  }

  /** Moves the member's read mark forward only, never past the last message. Answers the mark now, and whether it moved. */
  async moveReadMark(conversationId: string, userId: string, upToSeq: number): Promise<{ readSeq: number; moved: boolean }> {
    const [row] = await this.dataSource.query(
      `WITH target AS (
         SELECT m.read_seq AS before, GREATEST(m.read_seq, LEAST($3::bigint, c.last_seq)) AS after
           FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
          WHERE m.conversation_id = $1 AND m.user_id = $2 AND m.removed_at IS NULL
       ), moved AS (
         UPDATE conversation_members m SET read_seq = t.after FROM target t
          WHERE m.conversation_id = $1 AND m.user_id = $2 AND m.read_seq < t.after
         RETURNING m.read_seq
       )
       SELECT coalesce((SELECT read_seq FROM moved), (SELECT after FROM target)) AS "readSeq", EXISTS (SELECT 1 FROM moved) AS moved`,
      [conversationId, userId, upToSeq],
    );
    return { readSeq: Number(row?.readSeq ?? 0), moved: row?.moved ?? false };
  }

  /** The family's thread exists and holds every adult and child of the family (idempotent). */
  async syncFamilyThread(em: EntityManager, familyId: string): Promise<string> {
    await em.query(
      `INSERT INTO conversations (kind, family_id, created_by) SELECT 'family', f.id, f.created_by FROM families f WHERE f.id = $1
       ON CONFLICT (family_id) WHERE kind = 'family' DO NOTHING`,
      [familyId],
    );
    const [conversation] = await em.query(`SELECT id FROM conversations WHERE family_id = $1 AND kind = 'family'`, [familyId]);
    await em.query(
      `INSERT INTO conversation_members (conversation_id, user_id)
       SELECT $1, u FROM (SELECT user_id AS u FROM family_members WHERE family_id = $2 UNION SELECT user_id FROM children WHERE family_id = $2) s
       ON CONFLICT (conversation_id, user_id) DO NOTHING`,
      [conversation.id, familyId],
    );
    return conversation.id;
  }

  async insertConversation(em: EntityManager, input: { kind: ConversationKind; familyId: string | null; title: string | null; createdBy: string; memberIds: string[] }): Promise<string> {
    const [row] = await em.query(`INSERT INTO conversations (kind, family_id, title, created_by) VALUES ($1, $2, $3, $4) RETURNING id`, [
      input.kind,
      input.familyId,
      input.title,
      input.createdBy,
    ]);
    await em.query(`INSERT INTO conversation_members (conversation_id, user_id) SELECT $1, unnest($2::uuid[])`, [row.id, input.memberIds]);
    return row.id;
  }

  /**
   * Takes the child out of every thread it shares with `userId` (a contact removed, a block). The
   * rows stay, for the record; the access goes. Answers the conversations it left.
   */
  async removeChildFromThreadsWith(em: EntityManager, childId: string, userId: string, reason: string, at: Date): Promise<string[]> {
    const rows = await updateReturning<{ conversationId: string }>(
      em,
      `UPDATE conversation_members me SET removed_at = $4, removed_reason = $3
        WHERE me.user_id = $1 AND me.removed_at IS NULL
          AND EXISTS (SELECT 1 FROM conversation_members other
                       WHERE other.conversation_id = me.conversation_id AND other.user_id = $2 AND other.removed_at IS NULL)
        RETURNING me.conversation_id AS "conversationId"`,
      [childId, userId, reason, at],
    );
    return rows.map((r) => r.conversationId);
  }

  async insertMedia(em: EntityManager, media: MediaRow): Promise<void> {
    await em.query(
      `INSERT INTO message_media (id, conversation_id, uploaded_by, kind, content_type, size_bytes, duration_ms, storage_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [media.id, media.conversationId, media.uploadedBy, media.kind, media.contentType, media.sizeBytes, media.durationMs, media.storageKey],
    );
  }

  async media(mediaId: string): Promise<MediaRow | undefined> {
    const [row] = await this.dataSource.query(
      `SELECT id, conversation_id AS "conversationId", uploaded_by AS "uploadedBy", kind, content_type AS "contentType", size_bytes AS "sizeBytes",
              duration_ms AS "durationMs", storage_key AS "storageKey"
         FROM message_media WHERE id = $1`,
      [mediaId],
    );
    return row;
  }
}
