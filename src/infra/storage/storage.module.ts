import { Global, Module, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { MediaStorageDriver } from '../../config/environment';
import { LocalMediaStorage } from './local-media-storage';
import { MediaStorage } from './media-storage';
import { S3MediaStorage } from './s3-media-storage';

/** Builds the configured store; a bucket is required for S3, and its absence stops the boot. */
export function createMediaStorage(config: AppConfig): MediaStorage {
  const { driver, localDir, s3 } = config.mediaStorage;
  if (driver === MediaStorageDriver.S3) {
    if (!s3.bucket) throw new Error('MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET');
    if (!!s3.accessKeyId !== !!s3.secretAccessKey) throw new Error('MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY go together');
    return new S3MediaStorage({ ...s3, bucket: s3.bucket });
  }
  return new LocalMediaStorage(localDir);
}

class StorageShutdown implements OnApplicationShutdown {
  constructor(private readonly storage: MediaStorage) {}
  onApplicationShutdown(): void {
    if (this.storage instanceof S3MediaStorage) this.storage.destroy();
  }
}

/** The media store, one per process. */
@Global()
@Module({
  providers: [
    { provide: MediaStorage, useFactory: createMediaStorage, inject: [AppConfig] },
    { provide: StorageShutdown, useFactory: (storage: MediaStorage) => new StorageShutdown(storage), inject: [MediaStorage] },
  ],
  exports: [MediaStorage],
})
export class StorageModule {}
