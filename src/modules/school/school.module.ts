import { Module } from '@nestjs/common';
import { ClassesController } from './classes.controller';
import { ClassesRepository } from './classes.repository';
import { EnrollmentsController } from './enrollments.controller';
import { JoinCodes } from './join-codes';
import { SchoolService } from './school.service';

/** Classes and enrollments (notices come next). Access, audit and transactions come from global modules. */
@Module({
  controllers: [ClassesController, EnrollmentsController],
  providers: [SchoolService, ClassesRepository, JoinCodes],
  exports: [SchoolService],
})
export class SchoolModule {}
