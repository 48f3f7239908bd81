import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One entry of RTCConfiguration.iceServers, ready to pass to RTCPeerConnection. */
export class IceServerResponse {
  @ApiProperty({ type: [String], example: ['turn:turn.example.com:3478?transport=udp'] })
  urls: string[];
  @ApiPropertyOptional({ description: 'TURN only: `<expiry in Unix seconds>:<user id>`' })
  username?: string;
  @ApiPropertyOptional({ description: 'TURN only: base64(HMAC-SHA1(shared secret, username))' })
  credential?: string;
}

export class IceServersResponse {
  @ApiProperty({ type: [IceServerResponse] })
  iceServers: IceServerResponse[];
  @ApiProperty({ description: 'Seconds the TURN credentials stay valid; fetch new ones before a call after that' })
  ttlSeconds: number;
  @ApiProperty({ format: 'date-time', type: String, nullable: true, description: 'When the TURN credentials expire; null without TURN servers' })
  expiresAt: string | null;
}
