import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEnum, IsInt, IsObject, IsOptional, IsString, IsUUID, Max, MaxLength, Min, ValidateBy, ValidateIf, ValidateNested } from 'class-validator';
import { CallSide } from '../../access/access.service';
import { CallEndReason, CallSessionEntity, CallState } from '../call-session.entity';

/**
 * `call:start`. Without `calleeId`, an approved contact (a parent, say) rings the child's side: the
 * child's devices and its guardians. With `calleeId` (or when the child itself calls), the child's side
 * rings that approved contact; a child calling in its scheduled call's window may leave it out.
 */
export class StartCallDto {
  @IsUUID()
  childId: string;

  @IsOptional()
  @IsUUID()
  occurrenceId?: string;

  @IsOptional()
  @IsUUID()
  calleeId?: string;
}

/** `call:accept`, `call:decline`, `call:end`. */
export class CallRefDto {
  @IsUUID()
  sessionId: string;
}

export enum SignalType {
  Offer = 'offer',
  Answer = 'answer',
  Candidate = 'candidate',
}

/** An RTCIceCandidateInit; an empty `candidate` marks the end of candidates. */
export class IceCandidateDto {
  @IsString()
  @MaxLength(1024)
  candidate: string;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  sdpMid?: string | null;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1023)
  sdpMLineIndex?: number | null;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  usernameFragment?: string | null;
}

/**
 * The property must be left out when `absent(data)` holds: it belongs to the other kind of signal.
 * (ValidateIf alone skips such a field unchecked, and it would ride along to the peer.)
 */
function AbsentWhen(absent: (data: SignalDataDto) => boolean, message: string): PropertyDecorator {
  return ValidateBy({
    name: 'absentWhen',
    validator: { validate: (value: unknown, args) => value === undefined || !absent(args!.object as SignalDataDto), defaultMessage: () => message },
  });
}

/** What WebRTC needs relayed, and nothing else: a description (offer, answer) or an ICE candidate, never both. */
export class SignalDataDto {
  @IsEnum(SignalType)
  type: SignalType;

  /** Its size is checked with the whole payload's (MAX_SIGNAL_BYTES), answering 413. */
  @ValidateIf((data: SignalDataDto) => data.type !== SignalType.Candidate || data.sdp !== undefined)
  @AbsentWhen((data) => data.type === SignalType.Candidate, 'sdp is not part of a candidate')
  @IsString()
  sdp?: string;

  @ValidateIf((data: SignalDataDto) => data.type === SignalType.Candidate || data.candidate !== undefined)
  @AbsentWhen((data) => data.type !== SignalType.Candidate, 'candidate is not part of an offer or an answer')
  @IsObject()
  @ValidateNested()
  @Type(() => IceCandidateDto)
  candidate?: IceCandidateDto;
}

/** `call:signal`: relayed to `to`, who must be the other joined participant of the call. */
export class SignalCallDto {
  @IsUUID()
  sessionId: string;

  @IsUUID()
  to: string;

  @IsObject()
  @ValidateNested()
  @Type(() => SignalDataDto)
  data: SignalDataDto;
}

/** A call as its participants and the child's family see it, in acks and in every call:* event. */
export class CallSessionResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty({ format: 'uuid' })
  familyId: string;
  @ApiProperty({ format: 'uuid' })
  childId: string;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  callerId: string | null;
  @ApiProperty({ enum: CallSide, enumName: 'CallSide', description: "child: rings the child and its guardians; contact: rings calleeId" })
  calleeSide: CallSide;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  calleeId: string | null;
  @ApiProperty({ format: 'uuid', type: String, nullable: true, description: 'The scheduled call this one realises' })
  occurrenceId: string | null;
  @ApiProperty({ enum: CallState, enumName: 'CallState' })
  state: CallState;
  @ApiProperty({ format: 'date-time' })
  startedAt: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  answeredAt: string | null;
  @ApiProperty({ format: 'uuid', type: String, nullable: true, description: 'Who took the call' })
  answeredBy: string | null;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  endedAt: string | null;
  @ApiProperty({ format: 'uuid', type: String, nullable: true })
  endedBy: string | null;
  @ApiProperty({ enum: CallEndReason, enumName: 'CallEndReason', nullable: true })
  endReason: CallEndReason | null;
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Seconds from answer to end' })
  talkedSeconds: number | null;
}

export const talkedSeconds = (call: Pick<CallSessionEntity, 'answeredAt' | 'endedAt'>): number | null =>
  call.answeredAt && call.endedAt ? Math.max(0, Math.round((call.endedAt.getTime() - call.answeredAt.getTime()) / 1000)) : null;

export const toCallSessionResponse = (call: CallSessionEntity): CallSessionResponse => ({
  id: call.id,
  familyId: call.familyId,
  childId: call.childId,
  callerId: call.callerId,
  calleeSide: call.calleeSide,
  calleeId: call.calleeId,
  occurrenceId: call.occurrenceId,
  state: call.state,
  startedAt: call.startedAt.toISOString(),
  answeredAt: call.answeredAt?.toISOString() ?? null,
  answeredBy: call.answeredBy,
  endedAt: call.endedAt?.toISOString() ?? null,
  endedBy: call.endedBy,
  endReason: call.endReason,
  talkedSeconds: talkedSeconds(call),
});

/** Who is calling, shown on the ringing devices. */
export interface CallPerson {
  id: string;
  displayName: string;
}
