import { ApiProperty } from '@nestjs/swagger';
import { ChildDeviceEntity } from '../child-device.entity';

export class ChildDeviceResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;
  @ApiProperty()
  name: string;
  @ApiProperty({ format: 'date-time' })
  pairedAt: string;
  @ApiProperty({ format: 'date-time', type: String, nullable: true })
  revokedAt: string | null;
}

export const toChildDeviceResponse = (d: ChildDeviceEntity): ChildDeviceResponse => ({
  id: d.id,
  name: d.name,
  pairedAt: d.pairedAt.toISOString(),
  revokedAt: d.revokedAt?.toISOString() ?? null,
});
